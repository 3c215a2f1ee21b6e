"""Misread checks: the signs that a form's cells were read into the wrong fields.

A reader (the parser on a template it does not know, or a model) can produce a form whose
values are all printed in the source, yet misplaced. These checks notice that:

- ``label_in_value``: a level label (``产出指标``, ``数量指标``) inside a 三级指标 name, target or actual;
- ``points_in_value``: points text (``(50分)``) inside a level or a name: a level label's points
  read as part of a value;
- ``level_missing``: an indicator row whose 一级 or 二级 is null;
- ``joined_cells``: one value that is exactly the text of neighbouring cells of one printed row (two
  or more of them substantial: not a bare sign, number or unit);
- ``unexpected_column``: values in a field whose column the table's head row does not have
  (scores read from a template that prints no 得分 column);
- ``role_mismatch``: a value that cannot be in its column (a number or a bare sign as a 三级指标 name,
  a comparison with a number inside a name, a fund row's execution rate as its 分数).

Each is an error: the form goes to the model in ``hybrid``. The column roles come from the form
type's spec (:mod:`extractor.spec`), read from the head row the way the parser reads it.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import cache
from decimal import Decimal
from itertools import accumulate, chain, count
from operator import attrgetter
from typing import Any, Iterable, Sequence

from extractor.columns import ColumnMap, read_column_map
from extractor.framework import LEVEL1, LEVEL2, POINTS, resolve_label
from extractor.layout import Cell, Line
from extractor.normalize import key, key_index, parse_number
from extractor.regions import FormRegions, find_table_head
from extractor.spec import load_spec
from extractor.validate.findings import Finding
from extractor.validate.source import SourceText
from schemas import SelfEvaluationForm, TargetDeclarationForm

AnyForm = SelfEvaluationForm | TargetDeclarationForm
MISREAD_CODES = frozenset({"label_in_value", "points_in_value", "level_missing", "joined_cells",
                           "unexpected_column", "role_mismatch"})
_LEVEL_NAMES = sorted(set(LEVEL1) | set(LEVEL2), key=lambda name: (-len(name), name))  # longest first; ties in a fixed order, not the hash seed's
_LEVEL_SET = frozenset(_LEVEL_NAMES)
# A part every level name holds (指标): a value without it holds none of them (else: "", always there).
_LEVEL_PART = "指标" if all("指标" in name for name in _LEVEL_NAMES) else ""
# A character every level name holds (a label with its points too): a line without it prints no label.
_LEVEL_CHAR = min(set.intersection(*(set(name) for name in _LEVEL_NAMES)), default=None)
_KEY_OF = attrgetter("key")
_KNOWN_KEY = key_index().get     # text → its key, where key() has folded it (else None: key() folds it)
# A character every level name holds that no other character folds to (NFKC): a value whose key
# holds a level name prints it.
_LABEL_MARK = "标"
_POINTS_INSIDE = re.compile(r"[(（]\s*\d+(?:\.\d+)?\s*分\s*[)）]")
_SIGN_ONLY = re.compile(r"^[=≥≤<>≧≦＝＞＜%％]+$")
_UNIT_ONLY = re.compile(r"^[(（][^()（）\d]{1,12}[)）]$|^[%％]$|^[^\d\s]{1,3}$")
_TEXT_FIELDS = ("name", "target", "actual")
_OPTIONAL_COLUMNS = ("actual", "score", "weight", "deviation_note")
_MAX_RUN = 6
_SIGNED_NUMBER = re.compile(r"[=≥≤<>≧≦＝＞＜]\s*\d")


def check_misreads(form: AnyForm, source: SourceText, regions: FormRegions | None = None,
                   columns: ColumnMap | None = None) -> Iterable[Finding]:
    """``regions`` (the form's regions in ``source``, if known) say where the table's head row is;
    ``columns`` (if known) is that row's column map, as ``read_column_map`` reads it with the row
    under it by the form type's spec (the parser's: the findings are the same without it)."""
    yield from _labels_and_points(form)
    yield from _missing_levels(form)
    yield from _joined_cells(form, source)
    yield from _unexpected_columns(form, source, regions, columns)
    yield from _role_mismatches(form)
    if isinstance(form, SelfEvaluationForm):
        yield from _fund_role_mismatches(form)


def _labels_and_points(form: AnyForm) -> Iterable[Finding]:
    """A value's key holds 分 or 标 only where the value prints it (no other character folds to
    either): a value without them is not folded."""
    for i, row in enumerate(form.indicators):
        printed = row.__dict__
        for field in ("level1", "level2", "name"):
            value = printed[field]
            if value and "分" in value and "分" in (k := key(value)) and _POINTS_INSIDE.search(k):
                yield Finding("points_in_value", "error", f"indicators[{i}].{field}",
                              "points text read into a value (a level label's points are not part of a name)", found=value)
        for field in _TEXT_FIELDS:
            value = printed.get(field)
            if not value or _LABEL_MARK not in value:
                continue
            k = key(value)
            label = next((name for name in _LEVEL_NAMES if name in k), None) if _LEVEL_PART in k else None
            if label:
                yield Finding("label_in_value", "error", f"indicators[{i}].{field}",
                              f"the level label {label} read into a value", found=value)


def _missing_levels(form: AnyForm) -> Iterable[Finding]:
    for i, row in enumerate(form.indicators):
        for field in ("level1", "level2"):
            if not getattr(row, field) and (row.name or row.target):
                yield Finding("level_missing", "error", f"indicators[{i}].{field}",
                              "an indicator row without its place in the hierarchy")


def _joined_cells(form: AnyForm, source: SourceText) -> Iterable[Finding]:
    """A value equal to a run of neighbouring cells of one printed row that holds two or more
    substantial cells (a split 指标性质|指标值|度量单位 target is printed that way on purpose: bare
    signs, numbers and units do not count). A run is at most ``_MAX_RUN`` cells. Each value is
    flagged at its first such run in reading order, the findings in the order of their runs."""
    values = _possibly_joined(_row_values(form), source.lines)
    if not values:
        return
    rows = _printed_rows(source.lines)
    runs = _first_runs(values, rows)
    for (row, start, end), value in sorted((run, value) for value, run in runs.items()):
        span = (rows[row][start].start, rows[row][end].end)
        for i, field in values[value]:
            yield Finding("joined_cells", "error", f"indicators[{i}].{field}", "several cells' text read as one value",
                          found=value, source_span=span)


def _row_values(form: AnyForm) -> dict[str, list[tuple[int, str]]]:
    """Each text value's key → the (row, field) pairs that hold it, in row order."""
    values: dict[str, list[tuple[int, str]]] = {}
    if not form.indicators:
        return values
    fields = _row_fields(type(form.indicators[0]), _TEXT_FIELDS + ("deviation_note",))
    known = _KNOWN_KEY           # key()'s own look-up, inline: a key already folded costs no call
    for i, row in enumerate(form.indicators):
        printed = row.__dict__
        for field in fields:
            text = printed[field]
            if value := (known(text) or key(text)):
                held = values.get(value)
                if held is None:
                    values[value] = [(i, field)]
                else:
                    held.append((i, field))
    return values


