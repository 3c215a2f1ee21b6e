"""The one-method interface every extraction backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from extractor.errors import FormexError
from extractor.segment import FormBlock
from schemas import SelfEvaluationForm, TargetDeclarationForm

if TYPE_CHECKING:
    from extractor.validate import FormValidation

AnyForm = SelfEvaluationForm | TargetDeclarationForm
# What a form carries in the output beyond the hand-off fields (see ExtractedForm.to_json).
RESULT_EXTRAS = ("validation", "spans", "alignment", "source_lines", "extraction")


@dataclass
class ExtractedForm:
    """One form as a backend read it, with the source spans it can vouch for."""

    form: AnyForm
    backend: str
    first_line: int
    last_line: int
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    validation: "FormValidation | None" = None
    extraction: dict[str, Any] = field(default_factory=dict)   # model, prompt version, usage (model backends)

    def to_json(self) -> dict:
        """The form object of the hand-off format, plus its validation, spans and alignment."""
        data = self.form.model_dump(mode="json")
        if self.validation is not None:
            data["validation"] = self.validation.as_dict()
            data["spans"] = {path: [list(s) for s in spans] for path, spans in self.validation.spans.items()}
            data["alignment"] = self.validation.alignment
        data["source_lines"] = [self.first_line + 1, self.last_line + 1]
        if self.extraction:
            data["extraction"] = self.extraction
        return data


class Backend(Protocol):
    """Turns one form's block of OCR lines into a form of the hand-off schema."""

    name: str

    def extract_form(self, block: FormBlock, text: str) -> ExtractedForm:
        """``text`` is the whole document; ``block`` says which lines are this form's."""
        ...


def extract_all(backend: Backend, blocks: list[FormBlock], text: str) -> list["ExtractedForm | FormexError"]:
    """Every block of a document; a failed form is returned as its error and the others go on.

    A backend that can read forms concurrently (the model backends) offers ``extract_forms``.
    """
    batch = getattr(backend, "extract_forms", None)
    if batch is not None:
        return batch(blocks, text)
    results: list[ExtractedForm | FormexError] = []
    for block in blocks:
        try:
            results.append(backend.extract_form(block, text))
        except FormexError as exc:
            results.append(exc)
    return results
