"""What a cell is, judged by its content: a level label, a number, a value, or text."""

from __future__ import annotations

import re

from extractor.layout import Cell
from extractor.normalize import parse_number

_VALUE = re.compile(r"^[=≥≤<>≧≦＝＞＜]|^\d|%|％|百分|^\(|^（|^/")
_COMPARISON = re.compile(r"^[=≥≤<>≧≦＝＞＜]")


def has_comparison(cell: Cell) -> bool:
    """A target says how it compares (``≥80.00(人)``, ``=100%``); an actual rarely does."""
    return bool(_COMPARISON.match(cell.text.strip()))
_ACHIEVEMENT = re.compile(r"达成|完成|未达")


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
