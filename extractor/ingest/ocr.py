"""OCR of page images with RapidOCR (PP-OCR models shipped inside the ``rapidocr`` wheel, run by
``onnxruntime``): character boxes, placed into the table cells found in the pixels."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from extractor.errors import ConfigError, WorkerCrashed
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
    per model call (lines are sorted by width first, so a batch pads little; small batches stay
    in the CPU's cache: 6 lines a call cost less per line than 24). ``rec_width``: the narrowest
    a recognition batch is padded to, in pixels at the model's 48-pixel line height; recognition
    cost is linear in the padded width. RapidOCR pads every line to 320, so a number cell of 2–3
    line-heights costs as much as a 7-character label. With 160 the eval set's rendered scans
    score as with 320 (field F1 0.9876 both, each document the same) at about two thirds of the
    recognition cost; padding only to each batch's widest line (48) costs half but misread
    ``6,881.38`` as ``6.881.38`` and ``/`` as ``(`` there (F1 0.9854).
    ``det_side``: the longer side, in pixels, the page is scaled to for text detection (0:
    RapidOCR's own choice, which keeps a 200-dpi page near full size). At 1280 detection costs
    ~2.5× less, but lone narrow glyphs score lower (``det_box_threshold`` 0.3 finds them again)
    and a number wrapped one character per line in a narrow column merges into one tall box that
    reads as garbage (``10.00`` → ``-000``), so the default stays at full size.
    ``memory_arena``: onnxruntime keeps the buffers it allocated for the next call. Off, as in
    RapidOCR: measured on the rendered scans it saved ~10% of the models' CPU time but raised a
    process's peak memory from ~740 to ~1,020 MiB, and a batch runs one such process per core.
    """

    threads: int = 0
    angle_classifier: bool = False
    rec_batch: int = 6
    rec_width: int = 160
    det_side: int = 0
    det_box_threshold: float = 0.5
    memory_arena: bool = False


# RapidOCR's defaults, for comparison
TODAY = OcrOptions(threads=0, angle_classifier=True, rec_batch=6, rec_width=320)
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
    params = {"Global.log_level": "error", "Global.use_cls": options.angle_classifier,
              "EngineConfig.onnxruntime.intra_op_num_threads": threads,
              "EngineConfig.onnxruntime.inter_op_num_threads": 1 if threads > 0 else -1,
              "EngineConfig.onnxruntime.enable_cpu_mem_arena": options.memory_arena,
              "Rec.rec_batch_num": options.rec_batch, "Cls.cls_batch_num": options.rec_batch,
              "Rec.rec_img_shape": [3, 48, options.rec_width], "Det.box_thresh": options.det_box_threshold}
    if options.det_side > 0:
        params.update({"Det.limit_type": "max", "Det.limit_side_len": options.det_side})
    return RapidOCR(params=params)


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


def timed_page_cells(gray: np.ndarray) -> tuple[list[list[Cell]], float]:
    """:func:`ocr_page_cells` and the seconds it took (where it ran: here, or a pool's worker)."""
    started = time.perf_counter()
    return ocr_page_cells(gray), time.perf_counter() - started


# --- one document's pages over several processes ----------------------------------------------

PageFuture = Future   # of (a page's cells, the seconds its OCR took)


class PagePool:
    """Worker processes that OCR pages of the document being read here. ``make`` starts the pool
    (again, after a worker died: that page's document fails, the next one gets a fresh pool);
    ``ahead``: pages handed out before the first is waited for (memory: one gray image each)."""

    def __init__(self, make: Callable[[], Executor], ahead: int) -> None:
        self._make = make
        self.ahead = ahead
        self.pool: Executor | None = None

    def submit(self, gray: np.ndarray) -> PageFuture:
        if self.pool is None:
            self.pool = self._make()
        try:
            return self.pool.submit(timed_page_cells, gray)
        except BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._make()
            return self.pool.submit(timed_page_cells, gray)

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


_pages: PagePool | None = None


@contextmanager
def pages_spread_over(pool: PagePool) -> Iterator[PagePool]:
    """Within it, the pages a document needs OCR'd go to ``pool``'s workers, several at once (a
    batch with fewer documents than workers: one long scan's pages would otherwise be read one
    after another by one worker while the others wait). The pool is shut down on leaving."""
    global _pages
    before, _pages = _pages, pool
    try:
        yield pool
    finally:
        _pages = before
        pool.shutdown()


def read_later(gray: np.ndarray) -> PageFuture:
    """The page's cells and seconds as a future: read now, or by a :class:`PagePool`'s worker."""
    if _pages is not None:
        return _pages.submit(gray)
    read: PageFuture = Future()
    read.set_result(timed_page_cells(gray))
    return read


def pages_ahead() -> int:
    """How many pages may be in flight while a document is read (0: one at a time, here)."""
    return _pages.ahead if _pages is not None else 0


def settled(future: PageFuture, source: str, number: int) -> tuple[list[list[Cell]], float]:
    """The cells of a page from :func:`read_later`; a worker that died is :class:`WorkerCrashed`."""
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise WorkerCrashed(f"the worker process died (out of memory?) while reading page {number}",
                            source=source) from exc
