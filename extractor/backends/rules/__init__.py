"""The deterministic parser: the offline default backend."""

from __future__ import annotations

from extractor.backends.base import ExtractedForm
from extractor.backends.rules.forms import parse_self_evaluation, parse_target_declaration
from extractor.segment import FormBlock


class RulesBackend:
    """Reads a form by the labels and shapes of its cells. No network, no model."""

    name = "rules"

    def extract_form(self, block: FormBlock, text: str) -> ExtractedForm:
        parse = parse_self_evaluation if block.form_type == "self_evaluation" else parse_target_declaration
        form, provenance = parse(block.lines)
        return ExtractedForm(form, self.name, block.first_line, block.last_line, provenance.spans())
