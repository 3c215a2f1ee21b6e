"""PDF pages → row text with PyMuPDF. A page with a text layer is read from it (no OCR);
a page without one is OCR'd: its scanned image at its own resolution where the page is one
full-page image, else the page rendered in colour, with red ink (seals) removed first. Table
cells come from the vector rulings (``get_cdrawings``), or, where a page has none (a scan with
an invisible OCR layer), from the rulings in its rendered image, or from the glyphs' geometry
where the table is only partly ruled (:mod:`extractor.ingest.table`)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pymupdf

from extractor.errors import CorruptInput, EncryptedInput
from extractor.ingest.boxes import relative
from extractor.ingest.limits import Limits
from extractor.ingest.ocr import PageFuture, engine_name, pages_ahead, read_later, settled
from extractor.ingest.raster import bands_from_image, drop_red
from extractor.ingest.table import (Band, Cell, Glyph, Segment, bands_from_segments, join_rows, merge_grid, page_grid,
                                    table_cells)
from extractor.progress import page_started

MIN_TEXT_CHARS = 20


@dataclass(frozen=True)
class PageText:
    number: int
    method: str          # "text_layer" or "ocr"
    rows: list[str]
    seconds: float
    engine: str | None = None
    grid: tuple[float, ...] = ()     # the page's column grid, handed to the next page
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


def images_to_pdf(images: list[bytes], dpi: int = 200) -> bytes:
    """Page images of one document wrapped in an image-only PDF, one page each, the image
    streams kept as they are (no re-encoding); OCR reads them back at their own resolution."""
    document = pymupdf.open()
    try:
        for data in images:
            try:
                with pymupdf.open(stream=data) as picture:
                    rect = picture[0].rect
            except Exception as exc:  # PyMuPDF's own and RuntimeError/ValueError variants
                raise CorruptInput(f"not a readable page image: {exc}", source="<pages>") from exc
            page = document.new_page(width=rect.width * 72 / dpi, height=rect.height * 72 / dpi)
            page.insert_image(page.rect, stream=data)
        return document.tobytes(garbage=3, deflate=True, no_new_id=True)
    finally:
        document.close()


def _segments(page: pymupdf.Page) -> tuple[list[Segment], list[Segment]]:
    """Ruling lines from the page's vector drawings (``get_cdrawings``: plain tuples, no objects)."""
    horizontal, vertical = [], []
    for drawing in page.get_cdrawings():
        for item in drawing["items"]:
            if item[0] == "re":
                x0, y0, x1, y1 = item[1]
                if y1 - y0 < 1.5:                   # a rule drawn as a thin filled rectangle
                    horizontal.append(Segment((y0 + y1) / 2, x0, x1))
                elif x1 - x0 < 1.5:
                    vertical.append(Segment((x0 + x1) / 2, y0, y1))
                else:
                    horizontal += [Segment(y0, x0, x1), Segment(y1, x0, x1)]
                    vertical += [Segment(x0, y0, y1), Segment(x1, y0, y1)]
            elif item[0] == "l":
                (ax, ay), (bx, by) = item[1], item[2]
                if abs(ay - by) < 1:
                    horizontal.append(Segment(ay, min(ax, bx), max(ax, bx)))
                elif abs(ax - bx) < 1:
                    vertical.append(Segment(ax, min(ay, by), max(ay, by)))
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


def _check_render(page: pymupdf.Page, dpi: int, limits: Limits | None, source: str) -> None:
    if limits is not None:
        scale = dpi / 72
        limits.check_pixels(page.rect.width * scale, page.rect.height * scale, source,
                            f"page {page.number + 1} rendered at {dpi} dpi")


def _page_gray(page: pymupdf.Page, dpi: int, limits: Limits | None = None, source: str = "") -> np.ndarray:
    _check_render(page, dpi, limits, source)
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width).copy()


def _pixels(pix: pymupdf.Pixmap) -> np.ndarray:
    if pix.alpha or pix.colorspace is None or pix.colorspace.n not in (1, 3):
        pix = pymupdf.Pixmap(pymupdf.csRGB, pix, 0)
    channels = pix.n
    array = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, channels)
    return array[..., 0].copy() if channels == 1 else array.copy()


