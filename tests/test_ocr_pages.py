"""One scanned document's pages OCR'd several at once, by a pool's workers, and put back in order.

The OCR itself is replaced by a stand-in that reads which page it was given from the image's gray
level and returns that page's rows of a real form: the form comes out whole only if every page
is read, and in order. (Worker processes are forked, so they inherit the stand-in.)
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pymupdf
import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.errors import WorkerCrashed
from extractor.ingest import ocr
from extractor.ingest.pdf import read_pdf
from extractor.ingest.table import Cell
from tests.conftest import SELF_EVALUATION

PAGES = 4


def page_rows() -> list[list[str]]:
    """The self-evaluation form's rows cut into :data:`PAGES` pages."""
    rows = [row for row in SELF_EVALUATION.splitlines() if row.strip()]
    size = -(-len(rows) // PAGES)
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def scanned_pages() -> bytes:
    """An image-only PDF whose page ``i`` is a flat gray of level ``40 + 20 i``."""
    document = pymupdf.open()
    for index in range(PAGES):
        page = document.new_page(width=200, height=280)
        pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 100, 140), False)
        pix.set_rect(pix.irect, (40 + 20 * index,))
        page.insert_image(page.rect, pixmap=pix)
    return document.tobytes()


def fake_ocr(log_dir=None):
    rows = page_rows()

    def ocr_page_cells(gray: np.ndarray) -> list[list[Cell]]:
        index = round((float(gray.mean()) - 40) / 20)
        if log_dir is not None:
            (log_dir / f"{index}.pid").write_text(str(os.getpid()))
        time.sleep(0.2)              # long enough for every worker to get pages
        return [[Cell(text, None) for text in row.split("\t")] for row in rows[index]]

    return ocr_page_cells


def test_pages_read_by_a_pool_come_back_in_order(monkeypatch):
    monkeypatch.setattr(ocr, "ocr_page_cells", fake_ocr())
    alone, _ = read_pdf(scanned_pages(), source="scan.pdf")
    with ocr.pages_spread_over(ocr.PagePool(lambda: ThreadPoolExecutor(2), ahead=3)):
        spread, _ = read_pdf(scanned_pages(), source="scan.pdf")
    assert [p.rows for p in spread] == [p.rows for p in alone] == page_rows()
    assert [p.number for p in spread] == list(range(1, PAGES + 1))
    assert ocr.pages_ahead() == 0                    # outside the block, pages are read one by one


def test_a_worker_that_dies_on_a_page_fails_its_document_as_a_crash():
    dead: Future = Future()
    dead.set_exception(BrokenProcessPool("a worker died"))
    with pytest.raises(WorkerCrashed, match="page 3"):
        ocr.settled(dead, "scan.pdf", 3)


def test_a_batch_of_one_scan_spreads_its_pages_over_the_workers(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "ocr_page_cells", fake_ocr(tmp_path))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "scan.pdf").write_bytes(scanned_pages())
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "in"), "-o", str(out), "--workers", "2",
                                       "--no-progress"])
    assert result.exit_code == 0, result.output
    readers = {int(p.read_text()) for p in tmp_path.glob("*.pid")}
    assert len(list(tmp_path.glob("*.pid"))) == PAGES
    assert os.getpid() not in readers and len(readers) == 2      # both workers read pages
    document = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    assert [p["page"] for p in document["input"]["pages"]] == list(range(1, PAGES + 1))
    assert len(document["forms"]) == 1 and document["forms"][0]["project_name"]
