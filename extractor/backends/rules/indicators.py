"""Rebuild the indicator table from OCR rows.

Rows are read by what their cells are, not by column: level labels are peeled off the
left, a self-evaluation row is anchored on its two score cells (分值, 得分), and lines
without an anchor are fragments of a neighbouring row (a cell split over a page break)
or level labels printed on a line of their own. Levels are then carried down the
table the way merged cells are read, with the framework filling a dropped level 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from extractor.columns import ColumnMap
from extractor.framework import Label, level2_from_name, only_child, parent_of
from extractor.layout import Cell, Line
from extractor.normalize import parse_number
from extractor.rows import (
    LabelState,
    find_score_anchor,
    has_comparison,
    is_number_cell,
    looks_like_actual,
    looks_like_short_target,
    looks_like_value,
    peel_labels,
    unbalanced,
)

SATISFACTION_L1 = "满意度指标"
SATISFACTION_WORD = "满意"


@dataclass(slots=True)
class RowDraft:
    """One indicator row as read, before levels are resolved."""

    line: int
    labels: list[Label] = field(default_factory=list)
    name: list[Cell] = field(default_factory=list)
    target: list[Cell] = field(default_factory=list)
    actual: list[Cell] = field(default_factory=list)
    weight: Cell | None = None
    score: Cell | None = None
    note: list[Cell] = field(default_factory=list)
    level1: str | None = None
    level2: str | None = None
    label_cells: list[Cell] = field(default_factory=list)
    extra: dict[str, list[Cell]] = field(default_factory=dict)   # columns the contract lacks (年初目标值)

    @property
    def weight_value(self):
        return (parse_number(self.weight.text) or 0) if self.weight is not None else 0

    @property
    def name_key(self) -> str:
        return "".join(c.key for c in self.name)

    def text_fields(self) -> dict[str, list[Cell]]:
        return {"name": self.name, "target": self.target, "actual": self.actual, "deviation_note": self.note}


def _in_target_column(cell: Cell, anchor_col: int | None) -> bool:
    """A lone value is the target (not the actual) when it carries a comparison sign (≥80.00(人)),
    or when it sits two columns left of the 分值 cell, the actual's cell being empty."""
    return has_comparison(cell) or (anchor_col is not None and cell.col == anchor_col - 2)


def assign_self_evaluation_cells(draft: RowDraft, rest: list[Cell], anchor_col: int | None = None) -> None:
    """name / target / actual from the cells left of the scores."""
    if len(rest) >= 3:
        draft.name, draft.target, draft.actual = list(rest[:-2]), [rest[-2]], [rest[-1]]
    elif len(rest) == 2:
        first, second = rest
        if looks_like_value(first):
            draft.target, draft.actual = [first], [second]
        elif looks_like_value(second) and _in_target_column(second, anchor_col):
            draft.name, draft.target = [first], [second]
        elif looks_like_actual(second) or not looks_like_short_target(second):
            draft.name, draft.actual = [first], [second]
        else:
            draft.name, draft.target = [first], [second]
    elif len(rest) == 1:
        (draft.actual if looks_like_actual(rest[0]) else draft.name).append(rest[0])


def assign_declaration_cells(draft: RowDraft, rest: list[Cell]) -> None:
    if len(rest) >= 2:
        draft.name, draft.target = list(rest[:-1]), [rest[-1]]
    elif rest:
        draft.name = [rest[0]]


def attach_fragments(fragments: list[Cell], previous: RowDraft) -> None:
    """Append the cells of a continuation line to the fields of the row above.

    As many fragments as filled fields: in order. Otherwise each fragment goes to the
    field whose column is nearest, an unclosed bracket (``52272.73(元``) drawing a unit tail.
    """
    slots = [cells for cells in previous.text_fields().values() if cells]
    if not slots:
        previous.name.extend(fragments)
        return
    core = slots[:3]
    for group in (slots, core):
        if len(fragments) == len(group):
            for cells, fragment in zip(group, fragments):
                cells.append(fragment)
            return
    for fragment in fragments:
        open_slots = [cells for cells in slots if unbalanced("".join(c.text for c in cells))]
        candidates = open_slots if open_slots and looks_like_value(fragment) else slots
        min(candidates, key=lambda cells: (abs(cells[0].col - fragment.col), -cells[0].col)).append(fragment)


def needs_prefix(draft: RowDraft) -> bool:
    """A row that lacks its name: the fragments above it are its beginning."""
    return not draft.name