@cache
def _row_fields(row_type: type, fields: tuple[str, ...]) -> tuple[str, ...]:
    """Those of ``fields`` an indicator row of this type has (one row type per form type)."""
    return tuple(f for f in fields if f in row_type.model_fields)


def _possibly_joined(values: dict[str, Any], lines: Sequence[Line]) -> dict[str, Any]:
    """The values that begin and end with another cell's key (a run's first and last cells
    are cells of the form): only they can be a run of cells.

    A key is a proper prefix of a value when it is a prefix of the value less its last character
    (a proper suffix likewise). Where the keys are few for their lengths, one ``startswith`` over
    all of them, in C; else a slice and a set look-up for each length a key has. The scan costs a
    value the number of keys, the look-ups the number of lengths: the scan is taken only while
    the keys are at most :data:`_SCAN_PER_LENGTH` a length, so a value's cost stays bounded by the
    lengths however many rows the form has (a scan over every key of a 4,000-row form made the
    check grow with the square of the rows)."""
    if not values:
        return values
    printed = set(map(_KEY_OF, chain.from_iterable([line.cells for line in lines])))
    lengths = sorted(set(map(len, printed)))
    if len(printed) <= _SCAN_PER_LENGTH * len(lengths):
        keys = tuple(printed)
        return {value: held for value, held in values.items()
                if value[:-1].startswith(keys) and value[1:].endswith(keys)}
    return {value: held for value, held in values.items() if _ends_in_keys(value, printed, lengths)}


