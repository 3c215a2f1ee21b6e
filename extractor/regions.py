"""The regions of a form: the head (names, funds, goals), the indicator table, the tail (总分, 评分等级).

Shared by the parser (which reads each region) and the validators (which check that a
value is printed in the region its field belongs to).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from extractor.framework import is_section_label, resolve_label
from extractor.layout import Line
from extractor.normalize import parse_number
from extractor.spec import all_specs, any_of, label_search, load_spec, match_role
from extractor.textconv import simplified

_NAME_HEADS = tuple(sorted({label for spec in all_specs() for label in spec.indicator_columns.get("name", ())}))
_TAIL = load_spec("self_evaluation").tail


_NAMES_HEAD = any_of(_NAME_HEADS)
# a character every such label prints (指): a line without it names no 三级指标 column (one quick test)
_NAME_HEAD_CHAR = min(set.intersection(*map(set, _NAME_HEADS)), default="")


def is_table_head(line: Line) -> bool:
    """The indicator table's head row: it names the 三级指标 column (or its synonyms), or both levels."""
    keys = simplified(line.key)
    if keys.isascii() and _HEAD_LABELS_NON_ASCII:     # a number row, say: it prints none of the labels below
        return False
    if "三级指标" in keys or ("一级指标" in keys and "二级指标" in keys):
        return True
    cells = line.cells
    if len(cells) >= 2 and _NAME_HEAD_CHAR in keys and _NAMES_HEAD(keys):
        return True
    # a sub-head row whose head row OCR lost (指标性质 | 指标值 | 度量单位): its cells name columns, so
    # the line prints a column label (one search rules out most rows)
    return len(cells) >= 3 and _MENTIONS_COLUMN(keys) is not None and all(_names_indicator_column(c.text) for c in cells)


# Every spec's indicator column labels in one table: a text names a column of some spec exactly when
# it names one of this table (one lookup, not one per spec).
_ANY_COLUMN = {role: tuple(label for spec in all_specs() for label in spec.indicator_columns.get(role, ()))
               for role in dict.fromkeys(role for spec in all_specs() for role in spec.indicator_columns)}


_MENTIONS_COLUMN = label_search(_ANY_COLUMN)
_HEAD_LABELS_NON_ASCII = not any(label.isascii() for labels in _ANY_COLUMN.values() for label in labels)


def _names_indicator_column(text: str) -> bool:
    """A cell that names an indicator column of some spec (the role first: a name is looked up once)."""
    return match_role(_ANY_COLUMN, text) is not None and parse_number(text) is None


_TOTAL, _GRADE = _TAIL["total"], _TAIL["grade"]
_TAIL_LABELS = _TOTAL + _GRADE


def is_total_row(line: Line) -> bool:
    """总分 / 合计 (the spec's ``tail.total`` labels)."""
    return bool(line.cells) and simplified(line.cells[0].key).startswith(_TOTAL)


def is_grade_row(line: Line) -> bool:
    """评分等级 / 自评等级 / 评价结论 (the spec's ``tail.grade`` labels)."""
    return bool(line.cells) and simplified(line.cells[0].key).startswith(_GRADE)


_TRAILER = ("注:", "注：", "说明:", "说明：", "填报人", "填表人", "单位负责人", "财务负责人", "项目负责人", "联系电话", "填报日期", "审核人")


def is_trailer_line(line: Line) -> bool:
    """A note or signature line under the table (注：…, 填报人：, 联系电话：): not an indicator row."""
    return bool(line.cells) and simplified(line.cells[0].key).startswith(_TRAILER)


def _until_trailer(rows: Sequence[Line]) -> Sequence[Line]:
    """The rows above the first note or signature line."""
    for i, line in enumerate(rows):
        if line.cells and simplified(line.cells[0].key).startswith(_TRAILER):
            return rows[:i]
    return rows


def find_table_head(lines: Sequence[Line]) -> int | None:
    """Index of the indicator table's head row, or None when OCR lost it."""
    for i, line in enumerate(lines):
        if is_table_head(line):
            return i
    return None


