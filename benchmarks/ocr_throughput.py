"""OCR throughput: pages per minute through the scan path (render → raster → deskew → rules →
RapidOCR → cells), on the eval set's documents rendered as noisy scans.

    python -m benchmarks.ocr_throughput [--pages N]

Rendering is done before the clock starts; the figure is ingestion only (no parsing).
"""

from __future__ import annotations

import argparse
import time

import pymupdf

from eval.dataset import load_cases
from eval.render import render_scan_pdf
from extractor.ingest import ingest_bytes
from extractor.ingest.ocr import engine_name


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=8, help="stop after about this many pages")
    parser.add_argument("--dpi", type=int, default=200)
    args = parser.parse_args(argv)
    scans = []
    pages = 0
    for case in load_cases():
        data = render_scan_pdf(case.text_path.read_text(encoding="utf-8"), seed=1)
        scans.append(data)
        pages += pymupdf.open(stream=data, filetype="pdf").page_count
        if pages >= args.pages:
            break
    ingest_bytes(scans[0], source="warm-up", ocr_dpi=args.dpi)   # load the models first
    started = time.perf_counter()
    for i, data in enumerate(scans):
        ingest_bytes(data, source=f"scan{i}", ocr_dpi=args.dpi)
    seconds = time.perf_counter() - started
    print(f"{engine_name()}, {args.dpi} dpi: {pages} pages in {seconds:.1f}s = "
          f"{pages / seconds * 60:.1f} pages/min ({seconds / pages:.2f} s/page)")


if __name__ == "__main__":
    main()