# Keys a length under which one C-level scan over the keys beats a Python look-up per length.
_SCAN_PER_LENGTH = 32


def _ends_in_keys(value: str, keys: set[str], lengths: list[int]) -> bool:
    """Whether a proper prefix and a proper suffix of ``value`` are both among ``keys`` (whose
    lengths are ``lengths``, ascending: only prefixes and suffixes of those lengths are tried)."""
    size = len(value)
    for n in lengths:
        if n >= size:
            return False
        if value[:n] in keys:
            break
    else:
        return False
    for n in lengths:
        if n >= size:
            return False
        if value[size - n:] in keys:
            return True
    return False


def _printed_rows(lines: Sequence[Line]) -> list[Sequence[Cell]]:
    """The cells of each line of two or more, level labels left out (a label is printed in the
    row, never read into a value). A line whose text lacks a character every label holds has none."""
    rows = []
    for line in lines:
        cells = line.cells
        if len(cells) < 2:
            continue
        if _LEVEL_CHAR is None or _LEVEL_CHAR in line.key:
            cells = [c for c in cells if c.key not in _LEVEL_SET and not ("分" in c.key and _is_level_label(c))]
        rows.append(cells)
    return rows


def _first_runs(values: dict[str, Any], rows: list[Sequence[Cell]]) -> dict[str, tuple[int, int, int]]:
    """Each value's first run (row, first cell, last cell) in reading order, if it has one.

    The rows' keys are joined into one text (a row's cells back to back, rows apart by a newline,
    which no key holds), and every cell edge of it numbered in order. A value's occurrences there
    are found by ``str.find``; one is a run when it starts and ends at edges 2 to ``_MAX_RUN``
    apart (a row's last edge is its end: a run never crosses rows). The occurrences looked at are
    bounded by the text's length; past that (or with a cell whose key is empty, which has no edge
    of its own) the runs are enumerated cell by cell (:func:`_first_runs_enumerated`)."""
    keys = [list(map(_KEY_OF, cells)) for cells in rows]
    if any("" in row_keys for row_keys in keys):
        return _first_runs_enumerated(values, rows)
    texts = ["".join(row_keys) for row_keys in keys]
    text = "\n".join(texts)
    starts = list(accumulate([len(t) + 1 for t in texts[:-1]], initial=0))
    firsts = list(accumulate([len(row_keys) + 1 for row_keys in keys[:-1]], initial=0))   # each row's first edge
    edges = chain.from_iterable([accumulate(map(len, row_keys), initial=start) for row_keys, start in zip(keys, starts)])
    edge_at = dict(zip(edges, count()))
    budget = len(text)
    found = {}
    for value in values:
        if len(value) < 2:
            continue                # two cells at least, each of one character at least
        at = text.find(value)
        while at >= 0:
            budget -= 1
            if budget < 0:
                return _first_runs_enumerated(values, rows)
            first, end = edge_at.get(at), edge_at.get(at + len(value))
            if first is not None and end is not None and 2 <= end - first <= _MAX_RUN:
                row = bisect_right(firsts, first) - 1
                start = first - firsts[row]
                cells = rows[row][start:start + end - first]
                if sum([_substantial(c) for c in cells]) >= 2:
                    found[value] = (row, start, start + end - first - 1)
                    break
            at = text.find(value, at + 1)
    return found


