"""The deterministic parser: the offline default backend."""

from __future__ import annotations

from bisect import bisect_left

from extractor.backends.base import Reading
from extractor.columns import ColumnMap
from extractor.backends.rules.forms import parse_self_evaluation, parse_target_declaration
from extractor.layout import split_lines
from extractor.segment import FormBlock, split_forms
from extractor.spec import load_spec

_NEIGHBOURS = 3   # forms looked at above (and below) a form that lost its head (bounds the cost per form)


class RulesBackend:
    """Reads a form by the labels and shapes of its cells. No network, no model.

    Every value comes with the cell(s) it was read from, and the form with the regions it was
    read in; it has nothing to repair.
    """

    name = "rules"

    def __init__(self) -> None:
        # the last document's forms (split once) and their first lines
        self._document: tuple[str, list[FormBlock], list[int]] | None = None

    def read(self, block: FormBlock, text: str) -> Reading:
        parse = parse_self_evaluation if block.form_type == "self_evaluation" else parse_target_declaration
        spec = load_spec(block.form_type)
        form, provenance, regions = parse(block, spec, self._previous_columns(block, text))
        return Reading(form, self.name, block, provenance.spans(), regions, extra=provenance.extra)

    def _previous_columns(self, block: FormBlock, text: str) -> ColumnMap | None:
        """The column roles of the nearest form of the same type above this one, else below it, that
        kept its table head (the same document: the template a form that lost its head row was
        printed in). Looked up only for such a form; the document is split once."""
        if _head_columns(block) is not None:
            return None
        if self._document is None or self._document[0] is not text:
            blocks = split_forms(split_lines(text))
            self._document = (text, blocks, [b.first_line for b in blocks])
        _, blocks, starts = self._document
        at = bisect_left(starts, block.first_line)
        above = (b for b in reversed(blocks[max(0, at - _NEIGHBOURS):at]) if b.form_type == block.form_type)
        below = (b for b in blocks[at + 1:at + 1 + _NEIGHBOURS] if b.form_type == block.form_type)
        for neighbour in (*above, *below):
            if (columns := _head_columns(neighbour)) is not None:
                return columns
        return None


def _head_columns(block: FormBlock) -> ColumnMap | None:
    """The roles of a form's own head row, when it names the 三级指标 column."""
    columns = block.head_columns
    return columns if columns is not None and "name" in columns.names else None
