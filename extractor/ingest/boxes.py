"""Where each piece of the ingested text sits on its page: the hook the review page draws boxes with.

Ingestion of a PDF or an image records, per table cell (and per piece of text outside the
table), ``(start, end, page, (x0, y0, x1, y1))``: the cell's character offsets in the final
(folded) document text, its 1-based page, and its box as fractions of the page's width and
height (so a page image of any size can draw it). A value's source span maps to the boxes of
the cells it overlaps (:func:`boxes_of_span`).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Callable, Sequence

from extractor.ingest.table import Box, Cell

TextBox = tuple[int, int, int, Box]


def relative(rows: list[list[Cell]], width: float, height: float, *, rotation: float = 0.0) -> list[list[Cell]]:
    """Cells with their boxes as fractions of the page; ``rotation`` (degrees) undoes a deskew of
    the image the boxes were found in (the page image shown is the one before deskewing)."""
    turn = _unrotate(rotation, width, height)

    def scale(box: Box | None) -> Box | None:
        if box is None:
            return None
        x0, y0, x1, y1 = turn(box)
        return (max(0.0, x0 / width), max(0.0, y0 / height), min(1.0, x1 / width), min(1.0, y1 / height))

    return [[Cell(cell.text, scale(cell.box)) for cell in row] for row in rows]


def _unrotate(angle: float, width: float, height: float) -> Callable[[Box], Box]:
    if abs(angle) < 1e-9:
        return lambda box: box
    import cv2
    import numpy as np

    inverse = cv2.invertAffineTransform(cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0))

    def turn(box: Box) -> Box:
        x0, y0, x1, y1 = box
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=float) @ inverse.T
        return (float(corners[:, 0].min()), float(corners[:, 1].min()),
                float(corners[:, 0].max()), float(corners[:, 1].max()))
    return turn


def located_text(pages: Sequence[tuple[int, list[list[Cell]]]], fold: Callable[[str], str],
                 expected: str) -> list[TextBox]:
    """The boxes of every non-empty cell, at its offsets in ``expected`` (the folded document
    text). Folding cell by cell must give the same text; if it does not, no boxes (never wrong ones)."""
    boxes: list[TextBox] = []
    lines: list[str] = []
    offset = 0
    for number, rows in pages:
        for row in rows:
            pieces = []
            for cell in row:
                text = fold(cell.text)
                if cell.box is not None and text:
                    boxes.append((offset, offset + len(text), number, cell.box))
                pieces.append(text)
                offset += len(text) + 1           # the tab after it (or the line's newline)
            lines.append("\t".join(pieces))
            offset += 0 if row else 1
    return boxes if "\n".join(lines) == expected else []


def boxes_of_span(boxes: Sequence[TextBox], starts: Sequence[int], start: int, end: int) -> list[tuple[int, Box]]:
    """(page, box) of every cell a source span overlaps; ``boxes`` in text order (as recorded,
    cells never overlap) and ``starts`` their start offsets, so a look-up is a bisection."""
    found = []
    index = bisect_left(starts, end) - 1
    while index >= 0 and boxes[index][1] > start:
        found.append((boxes[index][2], boxes[index][3]))
        index -= 1
    return found[::-1]
