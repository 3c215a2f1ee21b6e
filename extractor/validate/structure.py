"""Structure: the level hierarchy, duplicate rows, and rows the extraction missed."""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Sequence

from extractor.framework import LEVEL1, allowed_parents
from extractor.layout import Cell, Line
from extractor.normalize import key, key_index, parse_number
from extractor.regions import FormRegions
from extractor.rows import LabelState, find_score_anchor, peel_labels
from extractor.validate.findings import Finding
from schemas import SelfEvaluationForm, TargetDeclarationForm

AnyForm = SelfEvaluationForm | TargetDeclarationForm
_LEVEL1 = frozenset(LEVEL1)
_KNOWN_KEY = key_index().get     # text → its key, where key() has folded it (else None: key() folds it)


def check_hierarchy(form: AnyForm) -> Iterable[Finding]:
    seen_level1: list[str] = []
    known = _KNOWN_KEY
    for i, row in enumerate(form.indicators):
        l1, l2 = row.level1, row.level2
        l1, l2 = known(l1) or key(l1), known(l2) or key(l2)     # key(), its look-up inline
        if l1 and l1 not in _LEVEL1:
            yield Finding("unknown_level", "warning", f"indicators[{i}].level1", "not a 一级指标 of the framework", found=row.level1)
        parents = allowed_parents(l2) if l2 else ()
        if l2 and not parents:
            yield Finding("unknown_level", "warning", f"indicators[{i}].level2", "not a 二级指标 of the framework", found=row.level2)
        elif l1 and l2 and l1 not in parents:
            yield Finding("hierarchy_broken", "error", f"indicators[{i}].level2", f"{row.level2} does not belong under {row.level1}",
                          expected=" / ".join(parents), found=row.level1)
        if l1:
            if seen_level1 and l1 != seen_level1[-1] and l1 in seen_level1:
                yield Finding("hierarchy_out_of_order", "warning", f"indicators[{i}].level1",
                              f"{row.level1} appears again after another section; merged cells keep a section together",
                              found=row.level1)
            if not seen_level1 or seen_level1[-1] != l1:
                seen_level1.append(l1)


def check_duplicates(form: AnyForm) -> Iterable[Finding]:
    rows = form.indicators
    known = _KNOWN_KEY
    names = [known(name) or key(name) for name in [row.name for row in rows]]     # key(), its look-up inline
    twice = {name for name, count in Counter(names).items() if count > 1}
    seen: dict[tuple, int] = {}
    for i, row in enumerate(rows):
        if names[i] not in twice:
            continue            # a name no other row has: a row like no other
        # the row's field values (flat: text and numbers), as model_dump gives them, without the dump
        signature = tuple([v if v is None else key(v) if type(v) is str else str(v) for v in vars(row).values()])
        if signature in seen:
            yield Finding("duplicate_row", "warning", f"indicators[{i}]", f"the same row as indicators[{seen[signature]}]",
                          found=row.name)
        else:
            seen[signature] = i


def check_required(form: AnyForm) -> Iterable[Finding]:
    required = ["project_name", "year", "competent_department", "implementing_unit", "funds_unit"]
    if isinstance(form, SelfEvaluationForm):
        required += ["total_score", "total_weight", "grade"]
    for name in required:
        if getattr(form, name) is None:
            yield Finding("missing_value", "warning", name, f"{name} is empty: not printed, or not read")
    if not form.indicators:
        yield Finding("missing_value", "error", "indicators", "no indicator rows extracted")
    for i, row in enumerate(form.indicators):
        if not row.name:
            yield Finding("missing_value", "warning", f"indicators[{i}].name", "an indicator row without its name")