def split_at_table(lines: Sequence[Line]) -> tuple[Sequence[Line], Sequence[Line]]:
    """Lines above the indicator table, and the table's rows (its head row dropped).

    Without a head row (lost by OCR) the table starts at the first row led by a level-1 label.
    """
    return split_at_head(lines, find_table_head(lines))


def split_at_head(lines: Sequence[Line], i: int | None) -> tuple[Sequence[Line], Sequence[Line]]:
    """:func:`split_at_table` where the head row's index (or None: lost) is already known."""
    if i is not None:       # a head row repeated over a later block (年度绩效目标2 | 一级指标 …) is no row
        return lines[:i], [line for line in _until_trailer(lines[i + 1:]) if not is_table_head(line)]
    for i, line in enumerate(lines):
        cells = [c for c in line.cells if not is_section_label(c.text)]
        if cells and (label := resolve_label(cells[0].text)) and label.level == 1 and label.complete:
            return lines[:i], _until_trailer(lines[i:])
    return lines, ()


def split_self_evaluation_tail(table: Sequence[Line], fund_weight=0) -> tuple[Sequence[Line], Sequence[Line]]:
    """Indicator rows, then the 总分 / 评分等级 lines (a 总分 row may have lost its label)."""
    for i, line in enumerate(table):
        cells = line.cells
        if cells and (simplified(cells[0].key).startswith(_TAIL_LABELS)
                      or len(cells) == 2 and _is_unlabelled_total(line, table[:i], fund_weight)
                      or len(cells) == 1 and _is_lone_total(line, table[i + 1:])):
            return table[:i], table[i:]
    return table, ()


def _is_lone_total(line: Line, below: Sequence[Line]) -> bool:
    """One bare number closing the table (a 总分 row that lost its label, in a table with one score
    column): only the grade, notes or nothing follow it."""
    if len(line.cells) != 1 or parse_number(line.cells[0].text) is None:
        return False
    return all(l.is_blank or is_grade_row(l) or is_trailer_line(l) for l in below)


def _is_unlabelled_total(line: Line, above: Sequence[Line], fund_weight) -> bool:
    """Two bare numbers after the rows: 分值 sum and 得分 sum (the 总分 label was lost)."""
    if len(line.cells) != 2 or not all(parse_number(c.text) is not None for c in line.cells):
        return False
    weights = sum((parse_number(l.cells[-2].text) or 0) for l in above if len(l.cells) >= 4 and parse_number(l.cells[-2].text) is not None)
    total_weight = parse_number(line.cells[0].text)
    return total_weight is not None and (total_weight == 100 or abs(total_weight - weights - (fund_weight or 0)) < 1)


@dataclass(frozen=True)
class FormRegions:
    """A form's lines in three parts: the head, the indicator rows, the tail (self-evaluation only)."""

    head: Sequence[Line]
    table: Sequence[Line]
    tail: Sequence[Line] = ()
    head_at: int | None = None     # index of the table's head row in the form's lines (None: not found)

    def get(self, name: str) -> Sequence[Line]:
        return getattr(self, name)


FIND = object()   # form_regions' ``head_at`` when the caller has not looked for the head row


def form_regions(lines: Sequence[Line], self_evaluation: bool, fund_weight=None, *, head_at=FIND,
                 at_table: tuple[Sequence[Line], Sequence[Line]] | None = None) -> FormRegions:
    """The one place a form is split into regions, for the parser, the validators and re-validation.

    ``fund_weight`` (the 资金 row's 分数) helps recognise a 总分 row that lost its label;
    ``head_at`` is the table head row's index (None: lost) and ``at_table`` the head/table split,
    when the caller already found them.
    """
    if head_at is FIND:
        head_at = find_table_head(lines)
    head, table = at_table if at_table is not None else split_at_head(lines, head_at)
    rows, tail = split_self_evaluation_tail(table, fund_weight) if self_evaluation else (table, ())
    return FormRegions(head, rows, tail, head_at)
