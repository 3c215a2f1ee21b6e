"""Findings for the OCR confusions ingestion corrected (:mod:`extractor.ingest.confusions`).

Each correction inside a form becomes an ``ocr_corrected`` finding: ``found`` is the text as OCR
read it, ``expected`` the text as corrected, ``source_span`` where the corrected text now stands.
A number changed is a ``warning`` (a person confirms a printed number formex changed); a label,
a fixed phrase or a lost parenthesis is ``info``. The path is the field whose value holds the
correction, or ``""`` for a label of the form.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from extractor.validate.findings import Finding


def correction_findings(corrections: Sequence[Any], start: int, end: int,
                        spans: Mapping[str, Sequence[tuple[int, int]]]) -> list[Finding]:
    """The findings of the corrections between document offsets ``start`` and ``end`` (one
    form's text); ``spans`` (field path → spans) name the field each one is in."""
    findings = []
    for c in corrections:
        if not start <= c.start < end:
            continue
        path = next((p for p, ss in spans.items() if any(s < c.end and c.start < e for s, e in ss)), "")
        severity = "warning" if c.rule == "number" and _digits(c.original) != _digits(c.corrected) else "info"
        findings.append(Finding("ocr_corrected", severity, path,
                                f"OCR read {c.original!r}, corrected to {c.corrected!r}: {c.reason}",
                                expected=c.corrected, found=c.original, source_span=(c.start, c.end)))
    return findings


def _digits(text: str) -> str:
    """What a number's reading is made of: its digits and decimal point (a lost parenthesis is not)."""
    return "".join(ch for ch in text if ch.isdigit() or ch == ".")
