"""Golden outputs: the full hand-off result (values, spans, alignment, findings) of every eval
document, checked in under ``tests/golden/``. A change to any of them (a span that moved, a
finding that appeared) fails here as a readable diff, and is accepted by regenerating:

    FORMEX_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py

These are formex's own outputs, not the gold labels (``eval/data/gold``), which are never edited.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from eval.dataset import DATA_DIR
from extractor.pipeline import extract_text

GOLDEN = Path(__file__).resolve().parent / "golden"
SEEDS = sorted((DATA_DIR / "seeds").glob("*.txt"))
REGENERATE = os.environ.get("FORMEX_REGENERATE_GOLDEN") == "1"


def output_of(seed: Path) -> dict[str, Any]:
    text = seed.read_text(encoding="utf-8")
    return json.loads(json.dumps(extract_text(text, source=seed.name).to_json(), ensure_ascii=False))


def flat(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flat(item, f"{path}.{key}" if path else key).items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in flat(item, f"{path}[{i}]").items()} or {path: []}
    return {path: value}


def differences(expected: Any, actual: Any, limit: int = 30) -> list[str]:
    old, new = flat(expected), flat(actual)
    lines = [f"{path}: {old.get(path, '<absent>')!r} -> {new.get(path, '<absent>')!r}"
             for path in sorted(old.keys() | new.keys()) if old.get(path, "<absent>") != new.get(path, "<absent>")]
    return lines[:limit] + ([f"... {len(lines) - limit} more"] if len(lines) > limit else [])


@pytest.mark.parametrize("seed", SEEDS, ids=[s.stem[:3] for s in SEEDS])
def test_the_output_of_each_eval_document_is_unchanged(seed):
    golden = GOLDEN / f"{seed.stem}.output.json"   # not gold labels: formex's own output
    actual = output_of(seed)
    if REGENERATE:
        golden.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    assert golden.is_file(), f"no golden output {golden.name}: run with FORMEX_REGENERATE_GOLDEN=1 to write it"
    expected = json.loads(golden.read_text(encoding="utf-8"))
    diff = differences(expected, actual)
    assert not diff, ("the output changed (FORMEX_REGENERATE_GOLDEN=1 accepts it):\n" + "\n".join(diff))


def test_every_eval_document_has_a_golden_output():
    assert sorted(p.name for p in GOLDEN.glob("*.json")) == [f"{s.stem}.output.json" for s in SEEDS]
