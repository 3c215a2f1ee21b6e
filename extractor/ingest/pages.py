"""Page furniture: what a printer adds to every page and the form does not hold.

A footer ``第1页,共13页`` (or ``- 3 -``, ``Page 3 of 13``, ``3/13``), a bare page number, and a
running header or footer repeated on the pages' edges (``2024年度项目支出绩效资料``) would
otherwise sit between two rows of one form, glue onto an indicator's name or split a block.
They are dropped from the row text; a form title is never furniture (a document whose every
page starts a form repeats it, and it is the form's own first line).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Sequence

_PAGE_NUMBER = re.compile(
    r"^(第\s*\d+\s*页\s*[,，、/ ]?\s*(共\s*\d+\s*页)?|共\s*\d+\s*页\s*[,，、 ]?\s*第\s*\d+\s*页"
    r"|[-—–~]?\s*\d{1,4}\s*[-—–~]?|(page|p\.?)\s*\d+(\s*(of|/)\s*\d+)?|\d{1,4}\s*/\s*\d{1,4})$",
    re.IGNORECASE)
_FORM_TITLE = re.compile(r"绩效自评表|绩效目标申报表|申报表|自评表|^[(（]?\s*\d{4}\s*年度?\s*[)）]?$")
EDGE_LINES = 2          # how many lines at each page edge may be furniture


def is_page_number(line: str) -> bool:
    return "\t" not in line and bool(_PAGE_NUMBER.match(unicodedata.normalize("NFKC", line).strip()))


def _shape(line: str) -> str:
    """A line with its digits masked, so ``第1页`` and ``第2页`` repeat."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", unicodedata.normalize("NFKC", line)))


def _edges(rows: Sequence[str]) -> list[int]:
    count = len(rows)
    return sorted({*range(min(EDGE_LINES, count)), *range(max(count - EDGE_LINES, 0), count)})


def strip_furniture(pages: Sequence[Sequence[str]]) -> list[list[str]]:
    """Each page's rows without page numbers and running headers/footers at its edges."""
    drops = furniture(pages)
    return [[row for i, row in enumerate(rows) if i not in drop] for rows, drop in zip(pages, drops)]


def furniture(pages: Sequence[Sequence[str]]) -> list[set[int]]:
    """For each page, the indexes of its rows that are page furniture."""
    repeated = Counter()
    for rows in pages:
        repeated.update({_shape(rows[i]) for i in _edges(rows) if "\t" not in rows[i]})
    result = []
    for rows in pages:
        drop: set[int] = set()
        for i in _edges(rows):
            line = rows[i]
            if "\t" in line or _FORM_TITLE.search(line):
                continue
            if is_page_number(line) or (len(pages) > 1 and repeated[_shape(line)] >= 2 and line.strip()):
                drop.add(i)
        result.append(drop)
    return result