def indicator_lines(form: AnyForm, regions: FormRegions) -> list[tuple[Line, Cell]]:
    """Source rows of the indicator table that look like indicator rows, each with its name-like cell.

    Each row's labels are peeled as from a fresh :class:`LabelState` (no level in force); one
    state serves every row, as the only field ``peel_labels`` sets (the 一级 column) is read only
    under a 一级 in force, which it never sets. The name is the first cell after the labels that
    may be one (:func:`_first_name`): a row with no such cell among all its cells has none
    after its labels either, and is not peeled."""
    self_evaluation = isinstance(form, SelfEvaluationForm)
    found = []
    state = LabelState()
    for line in regions.table:
        anchor = find_score_anchor(line.cells)
        if self_evaluation and anchor is None:
            continue
        head = line.cells if anchor is None else line.cells[:anchor]
        first = _first_name(head)
        if first is None:
            continue
        peeled = len(head) - len(peel_labels(head, state)[2])
        if peeled > first:
            first = _first_name(head, peeled)
            if first is None:
                continue
        name = head[first]
        if anchor is not None or len(name.key) > 4 or len(head) - peeled > 1:
            found.append((line, name))
    return found


# What rows.looks_like_value searches for, in two parts: a leading character (one match at the
# start, not a search that tries every branch at every character) and a part anywhere.
_VALUE_LEAD = re.compile(r"[=≥≤<>≧≦＝＞＜(（/]|\d")


def _first_name(cells: Sequence[Cell], start: int = 0) -> int | None:
    """The index of the first name-like cell from ``start`` on: two characters or more, not a
    value (``looks_like_value``), not a number (``is_number_cell``). A cell's key is its text's
    key, so a number's key starts with a digit or a sign (``parse_number`` reads the key): only
    a key that starts with + or - is parsed here (one with a digit is a value already)."""
    lead, number = _VALUE_LEAD.match, parse_number
    for i in range(start, len(cells)):
        cell = cells[i]
        k = cell.key
        if (len(k) >= 2 and lead(k) is None and "%" not in k and "％" not in k and "百分" not in k
                and (k[0] not in "+-" or number(cell.text) is None)):
            return i
    return None


class _NameIndex:
    """The extracted rows' names, indexed once: is a source cell one of them, or part of one?

    A cell matches a name when either contains the other (a name split over cells, or a cell
    holding the name and more). Exact keys are a set lookup; containment is a search in the
    names joined once, and for a name inside the cell: while the names are few for their
    lengths (at most :data:`_SCAN_PER_LENGTH` a length), each name searched for in the cell in
    one C-level pass, else the cell's own substrings of a name's length looked up: linear in
    the form either way.
    """

    def __init__(self, names: list[str]) -> None:
        self.names = set(names)
        self.lengths = sorted({len(n) for n in self.names})
        self.joined = "\x00".join(self.names)
        self.scan = tuple(self.names) if len(self.names) <= _SCAN_PER_LENGTH * len(self.lengths) else None

    def matches(self, k: str) -> bool:
        if k in self.names or k in self.joined:
            return True
        if self.scan is not None:       # a name inside k is shorter than k: k itself is not a name
            return any(map(k.__contains__, self.scan))
        return self.holds_name(k)

    def holds_name(self, k: str) -> bool:
        """Whether a name shorter than ``k`` is a substring of it, by ``k``'s substrings."""
        return any(k[i:i + n] in self.names for n in self.lengths if n < len(k) for i in range(len(k) - n + 1))


# Names a length under which one C-level scan over the names beats a look-up per substring.
_SCAN_PER_LENGTH = 32


def check_completeness(form: AnyForm, regions: FormRegions) -> Iterable[Finding]:
    """Every indicator-like source row must be among the extracted rows."""
    index = _NameIndex([k for k in (key(r.name) for r in form.indicators if r.name) if k])
    for line, cell in indicator_lines(form, regions):
        if not index.matches(cell.key):
            yield Finding("missing_row", "error", "indicators", f"source line {line.number + 1} looks like an indicator row "
                          f"that was not extracted: {cell.text}", found=None, expected=cell.text,
                          source_span=(line.start, line.start + len(line.raw)))
