"""Same outputs before and after a speed change: every document's whole result, digested.

    python -m benchmarks.same_outputs --write before.jsonl     # on the code before the change
    python -m benchmarks.same_outputs --check before.jsonl     # on the code after it

A hot-path change must not change what formex writes. The corpus is every input the project
has, read the way a user's would be (``extract_bytes``, so layouts are rebuilt): the visible
eval set as text and in each text format (xlsx, docx, html, pipes, cells, flat, glued), the
real forms of other publishers (as found and rows intact), synthetic documents at three damage
levels with inconsistencies, and every template variant. Each document's result (values,
spans, alignment, findings, errors) is written as one line; ``--check`` names every document
whose line differs, and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Iterator

from eval.dataset import DATA_DIR, load_cases
from eval.render_formats import FORMATS, render
from eval.synthetic import make_set
from eval.variants import VARIANT_NAMES, get_variant, make_variant_set
from extractor.errors import FormexError
from extractor.pipeline import extract_bytes
from extractor.settings import Settings


def corpus(synthetic_forms: int = 200) -> Iterator[tuple[str, bytes]]:
    """(name, input bytes) for every document of the corpus, in a fixed order."""
    cases = load_cases()
    for case in cases:
        yield case.name, case.text_path.read_bytes()
        text = case.text_path.read_text(encoding="utf-8")
        for fmt in FORMATS:
            yield f"{case.name}.{fmt}", render(text, fmt)
    for folder in ("real", "real_rows"):
        for path in sorted((DATA_DIR / folder / "seeds").iterdir()):
            yield f"{folder}/{path.name}", path.read_bytes()
    for level in (0.0, 1.0, 3.0):
        for document in make_set(synthetic_forms, level=level, seed=7, inconsistency_rate=0.3):
            yield f"synthetic@{level}/{document.name}", document.text.encode("utf-8")
    for name in VARIANT_NAMES:
        for document in make_variant_set(get_variant(name), 30, seed=3, level=1.0):
            yield f"variant/{document.name}", document.text.encode("utf-8")


def digest_of(name: str, data: bytes, settings: Settings) -> dict[str, str]:
    """One document's result as a line: its name and the SHA-256 of its whole JSON result."""
    try:
        result = extract_bytes(data, source=name, settings=settings).to_json()
        result.pop("sha256", None)     # the input's own hash: a rendered workbook holds the time it was made
    except FormexError as exc:
        result = {"error": exc.as_dict()}
    text = json.dumps(result, ensure_ascii=False, sort_keys=True, default=str)
    return {"name": name, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path, help="write every document's digest here")
    mode.add_argument("--check", type=Path, help="compare every document's digest with this file")
    parser.add_argument("--synthetic-forms", type=int, default=200, help="forms per synthetic level")
    args = parser.parse_args(argv)
    settings = Settings()
    lines = [digest_of(name, data, settings) for name, data in corpus(args.synthetic_forms)]
    if args.write:
        args.write.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        print(f"{len(lines)} documents written to {args.write}")
        return 0
    before = {d["name"]: d["sha256"] for d in map(json.loads, args.check.read_text(encoding="utf-8").splitlines())}
    changed = [line["name"] for line in lines if before.get(line["name"]) != line["sha256"]]
    missing = sorted(set(before) - {line["name"] for line in lines})
    for name in changed:
        print(f"changed: {name}")
    for name in missing:
        print(f"missing: {name}")
    print(f"{len(lines)} documents, {len(changed)} changed, {len(missing)} missing")
    return 1 if changed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
