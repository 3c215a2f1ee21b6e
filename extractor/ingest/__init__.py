"""Ingestion: any input file → the row text the parser reads (one table row per line, tab-separated).

- text (``.txt``/``.md``: OCR output already): decoded as is, see :mod:`extractor.textio`;
- PDF: per page, its text layer if it has one, else OCR (:mod:`extractor.ingest.pdf`);
- images (PNG, JPEG, TIFF incl. multi-page, BMP): OCR (:mod:`extractor.ingest.ocr`).

The kind is told by the file's first bytes, not its name. PDF and OCR text is normalised with
NFKC and look-alike code points are mapped (compatibility ideographs, non-breaking hyphens),
so the same form reads the same whichever way it arrived.
"""

from __future__ import annotations

import hashlib
import io
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.errors import CorruptInput, InputTooLarge
from extractor.ingest.boxes import TextBox, located_text
from extractor.settings import Settings
from extractor.textio import decode_bytes, read_input_bytes

IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"II*\x00", "tiff"),
               (b"MM\x00*", "tiff"), (b"BM", "bmp"))
LOOKALIKES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-",
                            "\u00a0": " ", "\u200b": "", "\ufeff": ""})


@dataclass
class Ingested:
    """One input as text, with how each page was read."""

    text: str
    kind: str                       # "text", "pdf" or "image"
    sha256: str
    encoding: str | None = None
    pages: list[dict[str, Any]] = field(default_factory=list)
    boxes: list[TextBox] = field(default_factory=list)    # (start, end, page, box 0..1): extractor.ingest.boxes


def sniff(data: bytes) -> str:
    if data[:1024].lstrip().startswith(b"%PDF"):
        return "pdf"
    for magic, _ in IMAGE_MAGIC:
        if data.startswith(magic):
            return "image"
    return "text"


def fold(text: str) -> str:
    """NFKC, then look-alike code points mapped to the ones the parser knows."""
    return unicodedata.normalize("NFKC", text).translate(LOOKALIKES)


def ingest_bytes(data: bytes, *, source: str, ocr_dpi: int = 200, max_pages: int = 200) -> Ingested:
    kind = sniff(data)
    if kind == "text":
        decoded = decode_bytes(data, source=source)      # hashes while decoding
        return Ingested(decoded.text, kind, decoded.sha256, decoded.encoding)
    digest = hashlib.sha256(data).hexdigest()
    if kind == "pdf":
        from extractor.ingest.pdf import read_pdf

        pages = read_pdf(data, source=source, dpi=ocr_dpi, max_pages=max_pages)
    else:
        pages = _read_image(data, source=source, max_pages=max_pages)
    pages = _without_furniture(pages)
    text = fold("\n".join(row for page in pages for row in page.rows))
    boxes = located_text([(page.number, page.cells) for page in pages], fold, text)
    return Ingested(text, kind, digest, None, [page.info() for page in pages], boxes)


def _without_furniture(pages: list) -> list:
    """Page numbers and running headers/footers dropped (:mod:`extractor.ingest.pages`), from
    the rows and their cells alike."""
    from dataclasses import replace

    from extractor.ingest.pages import furniture

    drops = furniture([page.rows for page in pages])
    return [replace(page, rows=[r for i, r in enumerate(page.rows) if i not in drop],
                    cells=[c for i, c in enumerate(page.cells) if i not in drop] if page.cells else page.cells)
            for page, drop in zip(pages, drops)]


def read_source_text(path: Path, settings: Settings) -> str:
    """The text a result's spans point into, rebuilt from its source document (any kind)."""
    return ingest_source(path, settings).text


def ingest_source(path: Path, settings: Settings) -> Ingested:
    """A result's source document read again: its text, and for PDFs and images the cell boxes."""
    data = read_input_bytes(path, max_bytes=settings.max_input_bytes)
    return ingest_bytes(data, source=str(path), ocr_dpi=settings.ocr_dpi, max_pages=settings.max_pages)


def _read_image(data: bytes, *, source: str, max_pages: int) -> list:
    import numpy as np
    from PIL import Image, ImageSequence, UnidentifiedImageError

    from extractor.ingest.ocr import engine_name, ocr_page_cells
    from extractor.ingest.pdf import PageText
    from extractor.ingest.raster import drop_red
    from extractor.ingest.table import join_rows
    from extractor.progress import page_started

    try:
        image = Image.open(io.BytesIO(data))
        frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise CorruptInput(f"not a readable image: {exc}", source=source) from exc
    if len(frames) > max_pages:
        raise InputTooLarge(f"{len(frames)} pages, more than the limit of {max_pages}", source=source)
    pages = []
    for number, frame in enumerate(frames, start=1):
        page_started(source, number, len(frames))
        started = time.perf_counter()
        cells = ocr_page_cells(drop_red(np.asarray(frame)))      # red seals removed before OCR
        pages.append(PageText(number, "ocr", join_rows(cells), time.perf_counter() - started, engine_name(), cells))
    return pages
