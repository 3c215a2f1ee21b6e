"""What a row's cells are, judged by their content: the neutral classifiers of the form model.

A level label, a plain number, a value (a target or actual such as ``≥80.00(%)``), or text;
where a self-evaluation row's two score cells (分值, 得分) are; which leading cells of a row
are level labels. The parser reads rows with these, and the validators use the same ones to
find the indicator rows of a source, so both judge a row the same way. This module imports
no backend and no validator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from extractor.framework import (OLDER_LEVEL2, SECTION_LABELS, SUFFIXES, Label, allowed_parents, is_suffix_key,
                                 resolve_key)
from extractor.layout import Cell
from extractor.normalize import parse_number

_VALUE = re.compile(r"^[=≥≤<>≧≦＝＞＜]|^\d|%|％|百分|^\(|^（|^/")
_COMPARISON = re.compile(r"^[=≥≤<>≧≦＝＞＜]")
_ACHIEVEMENT = re.compile(r"达成|完成|未达")


def has_comparison(cell: Cell) -> bool:
    """A target says how it compares (``≥80.00(人)``, ``=100%``); an actual rarely does."""
    return bool(_COMPARISON.match(cell.text.strip()))


def is_number_cell(cell: Cell) -> bool:
    return parse_number(cell.text) is not None


def looks_like_value(cell: Cell) -> bool:
    """A target/actual such as ``≥80.00(%)``, ``100%``, ``(元/年)`` or ``12 月底前``."""
    return bool(_VALUE.search(cell.key))


def looks_like_actual(cell: Cell) -> bool:
    return looks_like_value(cell) or bool(_ACHIEVEMENT.search(cell.key))


def looks_like_short_target(cell: Cell) -> bool:
    """Qualitative targets are short words (合理, 及时, 提升); indicator names are longer."""
    return looks_like_value(cell) or len(cell.key) <= 4


def unbalanced(text: str) -> bool:
    return text.count("(") + text.count("（") > text.count(")") + text.count("）")


@dataclass
class LabelState:
    """The level labels in force while reading down the table (merged cells carry them down)."""

    level1: str | None = None
    level2: str | None = None
    level1_col: int | None = None   # the column where level-1 labels stand


def _as_level2(label: Label, cell: Cell, labels: list[Label], state: LabelState) -> Label:
    """An older hierarchy prints a 一级 name as a 二级 (成本指标 under 产出指标): it is one when it
    follows a 一级 on its row, or stands right of the 一级 column under a 一级 it may belong to."""
    if label.level != 1 or label.name not in OLDER_LEVEL2:
        return label
    row_level1 = next((l.name for l in labels if l.level == 1), None)
    if row_level1 is not None:
        return Label(2, label.name, label.complete) if row_level1 in allowed_parents(label.name) else label
    if state.level1 in allowed_parents(label.name) and state.level1_col is not None and cell.col > state.level1_col:
        return Label(2, label.name, label.complete)
    return label


def peel_labels(cells: Sequence[Cell], state: LabelState) -> tuple[list[Label], list[Cell], list[Cell], bool]:
    """Split leading label cells from the rest.

    Returns (labels, label_cells, rest, continuation); ``continuation`` is True when the
    row starts with the tail of a label split from the row above (``指标`` after ``效益``).
    """
    labels: list[Label] = []
    label_cells: list[Cell] = []
    continuation = False
    i = 0
    while i < len(cells):
        cell = cells[i]
        k = cell.key        # key(cell.text): the framework's tests below read keys
        if i == 0 and k in SUFFIXES:                                # is_suffix_key
            continuation = True
        elif continuation and _continues_label(cell, state):
            pass
        elif not labels and k in SECTION_LABELS:                    # is_section_key
            pass
        else:
            hint = state.level1
            for l in labels:
                if l.level == 1:
                    hint = l.name
                    break
            label = resolve_key(k, hint)
            if label is None:
                break
            if label.level == 1:
                if label.name in OLDER_LEVEL2:
                    label = _as_level2(label, cell, labels, state)
                if label.level == 1 and state.level1_col is None:
                    state.level1_col = cell.col
            labels.append(label)
        label_cells.append(cell)
        i += 1
    return labels, label_cells, list(cells[i:]), continuation


def _continues_label(cell: Cell, state: LabelState) -> bool:
    k = cell.key
    return is_suffix_key(k) or any(name and name.endswith(k) for name in (state.level1, state.level2))


def find_score_anchor(cells: Sequence[Cell]) -> int | None:
    """Index of the 分值 cell: the last two adjacent plain numbers of the row (the last number of
    the row and the cell before it, when that is a number too)."""
    i = len(cells) - 1
    while i > 0:
        if parse_number(cells[i].text) is not None:
            return i - 1 if parse_number(cells[i - 1].text) is not None else None
        i -= 1
    return None
