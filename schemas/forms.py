"""The union of both form types, and helpers to parse and describe it."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from schemas.self_evaluation import SelfEvaluationForm
from schemas.target_declaration import TargetDeclarationForm

Form = Annotated[Union[SelfEvaluationForm, TargetDeclarationForm], Field(discriminator="form_type")]
FormList = list[Form]

_FORM_ADAPTER: TypeAdapter[Any] = TypeAdapter(Form)
_FORM_LIST_ADAPTER: TypeAdapter[Any] = TypeAdapter(FormList)


def parse_form(data: dict[str, Any]) -> SelfEvaluationForm | TargetDeclarationForm:
    """Validate one form object of the hand-off format."""
    return _FORM_ADAPTER.validate_python(data)


def parse_forms(data: list[dict[str, Any]]) -> list[SelfEvaluationForm | TargetDeclarationForm]:
    """Validate a document's extraction: a JSON array of form objects."""
    return _FORM_LIST_ADAPTER.validate_python(data)


def form_json_schema() -> dict[str, Any]:
    """JSON Schema of one document's extraction (an array of forms)."""
    schema = _FORM_LIST_ADAPTER.json_schema(mode="serialization")
    schema["title"] = "formex hand-off v1: the forms of one document"
    return schema
