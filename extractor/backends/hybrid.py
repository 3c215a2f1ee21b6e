"""The hybrid backend: the parser first; the model only for forms the validators reject.

A parser form goes to the model when validation finds a value not printed where it belongs
(``ungrounded``, ``misplaced_value``), a missed row (``missing_row``), no rows at all, or a
broken hierarchy. Arithmetic findings do not send a form: the numbers are printed, and a model
must not change them.

The two readings are merged field by field: a grounded parser value stays; a field the parser
left empty or could not ground takes the model's value if that one is grounded. Indicator rows
are merged row by row when both readings have the same rows, otherwise the reading with fewer
indicator errors wins (the parser on a tie). The merged form is validated afresh.
"""

from __future__ import annotations

from typing import Any

from extractor.backends.base import ExtractedForm
from extractor.backends.llm import LLMBackend
from extractor.backends.rules import RulesBackend
from extractor.errors import FormexError
from extractor.fieldpath import get_path, set_path
from extractor.segment import FormBlock
from extractor.validate import FormValidation, SourceText, validate_form
from extractor.validate.grounding import leaves

MODEL_CODES = frozenset({"ungrounded", "misplaced_value", "missing_row", "hierarchy_broken"})


def model_reasons(validation: FormValidation) -> list[str]:
    """Why a parser form needs the model (empty: it does not)."""
    reasons = {f.code for f in validation.errors() if f.code in MODEL_CODES}
    if any(f.code == "missing_value" and f.path == "indicators" and f.severity == "error" for f in validation.findings):
        reasons.add("no_rows")
    return sorted(reasons)


def _grounded(validation: FormValidation, path: str) -> bool:
    return validation.alignment.get(path, "none") != "none"


def _indicator_errors(validation: FormValidation) -> int:
    return sum(1 for f in validation.errors() if f.path.startswith("indicators"))


def merge_forms(parsed: ExtractedForm, modelled: ExtractedForm) -> tuple[Any, list[str]]:
    """The merged form data and the paths whose value came from the model."""
    assert parsed.validation is not None and modelled.validation is not None
    ours, theirs = parsed.form.model_dump(), modelled.form.model_dump()
    taken: list[str] = []
    same_rows = len(ours["indicators"]) == len(theirs["indicators"])
    if not same_rows and _indicator_errors(modelled.validation) < _indicator_errors(parsed.validation):
        ours["indicators"] = theirs["indicators"]
        taken.append("indicators")
    for path, value in leaves(theirs):
        if path.startswith("indicators") and not same_rows:
            continue
        current = get_path(ours, path)
        if (current is None or not _grounded(parsed.validation, path)) and _grounded(modelled.validation, path):
            if current != value:
                set_path(ours, path, value)
                taken.append(path)
    return ours, taken


class HybridBackend:
    """The parser for every form, the model for the forms the validators reject."""

    name = "hybrid"

    def __init__(self, model: LLMBackend, parser: RulesBackend | None = None) -> None:
        self.model = model
        self.parser = parser or RulesBackend()

    @property
    def budget_exhausted(self) -> bool:
        return self.model.budget_exhausted

    def describe(self) -> dict[str, Any]:
        return self.model.describe()

    def extract_forms(self, blocks: list[FormBlock], text: str) -> list[ExtractedForm | FormexError]:
        parsed: list[ExtractedForm] = []
        for block in blocks:
            form = self.parser.extract_form(block, text)
            form.validation = validate_form(form.form, SourceText.of_lines(text, block.lines))
            parsed.append(form)
        reasons = [model_reasons(p.validation) for p in parsed]  # type: ignore[arg-type]
        chosen = [i for i, r in enumerate(reasons) if r]
        answers = self.model.extract_forms([blocks[i] for i in chosen], text) if chosen else []
        by_index = dict(zip(chosen, answers))
        return [self._combine(block, parsed[i], reasons[i], by_index.get(i), text) for i, block in enumerate(blocks)]

    def _combine(self, block: FormBlock, parsed: ExtractedForm, reasons: list[str],
                 modelled: ExtractedForm | FormexError | None, text: str) -> ExtractedForm:
        extraction: dict[str, Any] = {"backend": self.name, "sent_to_model": bool(reasons), "reasons": reasons}
        if isinstance(modelled, FormexError):
            extraction["model_error"] = modelled.as_dict()
        elif modelled is not None:
            data, taken = merge_forms(parsed, modelled)
            form = type(parsed.form).model_validate(data)
            parsed = ExtractedForm(form, self.name, block.first_line, block.last_line, parsed.spans,
                                   validation=validate_form(form, SourceText.of_lines(text, block.lines)))
            extraction.update(self.model.describe(), usage=modelled.extraction.get("usage"), fields_from_model=taken)
        parsed.backend = self.name
        parsed.extraction = extraction
        return parsed
