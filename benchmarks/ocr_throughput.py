"""OCR throughput and numeric-cell accuracy, today's engine settings against the batch's, side by
side in one run, on the eval set's documents rendered as noisy scans (render → raster → deskew →
rules → RapidOCR → cells).

    python -m benchmarks.ocr_throughput [--pages 8] [--workers N]

- ``today``: RapidOCR's defaults as formex used them before (one process, onnxruntime on every
  core, the 0/180° angle classifier on, 6 text lines per recognition call, every line padded to
  320 pixels), pages one by one;
- ``batch, old options``: N worker processes with one onnxruntime thread each, no classifier,
  24 lines per call, RapidOCR's padding (the batch's options before this change);
- ``batch``: what ``formex extract -o`` does with ``--workers N`` (default: the cores): N worker
  processes with one onnxruntime thread each and :class:`~extractor.ingest.ocr.OcrOptions`'
  defaults (each batch padded to 160 pixels or its widest line, 6 lines per call);
- ``pages spread``: each whole document read in turn with its pages spread over N workers, as a
  batch of fewer documents than workers runs (:func:`~extractor.ingest.ocr.pages_spread_over`);
- ``one process``: the new engine settings in one process on every core (``formex extract``
  of one file without ``-o``).

Whole documents are rendered until at least ``--pages`` pages, and each page is given as its own
one-page PDF (the same pixels), as the documents of an archive reach the batch's workers.
Rendering and model loading happen before the clock starts; the figure is ingestion only.
Wall time is what a person waits; CPU time (every thread of the reading processes) is the work
done, and is steadier where other programs share the cores. Numeric-cell accuracy: of the numeric cells the source text prints, the share found (same
number, same document) in the OCR'd text; each number counted as often as it is printed.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path
from concurrent.futures import ProcessPoolExecutor

import pymupdf

from eval.dataset import load_cases
from eval.render import render_scan_pdf
from extractor.ingest import ingest_bytes
from extractor.ingest.ocr import TODAY, OcrOptions, PagePool, configure, engine_name, pages_spread_over
from extractor.layout import split_lines
from extractor.normalize import canonical_number, parse_number

DPI = 200
BEFORE = OcrOptions(threads=1, rec_batch=24, rec_width=320)   # the batch's options before


def numeric_cells(text: str) -> Counter:
    found: Counter = Counter()
    for line in split_lines(text):
        for cell in line.cells:
            number = parse_number(cell.text)
            if number is not None:
                found[canonical_number(number)] += 1
    return found


def accuracy(sources: list[str], texts: list[str]) -> tuple[int, int]:
    """(numeric cells found, numeric cells printed) over the documents."""
    hit = total = 0
    for source, text in zip(sources, texts):
        want, got = numeric_cells(source), numeric_cells(text)
        total += sum(want.values())
        hit += sum(min(count, got[number]) for number, count in want.items())
    return hit, total


def one_page_pdfs(data: bytes) -> list[bytes]:
    document = pymupdf.open(stream=data, filetype="pdf")
    pages = []
    for number in range(document.page_count):
        single = pymupdf.open()
        single.insert_pdf(document, from_page=number, to_page=number)
        pages.append(single.tobytes())
    return pages


def read_page(data: bytes) -> str:
    return ingest_bytes(data, source="page.pdf", ocr_dpi=DPI).text


def read_page_timed(data: bytes) -> tuple[str, float]:
    """The page's text and the CPU seconds its process spent on it (every thread)."""
    cpu = time.process_time()
    text = read_page(data)
    return text, time.process_time() - cpu


def _worker_start(options: OcrOptions, warm: bytes) -> None:
    configure(options)
    read_page(warm)                          # load the models before the clock starts


def _wait(seconds: float) -> None:
    time.sleep(seconds)


def run_here(options: OcrOptions, documents: list[list[bytes]]) -> tuple[float, float, list[str]]:
    configure(options)
    read_page(documents[0][0])
    started, cpu = time.perf_counter(), time.process_time()
    texts = ["\n".join(read_page(page) for page in pages) for pages in documents]
    return time.perf_counter() - started, time.process_time() - cpu, texts


def _pool(workers: int, options: OcrOptions, warm: bytes) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, initializer=_worker_start, initargs=(options, warm))


def _pool_cpu(pool: ProcessPoolExecutor) -> float:
    """CPU seconds the pool's worker processes have used so far (Linux ``/proc``)."""
    total = 0
    for pid in pool._processes:                           # noqa: SLF001 - a benchmark's look inside
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])       # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def run_spread(workers: int, documents: list[list[bytes]]) -> tuple[float, float, list[str]]:
    """Whole documents read here one after another, their pages OCR'd by the workers."""
    pool = _pool(workers, OcrOptions(threads=1), documents[0][0])
    list(pool.map(_wait, [1.0] * workers))
    whole = [merged(pages) for pages in documents]
    with pages_spread_over(PagePool(lambda: pool, ahead=workers * 2)):
        started, cpu, workers_cpu = time.perf_counter(), time.process_time(), _pool_cpu(pool)
        texts = [read_page(data) for data in whole]
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu + _pool_cpu(pool) - workers_cpu
    return seconds, cpu, texts


def merged(pages: list[bytes]) -> bytes:
    document = pymupdf.open()
    for data in pages:
        document.insert_pdf(pymupdf.open(stream=data, filetype="pdf"))
    return document.tobytes()


def run_pool(workers: int, documents: list[list[bytes]], options: OcrOptions) -> tuple[float, float, list[str]]:
    with _pool(workers, options, documents[0][0]) as pool:
        list(pool.map(_wait, [1.0] * workers))   # every worker started and warm
        started = time.perf_counter()
        timed = list(pool.map(read_page_timed, [page for pages in documents for page in pages]))
        seconds = time.perf_counter() - started
    flat, cpu = [text for text, _ in timed], sum(seconds for _, seconds in timed)
    texts, at = [], 0
    for pages in documents:
        texts.append("\n".join(flat[at:at + len(pages)]))
        at += len(pages)
    return seconds, cpu, texts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=8, help="render whole documents until at least this many pages")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    sources, documents = [], []
    for case in load_cases():
        text = case.text_path.read_text(encoding="utf-8")
        sources.append(text)
        documents.append(one_page_pdfs(render_scan_pdf(text, seed=1)))
        if sum(map(len, documents)) >= args.pages:
            break
    pages = sum(map(len, documents))
    print(f"{engine_name()}, {DPI} dpi, {pages} pages of {len(documents)} documents, {os.cpu_count()} cores, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    configs = {"today": lambda: run_here(TODAY, documents),
               "batch, old options": lambda: run_pool(args.workers, documents, BEFORE),
               f"batch, {args.workers} workers": lambda: run_pool(args.workers, documents, OcrOptions(threads=1)),
               "pages spread": lambda: run_spread(args.workers, documents),
               "one process": lambda: run_here(OcrOptions(), documents)}
    base = base_cpu = None
    for name, measure in configs.items():
        seconds, cpu, texts = measure()
        hit, total = accuracy(sources, texts)
        rate, per_cpu = pages / seconds * 60, pages / cpu * 60
        base, base_cpu = base or rate, base_cpu or per_cpu
        print(f"{name:>20}: {seconds:6.1f}s  {rate:5.1f} pages/min ({rate / base:.2f}x today)  "
              f"{cpu:6.1f} CPU s  {per_cpu:5.1f} pages/CPU-min ({per_cpu / base_cpu:.2f}x today)  "
              f"numeric cells {hit}/{total} = {hit / total:.4f}", flush=True)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")

if __name__ == "__main__":
    main()
