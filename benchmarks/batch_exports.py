"""Exports and memory of large batches, measured side by side in one run.

    python -m benchmarks.batch_exports [--forms 10000] [--workers N] [--rounds 2]   # export cost vs extraction
    python -m benchmarks.batch_exports --rss [--small 50] [--large 5000]  # peak RSS, small vs large batch

Documents are synthetic (:mod:`eval.synthetic`, seeded, every one different, so none is a
duplicate of another), written as text files first; the clock starts after.

Export cost: the same inputs are run as ``formex extract -o OUT`` runs them (``Batch``,
``--workers`` default: the cores), with the workbook and CSV writers as sinks (``--xlsx --csv``:
run A) and without (run B), ``--rounds`` times each in alternating order (A B, B A, ...), after a
warm-up batch (:data:`WARM_UP`). The exports' share of extraction is reported both ways:

- **A less B** (``exports_over_extraction_cpu_a_vs_b``): CPU time of this process and its workers,
  run A less run B, plus forms.jsonl (which B writes too), over run B less forms.jsonl. This is
  what a reviewer reads as the exports' cost; on a shared machine it is noisy (each round's
  figure is printed: they spread by hundreds of µs a form when the load changes between runs).
- **Accounted piece by piece** in the A runs (``exports_over_extraction_cpu``), each piece timed
  where it runs: in the workers (:class:`InWorkers`), each document's export parts
  (:func:`~extractor.export_tables.render_exports`) and its forms.jsonl lines and flagged forms
  (the functions are wrapped before the batch forks its workers, each worker sums its own CPU
  time and sends it with the document's parts); in the batch process, the writers' ``add`` and
  ``close`` and the writing of forms.jsonl/flagged.jsonl; passing the parts and the listing from
  worker to batch (pickling and unpickling), measured apart, here, on the first A run's results.
  Extraction is run A less all of that.

A less B is split into the batch process and its workers. The parser + validators
(``extract_text``) are timed in the workers too, to project both ratios for a parser N times
faster (N = 2, 3, 4): extraction less (N-1)/N of them. As checks, the rendering and the parser are
measured again apart, in this process, on the same documents.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from eval.synthetic import make_document


def cpu_seconds() -> float:
    """CPU time of this process and of its waited-for children (the batch's workers)."""
    return sum(cpu_split())


def cpu_split() -> tuple[float, float]:
    """CPU time of this process, and of its waited-for children (the batch's workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


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

    def __init__(self, sink: Any, timer: "Timers") -> None:
        self.sink, self.timer, self.kind = sink, timer, sink.kind

    def add(self, part: Any) -> None:
        with self.timer("sinks"):
            self.sink.add(part)

    def close(self) -> int:
        with self.timer("sinks"):
            return self.sink.close()


class InWorkers:
    """CPU seconds spent on named pieces inside the batch's workers, timed where they run:
    :meth:`installed` wraps the functions before the batch forks its workers (so a worker runs the
    wrapped ones); each worker sums its own time and sends the sums with each document's export
    parts, which the batch takes out before the parts go on to the writers."""

    REPORT = "_cpu_in_worker"
    PIECES = {"render": ("extractor.batch", "render_exports"), "listing": ("extractor.batch", "listing_lines"),
              "flagged": ("extractor.batch", "flagged_forms"),
              "parser_validators": ("extractor.pipeline", "extract_text")}

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}

    @contextmanager
    def installed(self) -> Iterator[None]:
        from importlib import import_module

        from extractor.batch import BatchOutput

        spent: dict[str, float] = {}     # in each worker (a copy made by fork): its sums since it last sent them
        modules = {name: import_module(module) for name, (module, _) in self.PIECES.items()}
        originals = {name: getattr(modules[name], attr) for name, (_, attr) in self.PIECES.items()}
        extracted = BatchOutput.extracted

        def timed(name: str, function: Any) -> Any:
            def run(*args: Any, **kwargs: Any) -> Any:
                started = time.process_time()
                try:
                    return function(*args, **kwargs)
                finally:
                    spent[name] = spent.get(name, 0.0) + time.process_time() - started
            return run

        def render_and_report(document: dict[str, Any], kinds: Any) -> dict[str, Any]:
            parts = timed("render", originals["render"])(document, kinds)
            parts[self.REPORT] = dict(spent)
            spent.clear()
            return parts

        def take_report(output: Any, position: int, item: Any, digest: str, outcome: dict[str, Any]) -> None:
            for name, seconds in (outcome.get("exports") or {}).pop(self.REPORT, {}).items():
                self.cpu[name] = self.cpu.get(name, 0.0) + seconds
            extracted(output, position, item, digest, outcome)

        for name, (_, attr) in self.PIECES.items():
            setattr(modules[name], attr, render_and_report if name == "render" else timed(name, originals[name]))
        BatchOutput.extracted = take_report   # type: ignore[method-assign]
        try:
            yield
        finally:
            for name, (_, attr) in self.PIECES.items():
                setattr(modules[name], attr, originals[name])
            BatchOutput.extracted = extracted   # type: ignore[method-assign]


def run_batch(root: Path, name: str, items: list, refused: list, workers: int, exports: bool) -> dict[str, Any]:
    """One batch over the inputs into ``root/name``: wall and CPU seconds, the parent's timers and
    the workers' (:class:`InWorkers`: installed in both runs, so that both carry its small cost)."""
    import multiprocessing

    from extractor.batch import Batch, BatchOutput
    from extractor.export_csv import CsvWriter
    from extractor.export_xlsx import WorkbookWriter
    from extractor.settings import Settings

    assert workers == 1 or multiprocessing.get_start_method() == "fork", "workers are timed by wrapping before a fork"
    timer, in_workers = Timers(), InWorkers()
    sinks = [Timed(WorkbookWriter(root / f"{name}.xlsx"), timer), Timed(CsvWriter(root / f"{name}_csv"), timer)] \
        if exports else []
    batch = Batch(root / name, Settings(), workers=workers, sinks=sinks)
    listed = BatchOutput._list

    def timed_list(self: Any, *args: Any) -> None:          # forms.jsonl and flagged.jsonl, written here
        with timer("list"):
            listed(self, *args)

    BatchOutput._list = timed_list   # type: ignore[method-assign]
    try:
        with in_workers.installed():
            started, split = time.perf_counter(), cpu_split()
            summary = batch.run(items, refused)
            for sink in sinks:
                sink.close()
            wall, (parent, workers_cpu) = time.perf_counter() - started, map(float.__sub__, cpu_split(), split)
            cpu = parent + workers_cpu
    finally:
        BatchOutput._list = listed   # type: ignore[method-assign]
    return {"wall": wall, "cpu": cpu, "cpu_parent": parent, "cpu_workers": workers_cpu, "timer": timer, "in_workers": in_workers.cpu, "batch": batch,
            "forms": summary.run.forms}


def apart(root: Path, batch: Any, kinds: tuple[str, ...]) -> "Timers":
    """Measured here, apart, on the batch's results: passing each document's parts and its listing
    from worker to batch (pickling and unpickling), and, as a check on the figures timed in the
    workers, the rendering and the parser + validators again."""
    from extractor.backends import get_backend
    from extractor.batch import _compact, flagged_forms, listing_lines
    from extractor.export_tables import render_exports
    from extractor.pipeline import extract_text
    from extractor.settings import Settings

    timer, settings = Timers(), Settings()
    backend = get_backend(settings)
    for result in batch.output.result_names():
        document = json.loads((root / result).read_text(encoding="utf-8"))
        forms = [_compact(form).encode() for form in document.get("forms") or []]   # the result file's own (UTF-8)
        with timer("render"):
            parts = render_exports(document, kinds)
        listed = (listing_lines(document, forms), flagged_forms(document))
        for piece, sent in (("parts", parts), ("listed", listed)):     # each piece passed to the batch, both ways
            with timer(f"pickle_{piece}"):
                pickle.loads(pickle.dumps(sent, protocol=pickle.HIGHEST_PROTOCOL))
        text = Path(document["source"]).read_text(encoding="utf-8")
        with timer("parser_validators"):
            extract_text(text, source=document["source"], settings=settings, backend=backend)
    return timer


def export_cost(forms: int, workers: int, rounds: int = 2) -> dict[str, Any]:
    from extractor.inputs import discover
    from extractor.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        documents, total = write_documents(root / "in", forms=forms)
        items, refused = discover([str(root / "in")], max_bytes=Settings().max_input_bytes)
        load = os.getloadavg()[0]
        run_batch(root, "warm", items[:max(50, len(items) // 20)], [], workers, exports=False)   # see WARM_UP
        runs: dict[str, list[dict[str, Any]]] = {"a": [], "b": []}
        for round_ in range(rounds):
            for name in ("ab" if round_ % 2 == 0 else "ba"):
                runs[name].append(run_batch(root, f"{name}{round_}", items, refused, workers, exports=name == "a"))
                load = max(load, os.getloadavg()[0])
                if round_:
                    shutil.rmtree(root / f"{name}{round_}")
        first = runs["a"][0]
        size = (root / "a0.xlsx").stat().st_size
        here = apart(root / "a0", first["batch"], tuple(sink.kind for sink in first["batch"].sinks))
        load = max(load, os.getloadavg()[0])
    return report(runs, here, documents, total, workers, load, size)


WARM_UP = """A warm-up batch (a twentieth of the inputs, no exports) runs first: the first batch of a
process cost ~500 µs a form more than the next ones (parent and workers alike), which, when run A
came first, counted as the exports' cost."""


def report(runs: dict[str, list[dict[str, Any]]], here: "Timers", documents: int, total: int, workers: int,
           load: float, size: int) -> dict[str, Any]:
    """The exports' cost both ways: accounted piece by piece in the A runs, and A less B (their
    sums over the rounds, run in alternating order: A B, B A, ...)."""
    a, b = (_summed(runs[name]) for name in ("a", "b"))
    n, timer, worker = a["forms"], a["timer"], a["in_workers"]
    us = lambda seconds: round(1e6 * seconds / n, 1)   # noqa: E731  (µs per form, over all the A or B runs)
    apart_per_form = len(runs["a"])                     # (measured apart once, on the first A run's results)
    book_csv = timer["sinks"] + worker["render"] + here.cpu["pickle_parts"] * apart_per_form          # the workbook and CSV
    jsonl = (worker["listing"] + worker["flagged"] + here.cpu["pickle_listed"] * apart_per_form
             + timer["list"])                                                                          # forms.jsonl, flagged
    exports = book_csv + jsonl
    extraction = a["cpu"] - exports
    side_exports, side_extraction = a["cpu"] - b["cpu"] + jsonl, b["cpu"] - jsonl   # B lists forms.jsonl too
    pv = worker["parser_validators"]
    projected = {f"parser_{k}x_faster": round(exports / (extraction - pv * (k - 1) / k), 3) for k in (2, 3, 4)}
    side_projected = {f"parser_{k}x_faster": round(side_exports / (side_extraction - pv * (k - 1) / k), 3)
                      for k in (2, 3, 4)}
    per_round = [round(1e6 * (ra["cpu"] - rb["cpu"]) / ra["forms"], 1) for ra, rb in zip(runs["a"], runs["b"])]
    return {"documents": documents, "forms": total, "forms_extracted": runs["a"][0]["forms"], "workers": workers,
            "rounds": len(runs["a"]), "load_average_max": round(load, 1), "workbook_mb": round(size / 2**20, 1),
            "run_a_wall_s": [round(r["wall"], 2) for r in runs["a"]], "run_b_wall_s": [round(r["wall"], 2) for r in runs["b"]],
            "run_a_cpu_s": [round(r["cpu"], 2) for r in runs["a"]], "run_b_cpu_s": [round(r["cpu"], 2) for r in runs["b"]],
            "us_per_form": {"exports": us(exports), "extraction": us(extraction),
                            "workbook_csv_render_in_workers": us(worker["render"]),
                            "workbook_csv_writers": us(timer["sinks"]),
                            "workbook_csv_pickle_unpickle": us(here.cpu["pickle_parts"] * apart_per_form),
                            "forms_jsonl_flagged": us(jsonl),
                            "of_which_listing_in_workers": us(worker["listing"] + worker["flagged"]),
                            "of_which_pickle_unpickle": us(here.cpu["pickle_listed"] * apart_per_form),
                            "of_which_writes": us(timer["list"]),
                            "parser_validators_in_workers": us(pv),
                            "accounted_workbook_csv": us(book_csv),
                            "run_a_less_run_b": us(a["cpu"] - b["cpu"]), "run_a_less_run_b_per_round": per_round,
                            "run_a_less_run_b_parent": us(a["cpu_parent"] - b["cpu_parent"]),
                            "run_a_less_run_b_workers": us(a["cpu_workers"] - b["cpu_workers"])},
            "measured_apart_us_per_form": {"workbook_csv_render": us(here.cpu["render"] * apart_per_form),
                                           "parser_validators": us(here.cpu["parser_validators"] * apart_per_form)},
            "exports_over_extraction_cpu": round(exports / extraction, 3),
            "exports_over_extraction_cpu_a_vs_b": round(side_exports / side_extraction, 3),
            "exports_over_extraction_wall_a_vs_b": round((a["wall"] - b["wall"]) / b["wall"], 3),
            "projected_exports_over_extraction_cpu": projected,
            "projected_exports_over_extraction_cpu_a_vs_b": side_projected}


def _summed(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Runs' CPU and wall seconds, forms and timers, summed."""
    total: dict[str, Any] = {"timer": {}, "in_workers": {}}
    for run in runs:
        for key in ("wall", "cpu", "cpu_parent", "cpu_workers", "forms"):
            total[key] = total.get(key, 0) + run[key]
        for key, values in (("timer", run["timer"].cpu), ("in_workers", run["in_workers"])):
            for name, seconds in values.items():
                total[key][name] = total[key].get(name, 0.0) + seconds
    return total


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
    parser.add_argument("--rounds", type=int, default=2, help="A and B runs each, in alternating order")
    parser.add_argument("--rss", action="store_true", help="measure peak RSS of a small and a large batch instead")
    parser.add_argument("--small", type=int, default=50)
    parser.add_argument("--large", type=int, default=5000)
    args = parser.parse_args()
    if not args.rss:
        print(json.dumps(export_cost(args.forms, args.workers, args.rounds)), flush=True)
        return
    small = peak_rss(args.small, args.workers)
    print(json.dumps(small), flush=True)
    large = peak_rss(args.large, args.workers)
    print(json.dumps(large), flush=True)
    print(json.dumps({"peak_rss_ratio": round(large["peak_rss_mb"] / small["peak_rss_mb"], 3),
                      "peak_worker_rss_ratio": round(large["peak_worker_rss_mb"] / small["peak_worker_rss_mb"], 3)}))


if __name__ == "__main__":
    main()
