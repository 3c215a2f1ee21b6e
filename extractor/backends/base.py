"""What a backend is: it reads a form; the pipeline validates it.

A backend implements one method, ``read(block, text) -> Reading``: the form as the backend
read it and the provenance of its values (field path → the source spans it read them from).
A backend that can do better once it knows what validation found offers a second, optional
method, ``repair(reading, validation, block, text, validate=...) -> Reading``: the model's
targeted re-ask, the hybrid's model fallback. Backends never validate; the pipeline
(:mod:`extractor.pipeline`) does, once per reading, in a fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

from extractor.errors import FormexError, InternalError
from extractor.log import get_logger
from extractor.regions import FormRegions
from extractor.segment import FormBlock
from schemas import SelfEvaluationForm, TargetDeclarationForm

if TYPE_CHECKING:
    from extractor.validate import FormValidation

AnyForm = SelfEvaluationForm | TargetDeclarationForm
Spans = dict[str, list[tuple[int, int]]]
log = get_logger("backends")
# What a form carries in the output beyond the hand-off fields (see ExtractedForm.to_json).
RESULT_EXTRAS = ("validation", "spans", "alignment", "source_lines", "extraction", "extra")


@dataclass
class Reading:
    """One form as a backend read it.

    ``provenance`` holds only spans the backend can vouch for: the parser's own cells. A model
    gives none; validation searches the source for its values. ``regions`` are the ones the
    backend read the form in (the parser's), so that validation does not split the form again.
    ``context`` is the backend's own state between ``read`` and ``repair`` (never written out).
    """

    form: AnyForm
    backend: str
    block: FormBlock
    provenance: Spans = field(default_factory=dict)
    regions: FormRegions | None = None
    extraction: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)        # printed values the contract has no field for
    context: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class ExtractedForm:
    """One form of a result: the reading, assembled with its validation (see :mod:`extractor.pipeline`)."""

    form: AnyForm
    backend: str
    first_line: int
    last_line: int
    spans: Spans = field(default_factory=dict)
    validation: "FormValidation | None" = None
    extraction: dict[str, Any] = field(default_factory=dict)   # model, prompt version, usage (model backends)
    extra: dict[str, Any] = field(default_factory=dict)        # printed values the contract has no field for

    def to_json(self) -> dict:
        """The form object of the hand-off format, plus its validation, spans and alignment."""
        data = self.form.model_dump(mode="json")
        if self.validation is not None:
            data["validation"] = self.validation.as_dict()
        if self.spans or self.validation is not None:
            data["spans"] = {path: [list(s) for s in spans] for path, spans in self.spans.items()}
        if self.validation is not None:
            data["alignment"] = self.validation.alignment
        data["source_lines"] = [self.first_line + 1, self.last_line + 1]
        if self.extraction:
            data["extraction"] = self.extraction
        if self.extra:
            data["extra"] = self.extra
        return data


Validate = Callable[[Reading], "FormValidation"]


class Backend(Protocol):
    """Reads one form's block of OCR lines into a form of the hand-off schema."""

    name: str

    def read(self, block: FormBlock, text: str) -> Reading:
        """``text`` is the whole document; ``block`` says which lines are this form's."""
        ...


def read_all(backend: Backend, blocks: list[FormBlock], text: str) -> list[Reading | FormexError]:
    """Every block of a document; a failed form is returned as its error and the others go on.

    A backend that can read forms concurrently (the model backends) offers ``read_forms``.
    """
    batch = getattr(backend, "read_forms", None)
    if batch is not None:
        return batch(blocks, text)
    results: list[Reading | FormexError] = []
    for block in blocks:
        try:
            results.append(backend.read(block, text))
        except FormexError as exc:
            results.append(exc)
        except Exception as exc:  # a bug on one form: that form fails, the others are read
            log.debug("internal error reading lines %d-%d", block.first_line + 1, block.last_line + 1, exc_info=exc)
            results.append(InternalError.from_exception(exc))
    return results


def repair_all(backend: Backend, pairs: list[tuple[Reading, "FormValidation"]], text: str,
               validate: Validate) -> list[Reading]:
    """Each reading after the backend's repair (the same reading when it has none to offer).

    A backend repairs many forms at once (concurrently) through ``repair_forms``, or one at a
    time through ``repair``. A repair never fails a form: a failed repair keeps the reading.
    """
    batch = getattr(backend, "repair_forms", None)
    if batch is not None:
        return batch(pairs, text, validate)
    repair = getattr(backend, "repair", None)
    if repair is None:
        return [reading for reading, _ in pairs]
    return [repair(reading, validation, reading.block, text, validate=validate) for reading, validation in pairs]
