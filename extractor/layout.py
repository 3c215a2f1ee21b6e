"""A document as table rows: one text line is one row, tab-separated cells.

Every cell keeps its character span in the source text, so that any extracted value
can point back at where it was printed.
"""

from __future__ import annotations

from typing import NamedTuple

from extractor.normalize import _SPACE_BETWEEN_CJK, _key, clean_text


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

    @property
    def is_blank(self) -> bool:
        return not self.cells

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.cells)

    def first_key(self) -> str:
        return self.cells[0].key if self.cells else ""


_new = tuple.__new__


def _clean(part: str) -> str:
    """:func:`~extractor.normalize.clean_text`, with the common cases (no tag, no inner space) cut short."""
    if "<" in part:
        return clean_text(part)
    value = part.strip()
    if " " in value or "\u3000" in value:
        value = _SPACE_BETWEEN_CJK.sub("", value)
    return value


def split_lines(text: str) -> list[Line]:
    """Split a document into lines of non-empty cells with their source spans."""
    lines: list[Line] = []
    offset = 0
    for number, raw in enumerate(text.split("\n")):
        cells = []
        pos = offset
        for col, part in enumerate(raw.split("\t") if "\t" in raw else (raw,)):
            size = len(part)
            if size and not part.isspace():
                value = _clean(part)
                if value:
                    lead = size - len(part.lstrip())
                    cells.append(_new(Cell, (col, value, _key(value), pos + lead, pos + len(part.rstrip()), number)))
            pos += size + 1
        lines.append(_new(Line, (number, offset, raw, tuple(cells))))
        offset += len(raw) + 1
    return lines
