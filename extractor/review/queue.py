"""The review queue: every form (and every document with a form that could not be read) that
still needs a person, oldest first, with counts of its findings; filterable by severity and code.

A form leaves the queue once it is valid, or confirmed (as a whole, or each flagged field), see
:func:`extractor.corrections.form_settled`.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator
from urllib.parse import quote, urlencode

from extractor.corrections import form_settled
from extractor.labels import FORM_TITLES
from extractor.review.fields import esc


def queue_entries(results: Iterable[tuple[Any, dict[str, Any]]], *, severity: str | None = None,
                  code: str | None = None) -> Iterator[dict[str, Any]]:
    """One entry per form needing review, from (job, latest result) pairs in the order given."""
    for job, result in results:
        review = result.get("review") or {}
        confirmed = review.get("confirmed") or []
        base = {"job": job.id, "source": job.source, "created": job.created, "version": review.get("version", 0)}
        for index, form in enumerate(result.get("forms") or []):
            validation = form.get("validation") or {}
            if validation.get("status") == "valid" or form_settled(index, form, confirmed,
                                                                  review.get("corrected_fields") or []):
                continue
            findings = validation.get("findings", [])
            severities = Counter(f["severity"] for f in findings)
            codes = Counter(f["code"] for f in findings)
            if (severity and not severities[severity]) or (code and not codes[code]):
                continue
            yield {**base, "form": index, "project_name": form.get("project_name"), "form_type": form.get("form_type"),
                   "status": validation.get("status"), "counts": dict(severities), "codes": dict(codes)}
        for error in result.get("errors") or []:
            if severity in (None, "error") and code in (None, error.get("code")):
                yield {**base, "form": None, "project_name": None, "form_type": None, "status": "failed",
                       "counts": {"error": 1}, "codes": {error.get("code", "error"): 1},
                       "message": error.get("message")}


def render_queue(entries: list[dict[str, Any]], *, key: str = "", severity: str = "", code: str = "") -> str:
    """The queue as a page; each row opens its form's review page."""
    suffix = f"?{urlencode({'key': key})}" if key else ""
    rows = []
    for e in entries:
        link = f"/review/{quote(e['job'])}{suffix}" + (f"#form-{e['form']}" if e["form"] is not None else "")
        when = datetime.fromtimestamp(e["created"], timezone.utc).strftime("%Y-%m-%d %H:%M")
        counts = " ".join(f"{esc(s)} {n}" for s, n in sorted(e["counts"].items()))
        codes = ", ".join(f"{esc(c)}×{n}" for c, n in sorted(e["codes"].items()))
        form = "document" if e["form"] is None else f"{e['form'] + 1}. {esc(e['project_name'] or '(项目名称缺失)')}"
        rows.append(f'<tr class="entry" data-job="{esc(e["job"])}" data-form="{esc(e["form"])}"><td>{when}</td>'
                    f'<td>{esc(e["source"])}</td><td><a href="{esc(link)}">{form}</a> '
                    f'<small>{esc(FORM_TITLES.get(e["form_type"] or "", ""))}</small></td>'
                    f'<td class="status">{esc(e["status"])}</td><td>{counts}</td><td>{codes}</td></tr>')
    options = "".join(f'<option{" selected" if severity == s else ""}>{s}</option>' for s in ("", "error", "warning", "info"))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>formex review queue</title>
<style>body{{font-family:"Noto Sans CJK SC","Noto Sans SC",sans-serif;font-size:13px;margin:12px}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ddd;padding:3px 6px;text-align:left}}
th{{background:#f4f4f4}}</style></head>
<body><h1>Review queue <small id="count">{len(entries)} forms</small></h1>
<form method="get"><input type="hidden" name="key" value="{esc(key)}">
severity <select name="severity">{options}</select> code <input name="code" value="{esc(code)}">
<button>filter</button></form>
<table id="queue"><tr><th>received</th><th>document</th><th>form</th><th>status</th><th>findings</th><th>codes</th></tr>
{"".join(rows)}</table></body></html>
"""
