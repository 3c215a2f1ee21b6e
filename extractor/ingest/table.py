"""Rebuild table rows from geometry: ruling lines and positioned glyphs → one line per row.

Both ingestion paths end here. A PDF text layer gives glyphs (characters with boxes) and
vector rulings; a scan gives OCR character boxes and rulings detected in the pixels. Rows
are the bands between horizontal rules; a band's cells are bounded by the vertical rules that
cross the whole band (so merged cells and rows with their own column layout both work).
Each glyph goes to the cell that contains its centre: grouping boxes by height alone breaks
on cells that wrap over several lines.

Offices print tables partly ruled and with merged cells:

- a band with no inner vertical rule (an indicator block ruled only horizontally) takes its
  columns from the glyphs: runs separated by whitespace gaps, each placed in the page's column
  grid (the x of every vertical rule elsewhere on the page, e.g. the header and fund rows);
- a cell whose top rule is missing continues the cell above (a merged cell): its glyphs go to
  the first band of the span, so a level label printed vertically centred in its merged cell
  belongs to the span's first row, and a label wrapped over the span's rows stays one cell.

The output is the row text the parser reads: one table row per line, cells joined by tabs;
text outside the table (title, year) becomes lines of its own, all in reading order.
"""

from __future__ import annotations

from bisect import bisect_right
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
    """One table row: its top and bottom rule, the x of the vertical rules crossing it, the
    page's column grid inside it (used when no inner rule crosses it), and for each of its
    columns whether its top rule is missing (the cell continues the one above: merged)."""

    top: float
    bottom: float
    edges: tuple[float, ...]
    grid: tuple[float, ...] = ()
    continued: tuple[bool, ...] = ()

    @property
    def unruled(self) -> bool:
        """No inner vertical rule: the columns come from the glyphs and the grid."""
        return len(self.edges) <= 2

    @property
    def columns(self) -> tuple[float, ...]:
        """The page's grid where the band has grid lines its rules lack, else its rules."""
        return self.grid if len(self.grid) > 2 else self.edges

    def cell_of(self, x: float) -> int | None:
        columns = self.columns
        for i in range(len(columns) - 1):
            if columns[i] <= x < columns[i + 1]:
                return i
        return None

    def is_continued(self, column: int) -> bool:
        return column < len(self.continued) and self.continued[column]


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


def covered(intervals: Iterable[tuple[float, float]], start: float, end: float, share: float = 0.6) -> bool:
    """Whether the union of ``intervals`` covers at least ``share`` of [start, end]."""
    total, reach = 0.0, start
    for a, b in sorted(intervals):
        a, b = max(a, reach), min(b, end)
        if b > a:
            total += b - a
            reach = b
    return total >= share * (end - start)


def with_grid(top: float, bottom: float, edges: Sequence[float], grid: Sequence[float],
              top_rule: Sequence[tuple[float, float]]) -> Band:
    """A band with the page's grid inside its outer edges and its columns' continuation flags."""
    inner = tuple(x for x in grid if edges[0] + 2 < x < edges[-1] - 2)
    band = Band(top, bottom, tuple(edges), (edges[0], *inner, edges[-1]) if inner else ())
    columns = band.columns
    continued = tuple(not covered(top_rule, a, b) for a, b in zip(columns, columns[1:]))
    return Band(top, bottom, band.edges, band.grid, continued)


def page_grid(vertical: Sequence[Segment], *, tolerance: float = 2.0, min_height: float = 4.0) -> list[float]:
    """The x of every vertical rule on a page: the column grid unruled bands are placed in."""
    return cluster((s.at for s in vertical if s.end - s.start >= min_height), tolerance)


def merge_grid(own: Sequence[float], inherited: Sequence[float] | None, tolerance: float = 2.0) -> list[float]:
    """A page's column grid joined with the page before's where the table runs on (the same
    outer edges, or no inner rules of its own): a page of an unruled block still has columns."""
    if not inherited:
        return list(own)
    same_table = len(own) < 2 or (abs(own[0] - inherited[0]) <= tolerance and abs(own[-1] - inherited[-1]) <= tolerance)
    return cluster([*own, *inherited], tolerance) if same_table else list(own)


def bands_from_segments(horizontal: Sequence[Segment], vertical: Sequence[Segment], *,
                        tolerance: float = 2.0, min_height: float = 4.0,
                        grid: Sequence[float] | None = None) -> list[Band]:
    """Bands between horizontal rules, each with the vertical rules spanning it; ``grid`` (the
    previous page's, for a table continued over a page break) where this page has no inner one."""
    bands = []
    ys = cluster((s.at for s in horizontal), tolerance)
    grid = merge_grid(page_grid(vertical, tolerance=tolerance, min_height=min_height), grid, tolerance)
    for top, bottom in zip(ys, ys[1:]):
        if bottom - top < min_height:
            continue
        crossing = [s.at for s in vertical if s.start <= top + tolerance and s.end >= bottom - tolerance]
        edges = tuple(cluster(crossing, tolerance))
        if len(edges) < 2:
            continue
        top_rule = [(s.start, s.end) for s in horizontal if abs(s.at - top) <= tolerance]
        bands.append(with_grid(top, bottom, edges, grid, top_rule))
    return first_band_opens(bands)


