"""The labelled eval set: OCR texts (``data/seeds``) and their gold labels (``data/gold``).

Gold labels are copies of ``../shared/gold`` and are never edited to match output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class EvalCase:
    """One document: its OCR text file and the gold forms it holds."""

    name: str
    text_path: Path
    gold: list[dict[str, Any]]


def load_cases(data_dir: Path | str = DATA_DIR) -> list[EvalCase]:
    """Cases from ``DIR/seeds/*.txt`` paired with ``DIR/gold/*.json`` by file stem."""
    data_dir = Path(data_dir)
    seeds, gold = data_dir / "seeds", data_dir / "gold"
    if not seeds.is_dir() or not gold.is_dir():
        raise FileNotFoundError(f"{data_dir} must hold seeds/ and gold/")
    cases = []
    for text_path in sorted(seeds.glob("*.txt")):
        label = gold / f"{text_path.stem}.json"
        if label.is_file():
            cases.append(EvalCase(text_path.stem, text_path, json.loads(label.read_text(encoding="utf-8"))))
    return cases
