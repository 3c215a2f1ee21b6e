"""Parser throughput on one core: forms per CPU-second over the bundled eval set.

    python -m benchmarks.throughput [--seconds 5] [--no-validate]
    python -m benchmarks.throughput --baseline 3e8e41b [--rounds 9]
    python -m benchmarks.throughput --baseline 3e8e41b --instructions

Texts are read once and passed over once untimed (the patterns and readers that a batch worker
builds on its first document and keeps); the timed loop is the library call ``extract_text`` (layout,
segmentation, rules backend, schema validation, validators; ``--no-validate`` for the parser
alone). Every cache keyed by a document's text is cleared before each document, so repeated
texts are not flattered. Run it pinned to one core for the figure the README quotes:
``taskset -c 0 python -m benchmarks.throughput``.

``--baseline REF`` measures an earlier commit and this checkout side by side: REF is checked
out into a temporary git worktree, and the two are run alternately (``--rounds`` times each,
each in its own process, on the same texts, clearing the same caches), so that a ratio is
taken on the same machine under the same load. The order alternates from round to round, and
the printed ``ratio`` is the median of the rounds' ratios (each round's two runs sit next to
each other in time, so a machine whose speed drifts — a shared VM — disturbs a pair less than
it disturbs the two medians); ``ratio_of_medians`` is printed beside it, and
``ratio_of_best_passes``: each side's fastest single pass over the eval set in all its rounds
(``timeit``'s estimate: on a machine whose speed swings — the same pass measured 1.3 to 2.5 ms a
form in one process here — the least time is the one least disturbed by other tenants).

``--instructions`` counts instructions instead of timing (needs ``valgrind``): each checkout runs
under callgrind for one and for three passes over the eval set after a warm-up pass, and the
difference over two passes' forms is its instructions per form. Slower (about a minute a
checkout), but unmoved by other processes on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent


def cache_clearers() -> list[Callable[[], None]]:
    """Every cache keyed by a document's text: keys, numbers, Simplified forms, label → role matches.
    (What is derived from the specs and the vocabulary once per process stays, as in a batch worker.)
    Looked up by name, so that an older checkout without some of them is measured the same way."""
    from extractor import normalize
    clearers = [normalize._key.cache_clear, normalize._parse_number.cache_clear]
    try:
        from extractor import textconv
        clearers.append(textconv.simplified.cache_clear)
    except ImportError:
        pass
    try:
        from extractor import spec
        clearers.append(spec._MATCHES.clear)
    except (ImportError, AttributeError):
        pass
    return clearers


def clear_caches() -> None:
    for clear in cache_clearers():
        clear()


def eval_texts() -> list[str]:
    """The eval set's texts, read from this checkout (a baseline run reads the same files)."""
    return [path.read_text(encoding="utf-8") for path in sorted((ROOT / "eval" / "data" / "seeds").glob("*.txt"))]


def pass_over(validate: bool = True) -> Callable[[], int]:
    """A function that extracts every eval text once, each document cold (its text-keyed caches
    cleared first, as a new document in an archive would be), and returns the forms it found.
    Made after one untimed pass: what a batch worker compiles on its first document, it keeps."""
    from extractor.backends.rules import RulesBackend
    from extractor.pipeline import extract_text
    from extractor.settings import Settings

    texts, clearers = eval_texts(), cache_clearers()
    backend, settings = RulesBackend(), Settings(validate=validate)

    def one_pass() -> int:
        forms = 0
        for text in texts:
            for clear in clearers:
                clear()
            forms += len(extract_text(text, backend=backend, settings=settings).forms)
        return forms

    one_pass()
    return one_pass


def measure(seconds: float, validate: bool = True) -> dict[str, float]:
    one_pass = pass_over(validate)
    forms = passes_done = 0
    fastest = float("inf")          # the least CPU time of one pass, per form
    started, cpu_started = time.perf_counter(), time.process_time()
    while not passes_done or time.perf_counter() - started < seconds:      # one pass at least
        pass_started = time.process_time()
        found = one_pass()
        fastest = min(fastest, (time.process_time() - pass_started) / found)
        forms += found
        passes_done += 1
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    documents = passes_done * len(eval_texts())
    # CPU time is the figure to compare on a shared machine: wall time counts other processes' turns.
    return {"validators": validate, "forms": forms, "documents": documents, "seconds": round(elapsed, 3),
            "forms_per_second": round(forms / elapsed, 1), "ms_per_form": round(1000 * elapsed / forms, 3),
            "cpu_forms_per_second": round(forms / cpu, 1), "cpu_ms_per_form": round(1000 * cpu / forms, 3),
            "best_pass_forms_per_second": round(1 / fastest, 1)}


