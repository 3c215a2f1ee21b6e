"""Parser throughput on one core: forms per second over the bundled eval set.

    python -m benchmarks.throughput [--seconds 5]

Texts are read once; the timed loop is the library call ``extract_text`` (layout,
segmentation, rules backend, schema validation, validators;
``--no-validate`` for the parser alone). Normalisation caches are cleared before each
document, so repeated texts are not flattered. Run it pinned to one core for the
figure the README quotes: ``taskset -c 0 python -m benchmarks.throughput``.
"""

from __future__ import annotations

import argparse
import json
import time

from eval.dataset import load_cases
from extractor import normalize, spec, textconv
from extractor.backends.rules import RulesBackend
from extractor.settings import Settings
from extractor.pipeline import extract_text


def clear_caches() -> None:
    """Every cache keyed by a document's text: keys, numbers, Simplified forms, label → role matches.
    (What is derived from the specs and the vocabulary once per process stays, as in a batch worker.)"""
    normalize._key.cache_clear()
    normalize._parse_number.cache_clear()
    textconv.simplified.cache_clear()
    spec._MATCHES.clear()


def measure(seconds: float, validate: bool = True) -> dict[str, float]:
    texts = [case.text_path.read_text(encoding="utf-8") for case in load_cases()]
    backend = RulesBackend()
    settings = Settings(validate=validate)
    forms = documents = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        for text in texts:
            clear_caches()  # each document starts cold, as a new document in an archive would
            forms += len(extract_text(text, backend=backend, settings=settings).forms)
            documents += 1
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    # CPU time is the figure to compare on a shared machine: wall time counts other processes' turns.
    return {"validators": validate, "forms": forms, "documents": documents, "seconds": round(elapsed, 3),
            "forms_per_second": round(forms / elapsed, 1), "ms_per_form": round(1000 * elapsed / forms, 3),
            "cpu_forms_per_second": round(forms / cpu, 1), "cpu_ms_per_form": round(1000 * cpu / forms, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--no-validate", action="store_true", help="parser alone, without the validators")
    args = parser.parse_args()
    print(json.dumps(measure(args.seconds, validate=not args.no_validate)))


if __name__ == "__main__":
    main()
