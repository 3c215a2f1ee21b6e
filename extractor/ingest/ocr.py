"""OCR of page images with RapidOCR (PP-OCR models shipped inside the ``rapidocr`` wheel, run by
``onnxruntime``): character boxes, placed into the table cells found in the pixels."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from extractor.errors import ConfigError
from extractor.ingest.raster import bands_from_image, deskew
from extractor.ingest.table import Cell, Glyph, join_rows, table_cells

_lock = threading.Lock()


@dataclass(frozen=True)
class OcrOptions:
    """How the OCR engine runs.

    ``threads``: onnxruntime threads per model (0: as many as cores). A batch's worker processes
    use one each, and as many workers as cores: whole pages in parallel beat one page's
    operators spread over cores. ``angle_classifier``: PP-OCR's 0/180° text-line classifier,
    not needed on pages :func:`ocr_page_rows` has deskewed. ``rec_batch``: text lines recognised
    per model call (lines are sorted by width first, so a batch pads little).
    """

    threads: int = 0
    angle_classifier: bool = False
    rec_batch: int = 24


TODAY = OcrOptions(threads=0, angle_classifier=True, rec_batch=6)   # RapidOCR's defaults, for comparison
_options = OcrOptions()


def configure(options: OcrOptions) -> None:
    """Choose how this process runs OCR (a batch worker calls it once, at its start)."""
    global _options
    _options = options


def engine_name() -> str:
    try:
        return f"rapidocr {version('rapidocr')} (onnxruntime {version('onnxruntime')})"
    except PackageNotFoundError:
        return "rapidocr (not installed)"


@lru_cache(maxsize=2)
def _engine(options: OcrOptions):  # type: ignore[no-untyped-def]
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ConfigError("OCR needs the packages rapidocr and onnxruntime: pip install -e .") from exc
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    threads = options.threads if options.threads > 0 else -1
    return RapidOCR(params={"Global.log_level": "error", "Global.use_cls": options.angle_classifier,
                            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                            "EngineConfig.onnxruntime.inter_op_num_threads": 1 if threads > 0 else -1,
                            "Rec.rec_batch_num": options.rec_batch, "Cls.cls_batch_num": options.rec_batch})


def ocr_glyphs(gray: np.ndarray) -> list[Glyph]:
    """Character boxes of a page image (one Glyph per character RapidOCR reports)."""
    with _lock:   # one engine per process and options; its onnxruntime threads are its own
        result = _engine(_options)(gray, return_word_box=True)
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
