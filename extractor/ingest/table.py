"""Rebuild table rows from geometry: ruling lines and positioned glyphs → one line per row.

Both ingestion paths end here. A PDF text layer gives glyphs (characters with boxes) and
vector rulings; a scan gives OCR character boxes and rulings detected in the pixels. Rows
are the bands between horizontal rules; a band's cells are bounded by the vertical rules that
cross the whole band (so merged cells and rows with their own column layout both work).
Each glyph goes to the cell that contains its centre: grouping boxes by height alone breaks
on cells that wrap over several lines.

The output is the row text the parser reads: one table row per line, cells joined by tabs;
text outside the table (title, year) becomes lines of its own, all in reading order.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Glyph:
    """A character (or a short run) and its box, in page coordinates (y grows downwards)."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True)
class Band:
    """One table row: its top and bottom rule, and the x of the vertical rules crossing it."""

    top: float
    bottom: float
    edges: tuple[float, ...]

    def cell_of(self, x: float) -> int | None:
        for i in range(len(self.edges) - 1):
            if self.edges[i] <= x < self.edges[i + 1]:
                return i
        return None


Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Cell:
    """One cell's text and the box around its glyphs (``None`` for an empty cell): the review
    page draws each value at its place with these boxes."""

    text: str
    box: Box | None


def _box(glyphs: Sequence[Glyph]) -> Box | None:
    if not glyphs:
        return None
    return (min(g.x0 for g in glyphs), min(g.y0 for g in glyphs), max(g.x1 for g in glyphs), max(g.y1 for g in glyphs))


@dataclass(frozen=True)
class Segment:
    """A ruling line: horizontal (``at`` is y, from ``start`` to ``end`` in x) or vertical."""

    at: float
    start: float
    end: float


def cluster(values: Iterable[float], tolerance: float) -> list[float]:
    """Sorted values merged where closer than ``tolerance`` (each group → its mean)."""
    groups: list[list[float]] = []
    for value in sorted(values):
        if groups and value - groups[-1][-1] <= tolerance:
            groups[-1].append(value)
        else:
            groups.append([value])
    return [sum(g) / len(g) for g in groups]


def bands_from_segments(horizontal: Sequence[Segment], vertical: Sequence[Segment], *,
                        tolerance: float = 2.0, min_height: float = 4.0) -> list[Band]:
    """Bands between horizontal rules, each with the vertical rules spanning it."""
    bands = []
    ys = cluster((s.at for s in horizontal), tolerance)
    for top, bottom in zip(ys, ys[1:]):
        if bottom - top < min_height:
            continue
        crossing = [s.at for s in vertical if s.start <= top + tolerance and s.end >= bottom - tolerance]
        edges = tuple(cluster(crossing, tolerance))
        if len(edges) >= 2:
            bands.append(Band(top, bottom, edges))
    return bands


def _visual_lines(glyphs: list[Glyph]) -> tuple[float, list[list[Glyph]]]:
    """The glyphs' typical height, and the glyphs grouped into lines (top to bottom, each left to right)."""
    height = median(g.height for g in glyphs) or 1.0
    lines: list[list[Glyph]] = []
    for glyph in sorted(glyphs, key=lambda g: g.cy):
        if lines and glyph.cy - lines[-1][0].cy <= height * 0.5:
            lines[-1].append(glyph)
        else:
            lines.append([glyph])
    for line in lines:
        line.sort(key=lambda g: g.x0)
    return height, lines


def _cell_text(glyphs: list[Glyph]) -> str:
    """Glyphs of one cell in reading order: visual lines top to bottom, each left to right."""
    if not glyphs:
        return ""
    height, lines = _visual_lines(glyphs)
    parts = []
    for line in lines:
        text = line[0].text
        for before, glyph in zip(line, line[1:]):
            text += (" " if glyph.x0 - before.x1 > height * 0.6 else "") + glyph.text
        parts.append(text)
    return "".join(parts).strip()


def rows_text(glyphs: Iterable[Glyph], bands: Sequence[Band]) -> list[str]:
    """One line per band (cells joined by tabs) and per line of text outside the table."""
    return join_rows(table_cells(glyphs, bands))


def join_rows(rows: list[list[Cell]]) -> list[str]:
    """Row lines: the cells' text joined by tabs."""
    return ["\t".join(cell.text for cell in row) for row in rows]


def table_cells(glyphs: Iterable[Glyph], bands: Sequence[Band]) -> list[list[Cell]]:
    """The rows of :func:`rows_text` as cells with their boxes."""
    cells: dict[int, dict[int, list[Glyph]]] = {i: {} for i in range(len(bands))}
    loose: list[Glyph] = []
    for glyph in glyphs:
        if not glyph.text.strip():
            continue
        placed = False
        for i, band in enumerate(bands):
            if band.top <= glyph.cy < band.bottom:
                column = band.cell_of(glyph.cx)
                if column is not None:
                    cells[i].setdefault(column, []).append(glyph)
                    placed = True
                break
        if not placed:
            loose.append(glyph)
    items: list[tuple[float, list[Cell]]] = []
    for i, band in enumerate(bands):
        if cells[i]:
            row = [cells[i].get(c, []) for c in range(len(band.edges) - 1)]
            items.append((band.top, [Cell(_cell_text(g), _box(g)) for g in row]))
    items.extend(_loose_lines(loose))
    return [row for _, row in sorted(items, key=lambda item: item[0])]


def _loose_lines(glyphs: list[Glyph]) -> list[tuple[float, list[Cell]]]:
    """Text outside any cell, as lines (a wide gap inside a line becomes a tab)."""
    if not glyphs:
        return []
    height, lines = _visual_lines(glyphs)
    result = []
    for line in lines:
        pieces = [[line[0]]]
        for before, glyph in zip(line, line[1:]):
            if glyph.x0 - before.x1 > height * 3:
                pieces.append([glyph])
            else:
                pieces[-1].append(glyph)
        result.append((min(g.y0 for g in line), [Cell(_cell_text(p), _box(p)) for p in pieces]))
    return result
