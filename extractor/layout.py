"""A document as table rows: one text line is one row, tab-separated cells.

Every cell keeps its character span in the source text, so that any extracted value
can point back at where it was printed.
"""

from __future__ import annotations

from typing import NamedTuple

from extractor import normalize
from extractor.normalize import _SPACE_BETWEEN_CJK, clean_text, key, nfkc


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


def split_lines(text: str) -> list[Line]:
    """Split a document into lines of non-empty cells with their source spans.

    Each cell's key is :func:`~extractor.normalize.key` of its text, computed inline (NFKC, no
    whitespace) and recorded in the key index, so that later lookups of the same text find it."""
    lines: list[Line] = []
    append = lines.append
    keys = normalize.key_index()
    known = keys.get
    offset = 0
    for number, raw in enumerate(text.split("\n")):
        if not raw or raw.isspace():
            append(_new(Line, (number, offset, raw, (), "")))
            offset += len(raw) + 1
            continue
        if len(keys) >= normalize._KEYS_MAX:
            keys.clear()
        cells = []
        pos = offset
        for col, part in enumerate(raw.split("\t")):
            if not part:
                pos += 1
                continue
            size = len(part)
            if "<" in part:
                value = clean_text(part)
                k = key(value)
            else:
                value = part.strip()
                if " " in value or "\u3000" in value:
                    value = _SPACE_BETWEEN_CJK.sub("", value)
                k = known(value)
                if k is None:
                    k = nfkc(value)
                    if not k.isalnum():
                        k = "".join(k.split())
                    keys[value] = k
            if value is part:       # nothing stripped: the cell spans the whole field
                cells.append(_new(Cell, (col, value, k, pos, pos + size, number)))
            elif value:
                start = pos if not part[0].isspace() else pos + size - len(part.lstrip())
                end = pos + size if not part[-1].isspace() else pos + len(part.rstrip())
                cells.append(_new(Cell, (col, value, k, start, end, number)))
            pos += size + 1
        append(_new(Line, (number, offset, raw, tuple(cells), "".join([c.key for c in cells]))))
        offset += len(raw) + 1
    return lines
