"""The one-method interface every extraction backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from extractor.segment import FormBlock
from schemas import SelfEvaluationForm, TargetDeclarationForm

AnyForm = SelfEvaluationForm | TargetDeclarationForm


@dataclass
class ExtractedForm:
    """One form as a backend read it, with the source spans it can vouch for."""

    form: AnyForm
    backend: str
    first_line: int
    last_line: int
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)


class Backend(Protocol):
    """Turns one form's block of OCR lines into a form of the hand-off schema."""

    name: str

    def extract_form(self, block: FormBlock, text: str) -> ExtractedForm:
        """``text`` is the whole document; ``block`` says which lines are this form's."""
        ...
