"""The source text with every extracted value highlighted at its span (text inputs)."""

from __future__ import annotations

import html
from typing import Any


def _flag(findings: list[dict[str, Any]]) -> str:
    severities = {f["severity"] for f in findings}
    return "flag-error" if "error" in severities else "flag-warning" if "warning" in severities else ""


def marks(forms: list[dict[str, Any]]) -> list[tuple[int, int, str, str]]:
    """(start, end, css classes, key) for every span of every field (key: ``f<form>:<path>``)."""
    out = []
    for index, form in enumerate(forms):
        findings: dict[str, list[dict[str, Any]]] = {}
        for finding in (form.get("validation") or {}).get("findings", []):
            findings.setdefault(finding["path"], []).append(finding)
        alignment = form.get("alignment") or {}
        for path, spans in (form.get("spans") or {}).items():
            classes = " ".join(c for c in (alignment.get(path, "exact"), _flag(findings.get(path, []))) if c)
            for start, end in spans:
                out.append((start, end, classes, f"f{index}:{path}"))
    return out


def highlighted(text: str, spans: list[tuple[int, int, str, str]]) -> str:
    """The text with <mark> around each covered segment (overlapping spans split into segments)."""
    cuts = sorted({0, len(text), *(m[0] for m in spans), *(m[1] for m in spans)})
    by_start = sorted(spans)
    out, open_marks, next_mark = [], [], 0
    for start, end in zip(cuts, cuts[1:]):
        while next_mark < len(by_start) and by_start[next_mark][0] <= start:
            open_marks.append(by_start[next_mark])
            next_mark += 1
        open_marks = [m for m in open_marks if m[1] > start]
        covering = [m for m in open_marks if end <= m[1]]
        piece = html.escape(text[start:end])
        if not covering:
            out.append(piece)
            continue
        classes = " ".join(sorted({c for m in covering for c in m[2].split()}))
        keys = " ".join(html.escape(m[3], quote=True) for m in covering)
        title = html.escape(", ".join(m[3].split(":", 1)[1] for m in covering), quote=True)
        out.append(f'<mark class="{classes}" data-key="{keys}" title="{title}">{piece}</mark>')
    return "".join(out)
