"""The layout step on one core: milliseconds a document to recognise a text's layout and rebuild
its rows, over the eval set printed in each text layout.

    python -m benchmarks.layouts [--seconds 3]

Each layout's texts are rendered once (``eval.render_formats``: the gold as tab rows, pipes, one
cell per line, flattened, glued); the timed loop is ``extractor.ingest.layouts.rebuild``, the call
ingestion makes on every text input before it is parsed. Text-keyed caches are cleared before each
document, as in ``benchmarks.throughput``. Run it pinned: ``taskset -c 0 python -m benchmarks.layouts``.
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.throughput import clear_caches
from eval.dataset import load_cases
from eval.render_formats import render
from extractor.ingest.layouts import rebuild

LAYOUTS = ("tsv", "pipes", "cells", "flat", "glued")


def texts_in(layout: str) -> list[str]:
    sources = [case.text_path.read_text(encoding="utf-8") for case in load_cases()]
    if layout == "tsv":
        return sources
    return [render(text, layout).decode("utf-8") for text in sources]


def measure(layout: str, seconds: float) -> dict[str, object]:
    texts = texts_in(layout)
    documents = 0
    started, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        for text in texts:
            clear_caches()
            rebuild(text)
            documents += 1
    cpu = time.process_time() - cpu
    return {"layout": layout, "documents": documents, "cpu_ms_per_document": round(1000 * cpu / documents, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="per layout")
    args = parser.parse_args()
    for layout in LAYOUTS:
        print(json.dumps(measure(layout, args.seconds)), flush=True)


if __name__ == "__main__":
    main()
