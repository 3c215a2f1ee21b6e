"""What the OCR-confusion corrections do on real OCR output: F1 as OCR read it and as corrected,
and each correction, right or wrong, on eval documents rendered as scans and OCR'd.

    python -m eval.ocr_corrections [--rendering scan|office-scan] [NAME_PREFIX ...]

Each document is rendered (``eval.runner.case_input``) and ingested once with the corrections
off; the text as read is then extracted twice, without and with
:func:`extractor.ingest.confusions.correct_ocr_text`, and both are scored against the gold. A
correction that removes a mismatch is counted right; one that adds a mismatch, wrong. OCR takes
tens of seconds a page: name one or two documents (``001``) for a quick look.
"""

from __future__ import annotations

import argparse
import time

from eval.compare import compare_document
from eval.dataset import load_cases
from eval.evaluators import FieldF1, Mismatches
from eval.runner import case_input
from extractor.ingest import ingest_bytes
from extractor.ingest.confusions import correct_ocr_text
from extractor.ingest.ocr import OcrOptions, configure
from extractor.pipeline import extract_text, note_corrections


def scored(case, text: str, corrections=()) -> tuple[float, set[str]]:  # type: ignore[no-untyped-def]
    """F1 of the forms read from ``text``, and its mismatches."""
    result = extract_text(text, source=case.name)
    note_corrections(result, list(corrections))
    predicted = [form.form.model_dump(mode="json") for form in result.forms]
    compared = compare_document(case.name, case.gold, predicted)
    return FieldF1().evaluate(compared)["f1"], {str(m) for m in Mismatches().evaluate(compared)["items"]}


def ocr_lines(pages: list[dict]) -> list[range]:
    """The row numbers of the pages that were OCR'd (a text layer is never corrected)."""
    ranges, first = [], 0
    for page in pages:
        if page["method"] == "ocr":
            ranges.append(range(first, first + page["rows"]))
        first += page["rows"]
    return ranges


def report(case, rendering: str) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    data, source = case_input(case, rendering)
    ingested = ingest_bytes(data, source=source, correct_ocr=False)
    before, mismatches_before = scored(case, ingested.text)
    text, corrections = correct_ocr_text(ingested.text, ocr_lines(ingested.pages))
    after, mismatches_after = scored(case, text, corrections)
    fixed, broke = mismatches_before - mismatches_after, mismatches_after - mismatches_before
    print(f"{rendering} {case.name}: {len(ingested.pages)} pages, {time.perf_counter() - started:.0f} s; "
          f"F1 as read {before:.4f}, corrected {after:.4f}; {len(corrections)} corrections, "
          f"{len(fixed)} mismatches removed, {len(broke)} added", flush=True)
    for c in corrections:
        print(f"    {c.original!r} -> {c.corrected!r} ({c.rule})")
    for mismatch in sorted(broke):
        print(f"    ADDED: {mismatch[:200]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="document name prefixes (default: every document)")
    parser.add_argument("--rendering", default="scan", help="scan (formex's renderer) or office-scan (LibreOffice)")
    args = parser.parse_args(argv)
    configure(OcrOptions(threads=1))
    for case in load_cases():
        if not args.names or any(case.name.startswith(name) for name in args.names):
            report(case, args.rendering)


if __name__ == "__main__":
    main()