def read_self_evaluation_rows(lines: Sequence[Line]) -> list[RowDraft]:
    state = LabelState()
    drafts: list[RowDraft] = []
    pending: list[Cell] = []
    pending_labels: list[Label] = []
    for line in lines:
        anchor = find_score_anchor(line.cells)
        head = line.cells if anchor is None else line.cells[:anchor]
        labels, label_cells, rest, _ = peel_labels(head, state)
        if anchor is None:
            if rest:
                pending.extend(rest)
            elif labels:
                pending_labels = labels
            _update_state(state, labels)
            continue
        draft = RowDraft(line=line.number, labels=pending_labels + labels, label_cells=label_cells)
        pending_labels = []
        assign_self_evaluation_cells(draft, rest, line.cells[anchor].col)
        draft.weight, draft.score = line.cells[anchor], line.cells[anchor + 1]
        draft.note = list(line.cells[anchor + 2:])
        if pending:
            _place_pending(pending, drafts, draft)
            pending = []
        _update_state(state, draft.labels)
        drafts.append(draft)
    if pending and drafts:
        attach_fragments(pending, drafts[-1])
    return drafts


def _place_pending(pending: list[Cell], drafts: list[RowDraft], draft: RowDraft) -> None:
    """Lines without scores between two rows: the tail of the row above (a cell cut by a page
    break), unless the row below lacks its name, in which case they are its beginning."""
    if drafts and not needs_prefix(draft):
        attach_fragments(pending, drafts[-1])
    else:
        draft.name[:0] = pending


def read_declaration_rows(lines: Sequence[Line]) -> list[RowDraft]:
    state = LabelState()
    drafts: list[RowDraft] = []
    pending_labels: list[Label] = []
    for line in lines:
        labels, label_cells, rest, _ = peel_labels(line.cells, state)
        if not rest:
            if labels:
                pending_labels = labels
                _update_state(state, labels)
            continue
        previous = drafts[-1] if drafts else None
        if len(rest) == 1 and not labels and previous and not previous.target and looks_like_short_target(rest[0]):
            previous.target = [rest[0]]
            continue
        draft = RowDraft(line=line.number, labels=pending_labels + labels, label_cells=label_cells)
        pending_labels = []
        assign_declaration_cells(draft, rest)
        _update_state(state, draft.labels)
        drafts.append(draft)
    return drafts


def _update_state(state: LabelState, labels: list[Label]) -> None:
    for label in labels:
        if label.level == 1:
            if label.name != state.level1:
                state.level2 = None
            state.level1 = label.name
        else:
            state.level2 = label.name
            state.level1 = parent_of(label.name, state.level1)


def resolve_levels(drafts: list[RowDraft]) -> None:
    """Carry levels down the table; move a displaced satisfaction label to its own rows.

    A merged cell's label is printed once, often beside a neighbouring row. When a row is
    labelled 满意度指标 but does not speak of satisfaction while a later unlabelled row does,
    the label belongs to that later row, and this row keeps the level carried from above.
    """
    level1: str | None = None
    level2: str | None = None
    deferred: tuple[str | None, str | None] | None = None
    for i, draft in enumerate(drafts):
        l1, l2 = _printed_levels(draft.labels)
        displaced = False
        if _is_satisfaction(l1, l2) and SATISFACTION_WORD not in draft.name_key and _later_satisfaction_row(drafts, i):
            deferred, l1, l2, displaced = (l1, l2), None, None, True
        elif deferred and not draft.labels and SATISFACTION_WORD in draft.name_key:
            (l1, l2), deferred = deferred, None
        if displaced:
            hinted = level2_from_name(draft.name_key)
            if hinted and hinted != "服务对象满意度指标":
                l1, l2 = parent_of(hinted), hinted
        if l2:
            l1 = parent_of(l2, l1 or level1) or l1
        if l1 and l1 != level1:
            level2 = None
        if l1:
            level1 = l1
        if l2:
            level2 = l2
        elif l1 and not level2:
            level2 = only_child(l1)
        draft.level1, draft.level2 = level1, level2


def _printed_levels(labels: list[Label]) -> tuple[str | None, str | None]:
    """The row's first level-1 label and its last level-2 label, as printed (None where it has none)."""
    l1 = l2 = None
    for label in labels:
        if label.level == 1:
            if l1 is None:
                l1 = label.name
        elif label.level == 2:
            l2 = label.name
    return l1, l2


