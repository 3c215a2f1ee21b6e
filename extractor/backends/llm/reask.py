"""The targeted re-ask: after validation, ask once more for only the values that were not found
in the source (ungrounded or misplaced) and the indicator rows that were missed, quoting the
form's source lines.

The model is asked to copy what the form prints, never to change a printed number. An answer is
taken only if it is null (the form does not print the value) or is itself printed in the form;
anything else leaves the first answer in place, still flagged.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Optional, Union

from pydantic import BaseModel, Field, ValidationError, create_model

from extractor.fieldpath import has_path, set_path
from extractor.validate import FormValidation, SourceText
from extractor.validate.grounding import ground_value
from prompts import Prompt
from schemas import SelfEvaluationForm, TargetDeclarationForm
from schemas.self_evaluation import SelfEvaluationIndicator
from schemas.target_declaration import DeclarationIndicator

AnyForm = SelfEvaluationForm | TargetDeclarationForm
VALUE_CODES = frozenset({"ungrounded", "misplaced_value"})


class FieldAnswer(BaseModel):
    """One re-asked field: its path as given, and the value as printed (null if not printed)."""

    path: str
    value: Optional[Union[str, float]] = Field(None, description="as printed in the source, or null")


def answer_model(form: AnyForm) -> type[BaseModel]:
    row = SelfEvaluationIndicator if isinstance(form, SelfEvaluationForm) else DeclarationIndicator
    return create_model("Corrections", fields=(list[FieldAnswer], Field(default_factory=list)),
                        rows=(list[row], Field(default_factory=list)))  # type: ignore[call-overload]


def targets(validation: FormValidation) -> tuple[dict[str, Any], list[str]]:
    """Fields to re-ask (path → the value given) and the source lines of missed rows."""
    fields = {f.path: f.found for f in validation.findings if f.code in VALUE_CODES}
    rows = [str(f.expected) for f in validation.findings if f.code == "missing_row"]
    return fields, rows


def reask_message(prompt: Prompt, fields: dict[str, Any], rows: list[str], text: str,
                  first_line: int, last_line: int) -> str:
    field_lines = "".join(f"- `{path}`: you answered {json.dumps(value, ensure_ascii=False)}, which this form "
                          "does not print there.\n" for path, value in fields.items())
    row_lines = "".join(f"- a row named {json.dumps(name, ensure_ascii=False)} is missing from your indicators; "
                        "return it in `rows` with every cell of its line.\n" for name in rows)
    return prompt.reask.substitute(fields=field_lines, rows=row_lines, text=text,
                                   first_line=first_line, last_line=last_line)


def apply_answers(form: AnyForm, answers: BaseModel, asked: dict[str, Any], source: SourceText,
                  spans: dict[str, list[tuple[int, int]]]) -> tuple[AnyForm, list[str]]:
    """The form with the acceptable answers applied, and the paths that changed."""
    data = form.model_dump()
    changed: list[str] = []
    for answer in answers.fields:  # type: ignore[attr-defined]
        if answer.path not in asked or not has_path(data, answer.path):
            continue
        value = _typed(answer.value, asked[answer.path])
        if isinstance(value, str) and _is_number(asked[answer.path]):
            continue
        if value is None or ground_value(answer.path, value, source) is not None:
            set_path(data, answer.path, value)
            changed.append(answer.path)
    for row in answers.rows:  # type: ignore[attr-defined]
        start = _start(ground_value("name", row.name, source)) if row.name else None
        if start is None:
            continue
        index = _insertion_index(len(data["indicators"]), spans, start)
        data["indicators"].insert(index, row.model_dump())
        changed.append(f"indicators[{index}]")
    try:
        return type(form).model_validate(data), changed
    except ValidationError:
        return form, []


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _typed(value: Any, given: Any) -> Any:
    """The answer in the type of the value it replaces (numbers stay numbers)."""
    if value is None:
        return None
    if not _is_number(given):
        return value if isinstance(value, str) else format(value, "g")
    try:
        return Decimal(str(value).replace(",", "").strip())
    except ArithmeticError:
        return value


def _start(match: Any) -> int | None:
    return match.spans[0][0] if match is not None else None


def _insertion_index(count: int, spans: dict[str, list[tuple[int, int]]], start: int) -> int:
    """Before the first row whose name is printed after ``start``; at the end otherwise."""
    for i in range(count):
        name_spans = spans.get(f"indicators[{i}].name")
        if name_spans and name_spans[0][0] > start:
            return i
    return count
