"""Pydantic models of the hand-off format (``eval/data/FORMAT.md``, v1).

Two form types share one discriminated union, :data:`Form`. Money and rates are
``Decimal`` inside (exact: never rounded by binary floats) and plain JSON numbers
outside. Every key of the contract is present in the output, ``null`` where the
document does not show a value.
"""

from schemas.common import Amount, FORMAT_VERSION
from schemas.self_evaluation import FundRow, SelfEvaluationForm, SelfEvaluationFunds, SelfEvaluationIndicator
from schemas.target_declaration import DeclarationFunds, DeclarationIndicator, TargetDeclarationForm
from schemas.forms import Form, FormList, form_json_schema, parse_form

__all__ = [
    "FORMAT_VERSION",
    "Amount",
    "FundRow",
    "SelfEvaluationForm",
    "SelfEvaluationFunds",
    "SelfEvaluationIndicator",
    "TargetDeclarationForm",
    "DeclarationFunds",
    "DeclarationIndicator",
    "Form",
    "FormList",
    "form_json_schema",
    "parse_form",
]
