"""The hybrid backend: the parser first; the model only for forms the validators reject.

A parser form goes to the model when validation finds a value not printed where it belongs
(``ungrounded``, ``misplaced_value``), a missed row (``missing_row``), no rows at all, a
broken hierarchy, or a misread (:mod:`extractor.validate.misread`: a label or points inside a
value, a row without its level, two cells joined, a column the template does not print, a value
whose column role does not fit). Arithmetic findings do not send a form: the numbers are printed, and a model
must not change them.

The two readings are merged field by field: a grounded parser value stays; a field the parser
left empty or could not ground takes the model's value if that one is grounded. Indicator rows
are merged row by row when both readings have the same rows, otherwise the reading with fewer
indicator errors wins (the parser on a tie). The merged form is validated afresh (by the
pipeline). The parser's provenance stays with the values it read; values taken from the model
have none, and validation searches for them.

``read`` is the parser's; the model comes in as the ``repair``, given the parser reading's
validation. The model reading is validated by the pipeline's own validation, passed in.
"""

from __future__ import annotations

from typing import Any

from extractor.backends.base import Reading, Validate
from extractor.backends.llm import LLMBackend
from extractor.backends.rules import RulesBackend
from extractor.errors import FormexError
from extractor.fieldpath import get_path, set_path
from extractor.segment import FormBlock
from extractor.validate import FormValidation
from extractor.validate.grounding import leaves
from extractor.validate.misread import MISREAD_CODES

MODEL_CODES = frozenset({"ungrounded", "misplaced_value", "missing_row", "hierarchy_broken"}) | MISREAD_CODES


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


def merge_forms(parsed: Reading, parsed_validation: FormValidation, modelled: Reading,
                modelled_validation: FormValidation) -> tuple[Any, list[str]]:
    """The merged form data and the paths whose value came from the model."""
    ours, theirs = parsed.form.model_dump(), modelled.form.model_dump()
    taken: list[str] = []
    same_rows = len(ours["indicators"]) == len(theirs["indicators"])
    if not same_rows and _indicator_errors(modelled_validation) < _indicator_errors(parsed_validation):
        ours["indicators"] = theirs["indicators"]
        taken.append("indicators")
    for path, value in leaves(theirs):
        if path.startswith("indicators") and not same_rows:
            continue
        current = get_path(ours, path)
        if (current is None or not _grounded(parsed_validation, path)) and _grounded(modelled_validation, path):
            if current != value:
                set_path(ours, path, value)
                taken.append(path)
    return ours, taken


def _provenance_kept(provenance: dict[str, list[tuple[int, int]]], taken: list[str]) -> dict[str, list[tuple[int, int]]]:
    """The parser's spans, less those of the values the model replaced."""
    if "indicators" in taken:
        provenance = {p: s for p, s in provenance.items() if not p.startswith("indicators")}
    return {p: s for p, s in provenance.items() if p not in taken}


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

    def read(self, block: FormBlock, text: str) -> Reading:
        reading = self.parser.read(block, text)
        reading.backend = self.name
        reading.extraction = {"backend": self.name, "sent_to_model": False, "reasons": []}
        return reading

    def repair_forms(self, pairs: list[tuple[Reading, FormValidation]], text: str,
                     validate: Validate) -> list[Reading]:
        """The model's reading (read, validated, re-asked, validated) of each rejected form, merged."""
        reasons = [model_reasons(v) for _, v in pairs]
        chosen = [i for i, r in enumerate(reasons) if r]
        if not chosen:
            return [r for r, _ in pairs]
        answers = self.model.read_forms([pairs[i][0].block for i in chosen], text)
        modelled: dict[int, Any] = dict(zip(chosen, answers))
        ok = [i for i in chosen if isinstance(modelled[i], Reading)]
        checked = [(modelled[i], validate(modelled[i])) for i in ok]
        for i, (first, validation), repaired in zip(ok, checked, self.model.repair_forms(checked, text, validate)):
            modelled[i] = (repaired, validation if repaired is first else validate(repaired))
        return [self._combine(pair, reasons[i], modelled.get(i)) for i, pair in enumerate(pairs)]

    def repair(self, reading: Reading, validation: FormValidation, block: FormBlock, text: str,
               validate: Validate) -> Reading:
        return self.repair_forms([(reading, validation)], text, validate)[0]

    def _combine(self, pair: tuple[Reading, FormValidation], reasons: list[str], modelled: Any) -> Reading:
        parsed, validation = pair
        extraction: dict[str, Any] = {"backend": self.name, "sent_to_model": bool(reasons), "reasons": reasons}
        if modelled is None:
            return parsed
        if isinstance(modelled, FormexError):
            extraction["model_error"] = modelled.as_dict()
            parsed.extraction = extraction
            return parsed
        model_reading, model_validation = modelled
        data, taken = merge_forms(parsed, validation, model_reading, model_validation)
        form = type(parsed.form).model_validate(data)
        extraction.update(self.model.describe(), usage=model_reading.extraction.get("usage"), fields_from_model=taken)
        return Reading(form, self.name, parsed.block, _provenance_kept(parsed.provenance, taken),
                       parsed.regions, extraction)
