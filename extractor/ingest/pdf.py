"""PDF pages → row text with PyMuPDF. A page with a text layer is read from it (no OCR);
a page without one is rendered and OCR'd. Table cells come from the vector rulings, or, where
a page has none (a scan with an invisible OCR layer), from the rulings in its rendered image."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pymupdf

from extractor.errors import CorruptInput, EncryptedInput, InputTooLarge
from extractor.ingest.boxes import relative
from extractor.ingest.ocr import engine_name, ocr_page_cells
from extractor.ingest.raster import bands_from_image
from extractor.ingest.table import Band, Cell, Glyph, Segment, bands_from_segments, join_rows, table_cells

MIN_TEXT_CHARS = 20


@dataclass(frozen=True)
class PageText:
    number: int
    method: str          # "text_layer" or "ocr"
    rows: list[str]
    seconds: float
    engine: str | None = None
    cells: list[list[Cell]] = field(default_factory=list, compare=False, repr=False)   # rows' cells, boxes 0..1

    def info(self) -> dict[str, object]:
        data: dict[str, object] = {"page": self.number, "method": self.method, "rows": len(self.rows),
                                   "seconds": round(self.seconds, 3)}
        if self.engine:
            data["engine"] = self.engine
        return data


def open_pdf(data: bytes, source: str) -> pymupdf.Document:
    try:
        document = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # PyMuPDF raises its own and RuntimeError/ValueError variants
        raise CorruptInput(f"not a readable PDF: {exc}", source=source) from exc
    if document.needs_pass:
        document.close()
        raise EncryptedInput("the PDF is encrypted (password protected)", source=source)
    if document.page_count == 0:
        document.close()
        raise CorruptInput("the PDF has no pages", source=source)
    return document


def _segments(page: pymupdf.Page) -> tuple[list[Segment], list[Segment]]:
    horizontal, vertical = [], []
    for drawing in page.get_drawings():
        for item in drawing["items"]:
            if item[0] == "re":
                r = item[1]
                horizontal += [Segment(r.y0, r.x0, r.x1), Segment(r.y1, r.x0, r.x1)]
                vertical += [Segment(r.x0, r.y0, r.y1), Segment(r.x1, r.y0, r.y1)]
            elif item[0] == "l":
                a, b = item[1], item[2]
                if abs(a.y - b.y) < 1:
                    horizontal.append(Segment(a.y, min(a.x, b.x), max(a.x, b.x)))
                elif abs(a.x - b.x) < 1:
                    vertical.append(Segment(a.x, min(a.y, b.y), max(a.y, b.y)))
    return horizontal, vertical


def _glyphs(page: pymupdf.Page) -> list[Glyph]:
    glyphs = []
    for block in page.get_text("rawdict")["blocks"]:
        for line in block.get("lines", ()):
            for span in line["spans"]:
                for char in span["chars"]:
                    x0, y0, x1, y1 = char["bbox"]
                    glyphs.append(Glyph(x0, y0, x1, y1, char["c"]))
    return glyphs


def _page_gray(page: pymupdf.Page, dpi: int) -> np.ndarray:
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width).copy()


def _image_bands(page: pymupdf.Page, dpi: int) -> list[Band]:
    """Rulings found in the rendered page, in page coordinates."""
    scale = 72.0 / dpi
    return [Band(b.top * scale, b.bottom * scale, tuple(e * scale for e in b.edges))
            for b in bands_from_image(_page_gray(page, dpi))]


def read_page(page: pymupdf.Page, *, dpi: int) -> PageText:
    started = time.perf_counter()
    glyphs = _glyphs(page)
    chars = sum(1 for g in glyphs if g.text.strip())
    if chars >= MIN_TEXT_CHARS or (chars and not page.get_images()):
        bands = bands_from_segments(*_segments(page)) or _image_bands(page, dpi)
        cells = relative(table_cells(glyphs, bands), page.rect.width, page.rect.height)
        return PageText(page.number + 1, "text_layer", join_rows(cells), time.perf_counter() - started, cells=cells)
    cells = ocr_page_cells(_page_gray(page, dpi))
    return PageText(page.number + 1, "ocr", join_rows(cells), time.perf_counter() - started, engine_name(), cells)


def read_pdf(data: bytes, *, source: str, dpi: int = 200, max_pages: int = 200) -> list[PageText]:
    document = open_pdf(data, source)
    try:
        if document.page_count > max_pages:
            raise InputTooLarge(f"{document.page_count} pages, more than the limit of {max_pages}", source=source)
        pages = []
        for page in document:
            try:
                pages.append(read_page(page, dpi=dpi))
            except RuntimeError as exc:  # a damaged page object; the others go on
                raise CorruptInput(f"page {page.number + 1} cannot be read: {exc}", source=source) from exc
        return pages
    finally:
        document.close()
