"""OCR of page images with RapidOCR (PP-OCR models shipped inside the ``rapidocr`` wheel, run by
``onnxruntime``): character boxes, placed into the table cells found in the pixels."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from extractor.errors import ConfigError
from extractor.ingest.raster import bands_from_image, deskew
from extractor.ingest.table import Cell, Glyph, join_rows, table_cells

_lock = threading.Lock()


def engine_name() -> str:
    try:
        return f"rapidocr {version('rapidocr')} (onnxruntime {version('onnxruntime')})"
    except PackageNotFoundError:
        return "rapidocr (not installed)"


@lru_cache(maxsize=1)
def _engine():  # type: ignore[no-untyped-def]
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ConfigError("OCR needs the packages rapidocr and onnxruntime: pip install -e .") from exc
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    return RapidOCR(params={"Global.log_level": "error"})


def ocr_glyphs(gray: np.ndarray) -> list[Glyph]:
    """Character boxes of a page image (one Glyph per character RapidOCR reports)."""
    with _lock:   # one engine per process; onnxruntime already uses every core
        result = _engine()(gray, return_word_box=True)
    glyphs = []
    if not result.txts:         # nothing detected: word_results is a placeholder
        return []
    for line in result.word_results or ():
        for word in line or ():
            if not isinstance(word, tuple) or len(word) != 3 or word[2] is None:
                continue
            text, _score, quad = word
            xs, ys = [p[0] for p in quad], [p[1] for p in quad]
            glyphs.append(Glyph(float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys)), text))
    return glyphs


def ocr_page_rows(gray: np.ndarray) -> list[str]:
    """A page image as row text: straighten, find the table rules, OCR, place boxes in cells."""
    return join_rows(ocr_page_cells(gray))


def ocr_page_cells(gray: np.ndarray) -> list[list[Cell]]:
    """The rows of :func:`ocr_page_rows` as cells, boxes as fractions of the (unstraightened) image."""
    from extractor.ingest.boxes import relative

    level, angle = deskew(gray)
    cells = table_cells(ocr_glyphs(level), bands_from_image(level))
    return relative(cells, gray.shape[1], gray.shape[0], rotation=angle)