def first_band_opens(bands: list[Band]) -> list[Band]:
    """A band right under a gap (another table, a page's top) continues nothing."""
    result = []
    for i, band in enumerate(bands):
        if i == 0 or bands[i - 1].bottom < band.top - 2.0:
            band = Band(band.top, band.bottom, band.edges, band.grid, tuple(False for _ in band.continued))
        result.append(band)
    return result


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


def band_of(bands: Sequence[Band], tops: Sequence[float], y: float) -> int | None:
    """The band holding ``y`` (bands sorted by top; ``tops`` their tops): a bisect, not a scan."""
    i = bisect_right(tops, y) - 1
    return i if i >= 0 and y < bands[i].bottom else None


def _runs(glyphs: list[Glyph], grid: Sequence[float] = ()) -> list[list[Glyph]]:
    """Glyphs of one unruled band split at the whitespace gaps of their x-projection (over all
    the band's visual lines, so text wrapped inside a cell stays one run), and at a narrower
    gap where a grid column boundary runs through it (text filling its column)."""
    height = median(g.height for g in glyphs) or 1.0
    runs: list[list[Glyph]] = []
    reach = None
    for glyph in sorted(glyphs, key=lambda g: g.x0):
        gap = glyph.x0 - reach if reach is not None else 0.0
        at_edge = gap > height * 0.1 and any(reach - 1 <= x <= glyph.x0 + 1 for x in grid) if reach is not None else False
        if reach is not None and gap <= height * 1.2 and not at_edge:
            runs[-1].append(glyph)
            reach = max(reach, glyph.x1)
        else:
            runs.append([glyph])
            reach = glyph.x1
    return runs


def _place(band: Band, glyphs: list[Glyph]) -> dict[int, list[Glyph]]:
    """A band's glyphs by grid column. Within each ruled cell the glyphs form runs (split at
    whitespace gaps); a cell with one run goes whole to the column it starts in (a merged cell
    keeps its text together), a cell crossing unruled grid lines with several runs gives each run
    to the column it starts in. A band with no rules and no grid: each run a cell of its own."""
    columns = band.columns
    if len(columns) <= 2:
        return dict(enumerate(_runs(glyphs))) if band.unruled else {0: list(glyphs)}
    by_cell: dict[int, list[Glyph]] = {}
    edges = band.edges
    for glyph in glyphs:
        for k in range(len(edges) - 1):
            if edges[k] <= glyph.cx < edges[k + 1]:
                by_cell.setdefault(k, []).append(glyph)
                break
    cells: dict[int, list[Glyph]] = {}
    height = median(g.height for g in glyphs) or 1.0
    for k, members in by_cell.items():
        first = band.cell_of(edges[k] + 0.5)
        soft = [x for x in columns if edges[k] + 2 < x < edges[k + 1] - 2]
        runs = _runs(members, soft) if soft else [members]
        for run in runs if len(runs) > 1 else [members]:
            column = band.cell_of(min(g.x0 for g in run) + height * 0.3) if len(runs) > 1 else first
            cells.setdefault(first if column is None else column, []).extend(run)
    return cells


def _owner(bands: Sequence[Band], i: int, x: float) -> tuple[int, int | None]:
    """The band and column a cell at (band ``i``, ``x``) belongs to: up through its merged span."""
    column = bands[i].cell_of(x)
    while i > 0 and column is not None and bands[i].is_continued(column):
        above = bands[i - 1].cell_of(x)
        if above is None:
            break
        i, column = i - 1, above
    return i, column


def rows_text(glyphs: Iterable[Glyph], bands: Sequence[Band]) -> list[str]:
    """One line per band (cells joined by tabs) and per line of text outside the table."""
    return join_rows(table_cells(glyphs, bands))


def join_rows(rows: list[list[Cell]]) -> list[str]:
    """Row lines: the cells' text joined by tabs."""
    return ["\t".join(cell.text for cell in row) for row in rows]


def table_cells(glyphs: Iterable[Glyph], bands: Sequence[Band]) -> list[list[Cell]]:
    """The rows of :func:`rows_text` as cells with their boxes (a merged cell's box covers all
    its glyphs, over the rows of its span)."""
    bands = sorted(bands, key=lambda b: b.top)
    tops = [b.top for b in bands]
    by_band: dict[int, list[Glyph]] = {}
    loose: list[Glyph] = []
    for glyph in glyphs:
        if not glyph.text.strip():
            continue
        i = band_of(bands, tops, glyph.cy)
        if i is None or not bands[i].edges[0] <= glyph.cx < bands[i].edges[-1]:
            loose.append(glyph)
        else:
            by_band.setdefault(i, []).append(glyph)
    cells: dict[int, dict[int, list[Glyph]]] = {}
    for i, members in by_band.items():
        band = bands[i]
        for column, placed in _place(band, members).items():
            columns = band.columns
            x = (columns[column] + columns[column + 1]) / 2 if column + 1 < len(columns) else columns[-1]
            owner, owner_column = _owner(bands, i, x) if band.is_continued(column) else (i, column)
            if owner_column is None:
                owner, owner_column = i, column
            cells.setdefault(owner, {}).setdefault(owner_column, []).extend(placed)
    items: list[tuple[float, list[Cell]]] = []
    for i, band in enumerate(bands):
        if cells.get(i):
            count = max(len(band.columns) - 1, max(cells[i]) + 1)
            row = [cells[i].get(c, []) for c in range(count)]
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
