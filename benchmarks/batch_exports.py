"""Exports and memory of large batches, measured side by side in one run.

    python -m benchmarks.batch_exports [--forms 10000] [--workers N]     # export cost vs extraction
    python -m benchmarks.batch_exports --rss [--small 50] [--large 5000]  # peak RSS, small vs large batch

Documents are synthetic (:mod:`eval.synthetic`, seeded, every one different, so none is a
duplicate of another), written as text files first; the clock starts after.

- export cost: the batch is run as ``formex extract -o OUT --xlsx --csv`` runs it (``Batch``
  with the workbook and CSV writers as sinks, ``--workers`` default: the cores). The writers'
  time is measured in the run; the workers' share (each form's rows for the exports, and its
  forms.jsonl line: serialised again here, an upper bound, since the batch reuses the result
  file's serialisation) is measured again apart on the same results. Extraction is the run less
  the exports' share. Ratios in wall time and in CPU time (this process and its workers: steadier
  on a shared machine).
- peak RSS: ``formex extract DIR -o OUT --xlsx --csv`` in a child process on a small and a large
  batch; the child's own peak RSS and its workers' (``RUSAGE_CHILDREN``: the largest of them).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from eval.synthetic import make_document


def cpu_seconds() -> float:
    """CPU time of this process and of its waited-for children (the batch's workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def write_documents(folder: Path, *, forms: int | None = None, documents: int | None = None,
                    per_document: tuple[int, int] = (2, 6)) -> tuple[int, int]:
    """Synthetic documents into ``folder`` until ``forms`` forms or ``documents`` documents."""
    folder.mkdir(parents=True, exist_ok=True)
    count = total = 0
    while (forms is not None and total < forms) or (documents is not None and count < documents):
        document = make_document(count, forms=per_document)
        (folder / f"doc{count:06d}.txt").write_text(document.text, encoding="utf-8")
        total += len(document.gold)
        count += 1
    return count, total


class Timed:
    """A sink (workbook or CSV writer) whose ``add`` and ``close`` are timed."""

    def __init__(self, sink, timer: "Timers") -> None:  # type: ignore[no-untyped-def]
        self.sink, self.timer = sink, timer

    def add(self, rows) -> None:  # type: ignore[no-untyped-def]
        with self.timer("sinks"):
            self.sink.add(rows)

    def close(self) -> int:
        with self.timer("sinks"):
            return self.sink.close()


def export_cost(forms: int, workers: int) -> dict[str, float]:
    from extractor.batch import Batch, listing
    from extractor.export_csv import CsvWriter
    from extractor.export_tables import document_rows
    from extractor.export_xlsx import WorkbookWriter
    from extractor.inputs import discover
    from extractor.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        documents, total = write_documents(root / "in", forms=forms)
        settings = Settings()
        items, refused = discover([str(root / "in")], max_bytes=settings.max_input_bytes)
        timer = Timers()
        sinks = [Timed(WorkbookWriter(root / "forms.xlsx"), timer), Timed(CsvWriter(root / "csv"), timer)]
        batch = Batch(root / "out", settings, workers=workers, sinks=sinks)
        started, cpu = time.perf_counter(), cpu_seconds()
        summary = batch.run(items, refused)
        for sink in sinks:
            sink.close()
        run, run_cpu = time.perf_counter() - started, cpu_seconds() - cpu
        size = (root / "forms.xlsx").stat().st_size

        apart = Timers()           # the workers' share, measured again here on the same results
        for name in batch.output.result_names():
            document = json.loads((root / "out" / name).read_text(encoding="utf-8"))
            with apart("rows"):
                list(document_rows(iter([document])))
            with apart("jsonl"):
                listing(document)
    export_wall = timer.wall["sinks"] + apart.wall["rows"] + apart.wall["jsonl"]
    export_cpu = timer.cpu["sinks"] + apart.cpu["rows"] + apart.cpu["jsonl"]
    extraction, extraction_cpu = run - timer.wall["sinks"], run_cpu - timer.cpu["sinks"] - apart.cpu["rows"]
    return {"documents": documents, "forms": total, "forms_extracted": summary.run.forms, "workers": workers,
            "run_s": round(run, 2), "run_cpu_s": round(run_cpu, 2),
            "extraction_s": round(extraction, 2), "extraction_cpu_s": round(extraction_cpu, 2),
            "workbook_csv_writers_s": round(timer.wall["sinks"], 2), "workbook_csv_writers_cpu_s": round(timer.cpu["sinks"], 2),
            "rows_cpu_s": round(apart.cpu["rows"], 2), "forms_jsonl_cpu_s": round(apart.cpu["jsonl"], 2),
            "exports_over_extraction": round(export_wall / extraction, 3),
            "exports_over_extraction_cpu": round(export_cpu / extraction_cpu, 3), "workbook_mb": round(size / 2**20, 1)}


class Timers:
    """Wall and CPU seconds summed per name over ``with timer(name):`` blocks."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
        self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu

RUN_AND_REPORT = """
import json, resource, sys
from extractor.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps({"self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "workers_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def peak_rss(documents: int, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _, forms = write_documents(root / "in", documents=documents)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", RUN_AND_REPORT, "extract", str(root / "in"), "-o", str(root / "out"),
                               "--workers", str(workers), "--no-progress", "--xlsx", str(root / "forms.xlsx"),
                               "--csv", str(root / "csv")], capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - started
    usage = json.loads(done.stdout.strip().splitlines()[-1])
    return {"documents": documents, "forms": forms, "seconds": round(seconds, 1),
            "peak_rss_mb": round(usage["self_kb"] / 1024, 1), "peak_worker_rss_mb": round(usage["workers_kb"] / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rss", action="store_true", help="measure peak RSS of a small and a large batch instead")
    parser.add_argument("--small", type=int, default=50)
    parser.add_argument("--large", type=int, default=5000)
    args = parser.parse_args()
    if not args.rss:
        print(json.dumps(export_cost(args.forms, args.workers)), flush=True)
        return
    small = peak_rss(args.small, args.workers)
    print(json.dumps(small), flush=True)
    large = peak_rss(args.large, args.workers)
    print(json.dumps(large), flush=True)
    print(json.dumps({"peak_rss_ratio": round(large["peak_rss_mb"] / small["peak_rss_mb"], 3),
                      "peak_worker_rss_ratio": round(large["peak_worker_rss_mb"] / small["peak_worker_rss_mb"], 3)}))


if __name__ == "__main__":
    main()
