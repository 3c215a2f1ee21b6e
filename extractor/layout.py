"""A document as table rows: one text line is one row, tab-separated cells.

Every cell keeps its character span in the source text, so that any extracted value
can point back at where it was printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractor.normalize import clean_text, key


@dataclass(frozen=True, slots=True)
class Cell:
    col: int          # position in the tab-separated line (OCR may shift it)
    text: str         # cleaned value text (tags removed, OCR spaces inside Chinese closed)
    key: str          # comparison form
    start: int        # character span of the raw cell in the source text
    end: int
    line: int         # 0-based line number in the source text


@dataclass(frozen=True, slots=True)
class Line:
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


def split_lines(text: str) -> list[Line]:
    """Split a document into lines of non-empty cells with their source spans."""
    lines: list[Line] = []
    offset = 0
    for number, raw in enumerate(text.split("\n")):
        cells = []
        pos = offset
        for col, part in enumerate(raw.split("\t")):
            if part.strip():
                value = clean_text(part)
                if value:
                    lead = len(part) - len(part.lstrip())
                    cells.append(Cell(col, value, key(value), pos + lead, pos + len(part.rstrip()), number))
            pos += len(part) + 1
        lines.append(Line(number, offset, raw, tuple(cells)))
        offset += len(raw) + 1
    return lines
