"""Does a form's cost grow with its rows and nothing else? One 1,000-row self-evaluation form
against ten 100-row forms (the same number of rows), parser and validators, side by side.

    python -m benchmarks.form_size [--rows 1000] [--parts 10] [--rounds 5]

Forms are synthetic (:mod:`eval.synthetic`'s vocabulary, seeded): indicator rows with distinct
names and numbers, weights summing to 90, scores equal to weights, so the form is consistent.
Best of ``--rounds`` each, normalisation caches cleared before every document. Linear cost gives
a ratio near 1; the target is 2.5 at most.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from decimal import Decimal

from eval.synthetic import grade_of, print_self_evaluation, self_evaluation, vocabulary
from benchmarks.throughput import clear_caches
from extractor.backends.rules import RulesBackend
from extractor.pipeline import extract_text
from extractor.settings import Settings


def form_text(rows: int, seed: int) -> str:
    rng = random.Random(seed)
    vocab = vocabulary()
    form = self_evaluation(rng, vocab)
    weight = (Decimal(90) / rows).quantize(Decimal("0.0001"))
    indicators = []
    for i in range(rows):
        base = vocab.se_rows[i % len(vocab.se_rows)]
        indicators.append({"level1": base["level1"], "level2": base["level2"], "name": f"{base['name']}（{seed}-{i}）",
                           "target": f"≥{i + 1}.00(项)", "actual": f"{i + 1 + rng.randint(0, 3)}.00(项)",
                           "weight": weight, "score": weight, "deviation_note": None})
    indicators.sort(key=lambda r: (r["level1"], r["level2"]))
    form["indicators"] = indicators
    form["total_score"] = form["funds"]["total"]["score"] + weight * rows
    form["grade"] = grade_of(form["total_score"])
    return "\n".join(print_self_evaluation(form)) + "\n"


def best_time(texts: list[str], rounds: int, backend: RulesBackend, settings: Settings) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            clear_caches()
            extract_text(text, backend=backend, settings=settings)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--parts", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    backend, settings = RulesBackend(), Settings()
    big = [form_text(args.rows, seed=0)]
    small = [form_text(args.rows // args.parts, seed=1 + i) for i in range(args.parts)]
    times = {"big": float("inf"), "small": float("inf")}
    for _ in range(args.rounds):      # interleaved, so both see the same machine
        times["big"] = min(times["big"], best_time(big, 1, backend, settings))
        times["small"] = min(times["small"], best_time(small, 1, backend, settings))
    print(json.dumps({f"one_{args.rows}_row_form_ms": round(times["big"] * 1000, 1),
                      f"{args.parts}_forms_of_{args.rows // args.parts}_rows_ms": round(times["small"] * 1000, 1),
                      "ratio": round(times["big"] / times["small"], 2)}))


if __name__ == "__main__":
    main()
