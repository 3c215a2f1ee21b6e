"""Grids of cells → the row text the parser reads (one row per line, cells joined by tabs).

Every native reader (xlsx, xls, docx, HTML) ends here. A merged range keeps its value in its
first cell only, which is how a person reads the printed table: a value merged across columns
appears once, a label merged down rows appears on the first row of its span.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

_SPACE = re.compile(r"[\t\r\n\u000b\u000c\u2028\u2029]+")
_RUNS = re.compile(r" {2,}")


def cell_text(text: object) -> str:
    """One cell on one line: tabs and line breaks inside it become single spaces."""
    if text is None:
        return ""
    return _RUNS.sub(" ", _SPACE.sub(" ", str(text).replace("\u00a0", " ").replace("\u200b", ""))).strip()


def rows_to_text(rows: Iterable[Sequence[str]]) -> str:
    """Tab-joined rows, trailing empty cells dropped, runs of blank rows kept to one."""
    lines: list[str] = []
    for row in rows:
        cells = [cell_text(c) for c in row]
        while cells and not cells[-1]:
            cells.pop()
        line = "\t".join(cells)
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


FORM_WORDS = ("项目名称", "绩效", "指标", "预算", "自评", "申报")


def holds_form(text: str) -> bool:
    """Whether a sheet or page has any of the forms' vocabulary (others are left out)."""
    compact = text.replace(" ", "")
    return sum(word in compact for word in FORM_WORDS) >= 2
