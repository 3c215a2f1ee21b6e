"""Page images for the review page: a PDF page drawn by PyMuPDF, or a frame of an image file,
as PNG of a fixed width (the cell boxes are fractions of the page, so any width will do)."""

from __future__ import annotations

import base64
import io

from extractor.errors import CorruptInput
from extractor.ingest import sniff

WIDTH_PX = 1100


def page_count(data: bytes) -> int:
    kind = sniff(data)
    if kind == "pdf":
        import pymupdf

        with pymupdf.open(stream=data, filetype="pdf") as document:
            return document.page_count
    if kind == "image":
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return getattr(image, "n_frames", 1)
    return 0


def page_png(data: bytes, number: int, *, width_px: int = WIDTH_PX) -> bytes:
    """Page ``number`` (1-based) of a PDF or an image file as PNG, ``width_px`` wide."""
    kind = sniff(data)
    try:
        if kind == "pdf":
            return _pdf_page(data, number, width_px)
        if kind == "image":
            return _image_frame(data, number, width_px)
    except (RuntimeError, ValueError, OSError, IndexError) as exc:
        raise CorruptInput(f"page {number} cannot be drawn: {exc}") from exc
    raise CorruptInput("a text input has no page images")


def _pdf_page(data: bytes, number: int, width_px: int) -> bytes:
    import pymupdf

    with pymupdf.open(stream=data, filetype="pdf") as document:
        page = document[number - 1]
        zoom = width_px / page.rect.width
        return page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False).tobytes("png")


def _image_frame(data: bytes, number: int, width_px: int) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.seek(number - 1)
        frame = image.convert("RGB")
    if frame.width > width_px:
        frame = frame.resize((width_px, round(frame.height * width_px / frame.width)))
    out = io.BytesIO()
    frame.save(out, format="PNG", optimize=False)
    return out.getvalue()


def data_urls(data: bytes) -> list[str]:
    """Every page as a ``data:`` URL, for a review page that must open from disk."""
    return ["data:image/png;base64," + base64.b64encode(page_png(data, n)).decode("ascii")
            for n in range(1, page_count(data) + 1)]
