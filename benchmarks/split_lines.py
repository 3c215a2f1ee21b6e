"""``layout.split_lines`` against the floor of any layout pass (decode, NFKC per cell, split on
newlines and tabs) and against its previous form (frozen dataclasses, ``clean_text`` on every
cell; kept here as the reference), side by side in one run, on the eval set's documents joined.

    python -m benchmarks.split_lines [--rounds 60]

Best of ``--rounds`` each, normalisation caches cleared before every round.
"""

from __future__ import annotations

import argparse
import json
import time
import unicodedata
from dataclasses import dataclass

from eval.dataset import load_cases
from extractor import normalize
from extractor.layout import split_lines
from extractor.normalize import clean_text, key


@dataclass(frozen=True, slots=True)
class _Cell:
    col: int
    text: str
    key: str
    start: int
    end: int
    line: int


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    start: int
    raw: str
    cells: tuple[_Cell, ...]


def previous_split_lines(text: str) -> list[_Line]:
    """split_lines as it was before issue 14."""
    lines = []
    offset = 0
    for number, raw in enumerate(text.split("\n")):
        cells = []
        pos = offset
        for col, part in enumerate(raw.split("\t")):
            if part.strip():
                value = clean_text(part)
                if value:
                    lead = len(part) - len(part.lstrip())
                    cells.append(_Cell(col, value, key(value), pos + lead, pos + len(part.rstrip()), number))
            pos += len(part) + 1
        lines.append(_Line(number, offset, raw, tuple(cells)))
        offset += len(raw) + 1
    return lines


def floor(text: str) -> None:
    text = text.encode("utf-8").decode("utf-8")
    for raw in text.split("\n"):
        for part in raw.split("\t"):
            unicodedata.normalize("NFKC", part)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    text = "\n".join(case.text_path.read_text(encoding="utf-8") for case in load_cases())
    best = {"split_lines": float("inf"), "previous": float("inf"), "floor": float("inf")}
    for _ in range(args.rounds):
        for name, run in (("split_lines", split_lines), ("previous", previous_split_lines), ("floor", floor)):
            normalize._key.cache_clear()
            started = time.perf_counter()
            run(text)
            best[name] = min(best[name], time.perf_counter() - started)
    print(json.dumps({"lines": text.count("\n") + 1, "split_lines_ms": round(best["split_lines"] * 1000, 2),
                      "previous_ms": round(best["previous"] * 1000, 2), "floor_ms": round(best["floor"] * 1000, 2),
                      "previous_over_split_lines": round(best["previous"] / best["split_lines"], 2),
                      "previous_over_floor": round(best["previous"] / best["floor"], 2),
                      "split_lines_over_floor": round(best["split_lines"] / best["floor"], 2)}))


if __name__ == "__main__":
    main()