def scanned_gray(page: pymupdf.Page, dpi: int, limits: Limits | None = None, source: str = "") -> np.ndarray:
    """The page as OCR sees it: its one full-page image as scanned (no resampling), else the page
    rendered in colour at ``dpi``; red ink removed either way. The rendered size is checked first."""
    images = page.get_images(full=True)
    if len(images) == 1:
        boxes = page.get_image_rects(images[0][0])
        area = page.rect.width * page.rect.height
        if len(boxes) == 1 and boxes[0].width * boxes[0].height >= 0.95 * area and page.rotation == 0:
            try:
                return drop_red(_pixels(pymupdf.Pixmap(page.parent, images[0][0])))
            except (RuntimeError, ValueError):
                pass                             # an image PyMuPDF cannot decode alone: render the page
    _check_render(page, dpi, limits, source)
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB, alpha=False)
    return drop_red(np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3).copy())


def _image_bands(page: pymupdf.Page, dpi: int, limits: Limits | None = None, source: str = "") -> list[Band]:
    """Rulings found in the rendered page, in page coordinates."""
    scale = 72.0 / dpi
    return [Band(b.top * scale, b.bottom * scale, tuple(e * scale for e in b.edges))
            for b in bands_from_image(_page_gray(page, dpi, limits, source))]


@dataclass(frozen=True)
class OcrPage:
    """A page handed to OCR (:func:`~extractor.ingest.ocr.read_later`), not yet read."""

    number: int
    future: PageFuture

    def read(self, source: str) -> PageText:
        try:
            cells, seconds = settled(self.future, source, self.number)
        except (RuntimeError, ValueError) as exc:
            raise CorruptInput(f"page {self.number} cannot be read: {exc}", source=source) from exc
        return PageText(self.number, "ocr", join_rows(cells), seconds, engine_name(), cells=cells)


def read_page(page: pymupdf.Page, *, dpi: int, grid: list[float] | None = None, limits: Limits | None = None,
              source: str = "") -> PageText | OcrPage:
    """One page as row text, or handed to OCR; ``grid``: the column grid of the page before (a
    continued table)."""
    started = time.perf_counter()
    glyphs = _glyphs(page)
    chars = sum(1 for g in glyphs if g.text.strip())
    if chars >= MIN_TEXT_CHARS or (chars and not page.get_images()):
        horizontal, vertical = _segments(page)
        bands = bands_from_segments(horizontal, vertical, grid=grid) or _image_bands(page, dpi, limits, source)
        cells = relative(table_cells(glyphs, bands), page.rect.width, page.rect.height)
        return PageText(page.number + 1, "text_layer", join_rows(cells), time.perf_counter() - started,
                        grid=tuple(merge_grid(page_grid(vertical), grid)), cells=cells)
    return OcrPage(page.number + 1, read_later(scanned_gray(page, dpi, limits, source)))


def read_pdf(data: bytes, *, source: str, dpi: int = 200, limits: Limits | None = None) -> tuple[list[PageText], bool]:
    """Every page's rows, and whether PyMuPDF had to repair the file to open it. Pages to OCR are
    read here one by one, or, inside :func:`~extractor.ingest.ocr.pages_spread_over`, several at
    once by a pool's workers (in order all the same)."""
    limits = limits or Limits()
    document = open_pdf(data, source)
    try:
        limits.check_pages(document.page_count, source)
        repaired = bool(document.is_repaired)
        pages: list[PageText] = []
        waiting: deque[PageText | OcrPage] = deque()
        grid: list[float] | None = None
        for page in document:
            page_started(source, page.number + 1, document.page_count)
            try:
                read = read_page(page, dpi=dpi, grid=grid, limits=limits, source=source)
            except (RuntimeError, ValueError) as exc:  # a damaged page object
                raise CorruptInput(f"page {page.number + 1} cannot be read: {exc}", source=source) from exc
            grid = list(read.grid) if isinstance(read, PageText) else []     # an OCR'd page hands on no grid
            waiting.append(read)
            while len(waiting) > pages_ahead():
                pages.append(_done(waiting.popleft(), source))
        pages += [_done(read, source) for read in waiting]
        return pages, repaired or bool(document.is_repaired)
    finally:
        document.close()


def _done(read: PageText | OcrPage, source: str) -> PageText:
    return read.read(source) if isinstance(read, OcrPage) else read