def passes(count: int, validate: bool = True) -> int:
    """One warm-up pass over the eval set, then ``count`` passes, each document cold; forms per pass."""
    one_pass = pass_over(validate)
    forms = 0
    for _ in range(count):
        forms = one_pass()
    return forms


def _inner_command(checkout: Path, validate: bool, *options: str) -> tuple[list[str], dict[str, str]]:
    command = [sys.executable, str(Path(__file__).resolve()), "--inner", *options]
    if not validate:
        command.append("--no-validate")
    return command, {**os.environ, "PYTHONPATH": str(checkout), "PYTHONHASHSEED": "0"}


def _run_in(checkout: Path, seconds: float, validate: bool) -> dict[str, float]:
    """One measurement in a fresh process whose ``extractor`` is the one in ``checkout``."""
    command, env = _inner_command(checkout, validate, "--seconds", str(seconds))
    done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _instructions_in(checkout: Path, validate: bool) -> float:
    """Instructions per form in ``checkout``: callgrind's totals for 3 and for 1 pass, by difference."""
    totals, forms = [], 0
    for count in (1, 3):
        command, env = _inner_command(checkout, validate, "--passes", str(count))
        valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
        done = subprocess.run(valgrind, cwd=checkout, env=env, capture_output=True, text=True, check=True)
        totals.append(int(re.search(r"Collected : (\d+)", done.stderr).group(1)))
        forms = int(done.stdout.strip().splitlines()[-1])
    return (totals[1] - totals[0]) / (2 * forms)


@contextmanager
def baseline_checkout(baseline: str) -> Iterator[Path]:
    """The commit ``baseline`` checked out into a temporary git worktree (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="formex-baseline-") as tmp:
        checkout = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(checkout), baseline],
                       check=True)
        try:
            yield checkout
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(checkout)], check=False)


def side_by_side(baseline: str, seconds: float, rounds: int, validate: bool) -> dict[str, object]:
    """This checkout against the commit ``baseline``, alternated ``rounds`` times (order swapped each round)."""
    runs: dict[str, list[dict[str, float]]] = {"baseline": [], "current": []}
    with baseline_checkout(baseline) as checkout:
        for round_number in range(rounds):
            order = [("baseline", checkout), ("current", ROOT)]
            for name, where in order if round_number % 2 == 0 else order[::-1]:
                runs[name].append(_run_in(where, seconds, validate))
    speeds = {name: [run["cpu_forms_per_second"] for run in done] for name, done in runs.items()}
    best = {name: max(run["best_pass_forms_per_second"] for run in done) for name, done in runs.items()}
    ratios = [current / base for current, base in zip(speeds["current"], speeds["baseline"])]
    medians = {name: statistics.median(values) for name, values in speeds.items()}
    return {"validators": validate, "baseline": baseline, "cpu_forms_per_second": speeds, "median": medians,
            "round_ratios": [round(ratio, 3) for ratio in ratios], "ratio": round(statistics.median(ratios), 3),
            "ratio_of_medians": round(medians["current"] / medians["baseline"], 3),
            "best_pass_forms_per_second": best, "ratio_of_best_passes": round(best["current"] / best["baseline"], 3)}


def instructions_side_by_side(baseline: str, validate: bool) -> dict[str, object]:
    """Instructions per form of this checkout and of the commit ``baseline`` (callgrind)."""
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    with baseline_checkout(baseline) as checkout:
        counts = {"baseline": _instructions_in(checkout, validate), "current": _instructions_in(ROOT, validate)}
    return {"validators": validate, "baseline": baseline,
            "instructions_per_form": {name: round(value) for name, value in counts.items()},
            "ratio": round(counts["baseline"] / counts["current"], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--no-validate", action="store_true", help="parser alone, without the validators")
    parser.add_argument("--baseline", metavar="REF", help="a commit to measure side by side with this checkout")
    parser.add_argument("--rounds", type=int, default=9, help="alternations with --baseline")
    parser.add_argument("--instructions", action="store_true",
                        help="with --baseline: instructions per form under callgrind instead of CPU time")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--passes", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        sys.path.insert(0, os.getcwd())     # the checkout measured, ahead of this script's folder
    if args.passes is not None:
        print(passes(args.passes, validate=not args.no_validate))
    elif args.baseline and args.instructions:
        print(json.dumps(instructions_side_by_side(args.baseline, not args.no_validate)))
    elif args.baseline:
        print(json.dumps(side_by_side(args.baseline, args.seconds, args.rounds, not args.no_validate)))
    else:
        print(json.dumps(measure(args.seconds, validate=not args.no_validate)))


if __name__ == "__main__":
    main()
