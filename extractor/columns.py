"""Column roles of the indicator table, found from its head row's labels.

The head row (and a sub-head row below it, such as 指标性质 | 指标值 | 度量单位 under a merged
年度指标值) is read cell by cell: each label is mapped to a role by the spec's synonyms
(分值 = 权重, 年度指标值 = 指标值, 年初目标值 is a column of its own). A template whose columns are
the standard ones is read by the content rules (which survive a lost or shifted head); any other
layout (a split target, an extra or a missing column) is read by role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

from extractor.framework import resolve_key
from extractor.layout import Cell, Line
from extractor.normalize import parse_number
from extractor.spec import UNSEEN, FormSpec, known_roles, mentions_label
from extractor.textconv import simplified

STANDARD_ROLES = {
    "self_evaluation": ("level1", "level2", "name", "target", "actual", "weight", "score", "deviation_note"),
    "target_declaration": ("level1", "level2", "name", "target"),
}


@dataclass(frozen=True)
class ColumnMap:
    """The table's roles by column: ``roles`` holds (column, role) in printed order."""

    roles: tuple[tuple[int, str], ...]
    width: int      # fields of the head row (tab-separated, empty ones counted)
    sub_head: bool = False   # the row below the head was a sub-head (指标性质 | 指标值 | 度量单位)

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple([role for _, role in self.roles])

    def role_at(self, col: int) -> str | None:
        """The role of a column: the head cell at or nearest left of it (a merged head spans right)."""
        found = None
        for head_col, role in self.roles:
            if head_col <= col:
                found = role
        return found

    def offset(self, line: Line, cells: Sequence[Cell]) -> int:
        """How far a row's cells sit left of the head's columns (OCR dropped or doubled leading
        empty cells): the shift under which the cells best fit their columns' roles (numbers in
        分值/得分, a sign in 指标性质, words in 三级指标), unshifted or right-aligned on a tie."""
        right = self.width - (line.raw.count("\t") + 1)
        candidates = [0, right, *range(-_MAX_SHIFT, _MAX_SHIFT + 1)]
        return max(candidates, key=lambda shift: (self._fit(cells, shift), shift == right, shift == 0))

    def _fit(self, cells: Sequence[Cell], shift: int) -> int:
        return sum(_role_fit(self.role_at(c.col + shift), c) for c in cells)

    def is_standard(self, form_type: str) -> bool:
        """Columns the content rules read correctly: a subsequence of the standard layout, and for
        a 自评表 both score columns."""
        standard = STANDARD_ROLES[form_type]
        names = self.names
        if not set(names).issubset(standard) or len(set(names)) != len(names):
            return False
        if [r for r in standard if r in names] != list(names):
            return False
        return form_type != "self_evaluation" or {"weight", "score", "name"} <= set(names)


_MAX_SHIFT = 2
_SIGN = re.compile(r"^[=≥≤<>≧≦＝＞＜]{1,2}$")


def _role_fit(role: str | None, cell: Cell) -> int:
    """How well a cell's content fits a column role (positive: fits; negative: cannot be)."""
    number = parse_number(cell.text) is not None
    if role is None:
        return -3
    if role in ("weight", "score"):
        return 2 if number else -2
    if role == "target_sign":
        return 2 if _SIGN.match(cell.key) else -2
    if role == "name":
        return -2 if number or _SIGN.match(cell.key) else 1
    if role in ("level1", "level2"):
        return -1
    if role == "target":
        return -1 if _SIGN.match(cell.key) else 0
    return -1 if _SIGN.match(cell.key) else 0


def _roles(line: Line, spec: FormSpec) -> list[tuple[int, str]]:
    """(column, role) of each cell that names a column and is no level label itself."""
    known = known_roles(spec.indicator_columns).get
    roles = []
    for cell in line.cells:
        role = known(cell.text, UNSEEN)
        if role is UNSEEN:
            role = spec.indicator_role(cell.text)
        if role is not None and resolve_key(cell.key) is None:      # resolve_label of its text
            roles.append((cell.col, role))
    return roles


def _is_sub_head(line: Line, spec: FormSpec) -> bool:
    """A row of column labels only (指标性质 | 指标值 | 度量单位)."""
    if not line.cells or not mentions_label(spec.indicator_columns, simplified(line.key)):
        return False        # no cell can name a column (one search)
    if any(parse_number(c.text) is not None for c in line.cells):
        return False
    return all(spec.indicator_role(c.text) is not None for c in line.cells)


def _aligned_sub_head(head: dict[int, str], sub: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Sub-head roles placed under their merged head cell (OCR may have shifted the sub-head row):
    a sub-head that names a head's role (指标值 under 年度指标值) starts at that head's column."""
    sub_roles = {role for _, role in sub}
    anchor = next((col for col, role in sorted(head.items()) if role in sub_roles), None)
    if anchor is None or not sub:
        return sub
    shift = anchor - sub[0][0]
    return [(col + shift, role) for col, role in sub]


def read_column_map(head: Line | None, below: Sequence[Line], spec: FormSpec) -> ColumnMap | None:
    """The table's column roles from its head row (None when the head was lost or names < 3 roles)."""
    if head is None:
        return None
    by_col = dict(_roles(head, spec))
    width = head.raw.count("\t") + 1
    sub_head = bool(below) and _is_sub_head(below[0], spec)
    if sub_head:
        by_col.update(_aligned_sub_head(by_col, _roles(below[0], spec)))
        width = max(width, below[0].raw.count("\t") + 1)
    if len(by_col) < 3:
        return None
    if "target" not in by_col.values():
        # a template whose only target column is 年初目标值 (A): that column is the target
        by_col = {col: "target" if role == "initial_target" else role for col, role in by_col.items()}
    return ColumnMap(tuple(sorted(by_col.items())), width, sub_head)
