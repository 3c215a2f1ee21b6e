"""Documents per second: the local batch and the Ray engine on the same CPUs, side by side.

Both run the same distinct documents into fresh output folders with the same number of CPUs:
the local batch with that many worker processes (started by each run), Ray with a local cluster
of that many CPUs (its worker processes stay up between runs, as on a real cluster).
The cluster's start is timed apart (a real cluster is started once, not per batch); the
difference of the two batch times over the documents is Ray's overhead per document.

    python -m benchmarks.ray_vs_local [--documents 200] [--cpus 2] [--kind text|pdf|scan] [--repeat 3]

``text`` documents are the eval set's OCR texts (parser-bound, the worst case for overhead),
``pdf`` ruled-table PDFs with a text layer, ``scan`` image-only scans (OCR-bound, the case a
cluster is for; about 7 s a page on one core, so use few documents).
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import tempfile
import time
from pathlib import Path

from eval.dataset import load_cases
from eval.render import render_scan_pdf, render_text_pdf
from extractor.batch import Batch
from extractor.inputs import discover
from extractor.settings import Settings


def make_documents(folder: Path, count: int, kind: str) -> None:
    texts = [c.text_path.read_text(encoding="utf-8") for c in load_cases()]
    folder.mkdir(parents=True)
    for i in range(count):
        text = texts[i % len(texts)] + "\n" * (1 + i // len(texts))      # distinct content per document
        if kind == "text":
            (folder / f"doc{i:05d}.txt").write_text(text, encoding="utf-8")
        elif kind == "pdf":
            (folder / f"doc{i:05d}.pdf").write_bytes(render_text_pdf(text + f"\n备注\t{i}"))
        else:
            (folder / f"doc{i:05d}.pdf").write_bytes(render_scan_pdf(texts[i % len(texts)], seed=i))


def cpu_seconds() -> float:
    """CPU time of this process, its reaped children and its live descendants (Ray's processes
    and workers): what a run costs, whatever else the machine is doing (Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            parents[int(entry.name)] = int(fields[1])
            ticks[int(entry.name)] = int(fields[11]) + int(fields[12])       # utime + stime
    live, stack = 0, [os.getpid()]
    while stack:
        pid = stack.pop()
        for child, parent in parents.items():
            if parent == pid:
                live += ticks[child]
                stack.append(child)
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime + live / os.sysconf("SC_CLK_TCK")


def timed_run(batch: Batch, folder: Path, settings: Settings) -> tuple[float, float, Batch]:
    """Wall seconds and CPU seconds of one batch run."""
    items, refused = discover([str(folder)], max_bytes=settings.max_input_bytes)
    cpu, started = cpu_seconds(), time.perf_counter()
    batch.run(items, refused)
    return time.perf_counter() - started, cpu_seconds() - cpu, batch


def main(argv: list[str] | None = None) -> None:
    import ray

    from extractor.engines.ray_engine import RayBatch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--kind", choices=("text", "pdf", "scan"), default="text")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each engine, alternated; the best is shown")
    args = parser.parse_args(argv)
    settings = Settings()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        make_documents(folder, args.documents, args.kind)
        started = time.perf_counter()
        ray.init(address="local", num_cpus=args.cpus, include_dashboard=False, logging_level=logging.WARNING)
        init_s = time.perf_counter() - started
        local_times, ray_times, local_cpu, ray_cpu = [], [], [], []
        try:
            for round_ in range(args.repeat):               # alternated, best of each: a shared machine's noise
                local_s, cpu, local = timed_run(Batch(Path(tmp) / f"local{round_}", settings, workers=args.cpus),
                                                folder, settings)
                local_times.append(local_s)
                local_cpu.append(cpu)
                ray_s, cpu, on_ray = timed_run(RayBatch(Path(tmp) / f"ray{round_}", settings), folder, settings)
                ray_times.append(ray_s)
                ray_cpu.append(cpu)
        finally:
            ray.shutdown()
        local_s, ray_s = min(local_times), min(ray_times)
    n = args.documents
    pages = local.summary.pages
    print(f"{n} {args.kind} documents ({pages} pages, {local.summary.run.forms} forms), {args.cpus} CPUs")
    print(f"load average before: {load[0]:.1f} (on {os.cpu_count()} CPUs); after: {os.getloadavg()[0]:.1f}")
    print(f"{'engine':<8}{'seconds':>9}{'docs/s':>9}{'ms/doc':>9}{'CPU ms/doc':>12}")
    print(f"best of {args.repeat} alternated runs: local {', '.join(f'{t:.1f}' for t in local_times)}s; "
          f"ray {', '.join(f'{t:.1f}' for t in ray_times)}s")
    print(f"{'local':<8}{local_s:>9.2f}{n / local_s:>9.2f}{1000 * local_s / n:>9.1f}{1000 * min(local_cpu) / n:>12.1f}")
    print(f"{'ray':<8}{ray_s:>9.2f}{n / ray_s:>9.2f}{1000 * ray_s / n:>9.1f}{1000 * min(ray_cpu) / n:>12.1f}"
          f"   (+ {init_s:.1f}s to start the local cluster)")
    print(f"Ray overhead per document: {1000 * (ray_s - local_s) / n:+.1f} ms wall, "
          f"{1000 * (min(ray_cpu) - min(local_cpu)) / n:+.1f} ms CPU; "
          f"results: {on_ray.summary.extracted} on Ray, {local.summary.extracted} local")


if __name__ == "__main__":
    main()
