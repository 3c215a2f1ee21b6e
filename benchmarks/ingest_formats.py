"""Ingestion throughput of workbooks, Word files and web pages on one core: forms per second.

    python -m benchmarks.ingest_formats [--seconds 5] [--formats xlsx docx html]

The eval set's documents are rendered once into each format (:mod:`eval.render_formats`); the
timed loop is ``ingest_bytes`` (the reader: bytes → row text), and separately ``extract_bytes``
(reader, layout, segmentation, rules backend, validators), so the reader's share is visible.
Run it pinned to one core: ``taskset -c 0 python -m benchmarks.ingest_formats``.
"""

from __future__ import annotations

import argparse
import json
import time

from eval.dataset import load_cases
from eval.render_formats import render
from extractor import normalize
from extractor.backends.rules import RulesBackend
from extractor.ingest import ingest_bytes
from extractor.pipeline import extract_bytes
from extractor.settings import Settings


def _rate(documents: list[bytes], forms_per_pass: int, seconds: float, run) -> dict[str, float]:  # noqa: ANN001
    passes = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds or passes == 0:
        for data in documents:
            normalize._key.cache_clear()
            normalize._parse_number.cache_clear()
            run(data)
        passes += 1
    elapsed = time.perf_counter() - started
    return {"forms_per_s": round(passes * forms_per_pass / elapsed, 1),
            "documents_per_s": round(passes * len(documents) / elapsed, 1)}


def measure(fmt: str, seconds: float) -> dict[str, object]:
    cases = load_cases()
    documents = [render(case.text_path.read_text(encoding="utf-8"), fmt) for case in cases]
    forms = sum(len(case.gold) for case in cases)
    backend, settings = RulesBackend(), Settings()
    return {
        "format": fmt,
        "documents": len(documents),
        "forms": forms,
        "bytes": sum(len(d) for d in documents),
        "read": _rate(documents, forms, seconds, lambda d: ingest_bytes(d, source=f"x.{fmt}")),
        "extract": _rate(documents, forms, seconds,
                         lambda d: extract_bytes(d, source=f"x.{fmt}", settings=settings, backend=backend)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per format and per measure")
    parser.add_argument("--formats", nargs="+", default=["xlsx", "docx", "html"])
    args = parser.parse_args(argv)
    for fmt in args.formats:
        print(json.dumps(measure(fmt, args.seconds), ensure_ascii=False))


if __name__ == "__main__":
    main()