def _first_runs_enumerated(values: dict[str, Any], rows: list[Sequence[Cell]]) -> dict[str, tuple[int, int, int]]:
    """:func:`_first_runs`, run by run: each row's runs of neighbouring cells in order, a run
    extended while some value starts with it (linear in the cells: a run is at most ``_MAX_RUN``)."""
    ordered = sorted(values)
    found: dict[str, tuple[int, int, int]] = {}
    for row, cells in enumerate(rows):
        count = len(cells)
        for start in range(count - 1):
            joined = cells[start].key
            for end in range(start + 1, min(start + _MAX_RUN, count)):
                joined += cells[end].key
                if joined in values and joined not in found and sum(_substantial(c) for c in cells[start:end + 1]) >= 2:
                    found[joined] = (row, start, end)
                at = bisect_left(ordered, joined)
                if at == len(ordered) or not ordered[at].startswith(joined):
                    break               # no value starts with the run: a longer run cannot be one
    return found


def _substantial(cell: Cell) -> bool:
    return not _SIGN_ONLY.match(cell.key) and not _UNIT_ONLY.match(cell.key) and parse_number(cell.text) is None


def _is_level_label(cell: Cell) -> bool:
    k = cell.key
    return (POINTS.sub("", k) if "分" in k else k) in _LEVEL_SET


def _unexpected_columns(form: AnyForm, source: SourceText, regions: FormRegions | None = None,
                        columns: ColumnMap | None = None) -> Iterable[Finding]:
    """Values in a field whose column a complete head row does not print. A head is complete when
    each of its cells names a known column and no row prints more cells than it has columns.
    ``columns``, when given, is the head row's column map already read (see :func:`check_misreads`)."""
    if not form.indicators or not _row_fields(type(form.indicators[0]), _OPTIONAL_COLUMNS):
        return                  # a row type without optional columns (申报表): nothing to find
    lines = source.lines
    at = regions.head_at if regions is not None else find_table_head(lines)
    if at is None:
        return
    spec = load_spec(form.form_type)
    if columns is None:
        columns = read_column_map(lines[at], lines[at + 1:at + 2], spec)
    if columns is None or any(spec.indicator_role(c.text) is None and resolve_label(c.text) is None for c in lines[at].cells):
        return
    widest = max((len(line.cells) for line in lines[at + 1:]), default=0)
    if widest > len(columns.roles):
        return
    printed = set(columns.names)
    for field in _row_fields(type(form.indicators[0]), _OPTIONAL_COLUMNS):
        if field in printed:
            continue
        rows = [i for i, row in enumerate(form.indicators) if getattr(row, field) is not None]
        if rows:
            yield Finding("unexpected_column", "error", f"indicators[{rows[0]}].{field}",
                          f"values for a column the table does not print ({len(rows)} rows)", found=field)


def _role_mismatches(form: AnyForm) -> Iterable[Finding]:
    for i, row in enumerate(form.indicators):
        name = key(row.name)
        if name.isalpha():
            continue            # letters only (as Chinese is): no digit, no sign
        if name and (parse_number(name) is not None or _SIGN_ONLY.match(name)):
            yield Finding("role_mismatch", "error", f"indicators[{i}].name",
                          "a number or a sign read as a 三级指标 name", found=row.name)
        elif _SIGNED_NUMBER.search(name):
            yield Finding("role_mismatch", "error", f"indicators[{i}].name",
                          "a target (a comparison and a number) read into a 三级指标 name", found=row.name)


def _fund_role_mismatches(form: SelfEvaluationForm) -> Iterable[Finding]:
    """A fund 分数 that is the row's own execution rate (执行数/预算数): the rate read into the weight
    column (a template whose fund columns stand in another order)."""
    for name, row in form.funds:
        if row.weight is None or not row.annual_budget or row.executed is None or row.execution_rate == row.weight:
            continue
        rate = row.executed / row.annual_budget * 100
        if abs(rate - row.weight) < Decimal("0.01"):
            yield Finding("role_mismatch", "error", f"funds.{name}.weight",
                          "the fund row's execution rate read as its weight", expected=None, found=row.weight)
