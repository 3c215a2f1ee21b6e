"""The deterministic parser: the offline default backend."""

from __future__ import annotations

from extractor.backends.base import Reading
from extractor.backends.rules.forms import parse_self_evaluation, parse_target_declaration
from extractor.segment import FormBlock


class RulesBackend:
    """Reads a form by the labels and shapes of its cells. No network, no model.

    Every value comes with the cell(s) it was read from, and the form with the regions it was
    read in; it has nothing to repair.
    """

    name = "rules"

    def read(self, block: FormBlock, text: str) -> Reading:
        parse = parse_self_evaluation if block.form_type == "self_evaluation" else parse_target_declaration
        form, provenance, regions = parse(block.lines)
        return Reading(form, self.name, block, provenance.spans(), regions)
