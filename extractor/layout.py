"""A document as table rows: one text line is one row, tab-separated cells.

Every cell keeps its character span in the source text, so that any extracted value
can point back at where it was printed.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from extractor.normalize import _SPACE_BETWEEN_CJK, clean_text, key, remember_key


class Cell(NamedTuple):
    """One non-empty cell. A named tuple: a document has thousands, made at C speed."""

    col: int          # position in the tab-separated line (OCR may shift it)
    text: str         # cleaned value text (tags removed, OCR spaces inside Chinese closed)
    key: str          # comparison form
    start: int        # character span of the raw cell in the source text
    end: int
    line: int         # 0-based line number in the source text


class Line(NamedTuple):
    number: int
    start: int
    raw: str
    cells: tuple[Cell, ...]   # non-empty cells only
    key: str = ""             # the cells' keys joined: the line's comparison form (titles, table heads)

    @property
    def is_blank(self) -> bool:
        return not self.cells

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.cells)

    def first_key(self) -> str:
        return self.cells[0].key if self.cells else ""


_new = tuple.__new__
_nfkc = unicodedata.normalize


def split_lines(text: str) -> list[Line]:
    """Split a document into lines of non-empty cells with their source spans.

    A line without tags is NFKC-folded once, and each cell's key is taken from its part of the
    folded line (NFKC leaves tabs, and a tab composes with nothing, so folding the line folds each
    cell); a cell whose inner spaces were closed up, or that holds a tag, is keyed on its own."""
    lines: list[Line] = []
    append = lines.append
    offset = 0
    for number, raw in enumerate(text.split("\n")):
        if not raw or raw.isspace():
            append(_new(Line, (number, offset, raw, (), "")))
            offset += len(raw) + 1
            continue
        parts = raw.split("\t")
        folded = None
        if "<" not in raw:
            folded = _nfkc("NFKC", raw).split("\t")
            if len(folded) != len(parts):
                folded = None
        cells = []
        pos = offset
        for col, part in enumerate(parts):
            size = len(part)
            if size and not part.isspace():
                if "<" in part:
                    value = clean_text(part)
                    k = key(value)
                else:
                    value = part.strip()
                    if " " in value or "\u3000" in value:
                        closed = _SPACE_BETWEEN_CJK.sub("", value)
                        if len(closed) != len(value):
                            value, folded_part = closed, None
                        else:
                            folded_part = folded[col] if folded is not None else None
                    else:
                        folded_part = folded[col] if folded is not None else None
                    k = remember_key(value, "".join(folded_part.split())) if folded_part is not None else key(value)
                if value:
                    lead = size - len(part.lstrip())
                    cells.append(_new(Cell, (col, value, k, pos + lead, pos + len(part.rstrip()), number)))
            pos += size + 1
        append(_new(Line, (number, offset, raw, tuple(cells), "".join([c.key for c in cells]))))
        offset += len(raw) + 1
    return lines