def _is_satisfaction(l1: str | None, l2: str | None) -> bool:
    return l1 == SATISFACTION_L1 or (l2 is not None and parent_of(l2) == SATISFACTION_L1)


def _later_satisfaction_row(drafts: list[RowDraft], i: int) -> bool:
    for later in drafts[i + 1:]:
        if SATISFACTION_WORD in later.name_key and not any(l.level == 1 and l.name != SATISFACTION_L1 for l in later.labels):
            return True
    return False


# --- reading by the head row's column roles ----------------------------------------------------

_TEXT_ROLES = ("name", "target", "actual", "deviation_note")
_TARGET_PARTS = ("target_sign", "target", "target_unit")


def read_rows_by_role(lines: Sequence[Line], columns: ColumnMap) -> list[RowDraft]:
    """Rows of a table whose columns were named by its head row: each cell is read by its column's
    role. A row starts where a scored table prints its 分值 (or, without score columns, where a
    name is printed); other lines continue the row above, cell by cell in their columns."""
    scored = "weight" in columns.names or "score" in columns.names
    state = LabelState()
    drafts: list[RowDraft] = []
    pending_labels: list[Label] = []
    prefix: dict[str, list[Cell]] = {}
    for line in lines:
        labels, label_cells, rest, _ = peel_labels(line.cells, state)
        by_role = _cells_by_role(rest, columns, columns.offset(line, rest))
        scores = _has_number(by_role, "weight") or _has_number(by_role, "score")
        # a row starts at its 分值 (a scored table), or where a name is printed beside its level
        # labels (the last row of a cut table, a table without score columns)
        starts = scores or bool(by_role.get("name")) and (bool(labels) or not scored)
        if not starts:
            if not by_role and labels:
                pending_labels = labels
            elif drafts and not labels and not prefix:
                _extend(drafts[-1], by_role)
            else:
                pending_labels = pending_labels + labels
                for role, cells in by_role.items():
                    prefix.setdefault(role, []).extend(cells)
            _update_state(state, labels)
            continue
        draft = RowDraft(line=line.number, labels=pending_labels + labels, label_cells=label_cells)
        pending_labels = []
        for role, cells in prefix.items():
            by_role[role] = cells + by_role.get(role, [])
        prefix = {}
        _fill(draft, by_role)
        _update_state(state, draft.labels)
        drafts.append(draft)
    return drafts


def _cells_by_role(cells: Sequence[Cell], columns: ColumnMap, offset: int) -> dict[str, list[Cell]]:
    by_role: dict[str, list[Cell]] = {}
    for cell in cells:
        role = columns.role_at(cell.col + offset) or "name"
        if role in ("level1", "level2"):
            role = "name"     # not a level label, yet in a level column: a shifted name
        by_role.setdefault(role, []).append(cell)
    return by_role


def _has_number(by_role: dict[str, list[Cell]], role: str) -> bool:
    return any(is_number_cell(c) for c in by_role.get(role, ()))


def _fill(draft: RowDraft, by_role: dict[str, list[Cell]]) -> None:
    draft.name = list(by_role.get("name", ()))
    draft.target = [c for part in _TARGET_PARTS for c in by_role.get(part, ())]
    draft.target.sort(key=lambda c: (c.line, c.col))
    draft.actual = list(by_role.get("actual", ()))
    draft.note = list(by_role.get("deviation_note", ()))
    weights = [c for c in by_role.get("weight", ()) if is_number_cell(c)]
    scores = [c for c in by_role.get("score", ()) if is_number_cell(c)]
    draft.weight = weights[0] if weights else None
    draft.score = scores[0] if scores else None
    for role, cells in by_role.items():
        if role not in _TEXT_ROLES and role not in _TARGET_PARTS and role not in ("weight", "score"):
            draft.extra[role] = list(cells)


def _extend(draft: RowDraft, by_role: dict[str, list[Cell]]) -> None:
    """A continuation line (a cell cut by a page break): each cell to its column's field."""
    for role, cells in by_role.items():
        if role in _TARGET_PARTS:
            draft.target.extend(cells)
        elif role in _TEXT_ROLES:
            {"name": draft.name, "actual": draft.actual, "deviation_note": draft.note}.get(role, draft.name).extend(cells)
        elif role not in ("weight", "score"):
            draft.extra.setdefault(role, []).extend(cells)
