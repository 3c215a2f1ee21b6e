"""The review page: one self-contained HTML file showing where every value came from.

Left, the source text with every extracted value highlighted at its span (colour by alignment,
a red or amber outline where the field has a finding); right, each form as a table of fields
with value, alignment and findings, and a filter that shows only the fields needing review.
Clicking a field scrolls to its span. No external assets: it opens from disk or from the service.
"""

from __future__ import annotations

import html
from typing import Any

from extractor.backends.base import RESULT_EXTRAS
from extractor.validate.grounding import leaves

STYLE = """
body{margin:0;font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","WenQuanYi Zen Hei",
"Droid Sans Fallback","Microsoft YaHei",sans-serif;font-size:13px;color:#222}
header{padding:8px 14px;background:#27364a;color:#fff}header h1{font-size:16px;margin:0}
main{display:grid;grid-template-columns:1fr 1fr;height:calc(100vh - 64px)}
#source{overflow:auto;padding:10px;border-right:1px solid #ccc;white-space:pre;font-size:12px;line-height:1.5;tab-size:4}
#fields{overflow:auto;padding:10px}
mark{border-radius:2px;padding:0 1px}mark.exact{background:#cdeccd}mark.normalized,mark.split{background:#d8e6fb}
mark.derived{background:#eee}mark.flag-error{outline:2px solid #d33}mark.flag-warning{outline:2px solid #e9a100}
mark.active{box-shadow:0 0 0 3px #333}
table{border-collapse:collapse;width:100%;margin-bottom:18px}td,th{border:1px solid #ddd;padding:3px 5px;vertical-align:top}
th{background:#f4f4f4;text-align:left}tr.needs-review td{background:#fff3f0}tr.field{cursor:pointer}
.finding{display:block;font-size:11px}.finding.error{color:#b00}.finding.warning{color:#8a6100}
.status-valid{color:#070}.status-needs_review{color:#8a6100}.status-invalid{color:#b00}
body.only-review tr.field:not(.needs-review){display:none}
.align-none{color:#b00;font-weight:bold}
"""

SCRIPT = """
document.getElementById('only-review').addEventListener('change', e => {
  document.body.classList.toggle('only-review', e.target.checked);
});
if (location.hash === '#needs-review') { const box = document.getElementById('only-review');
  box.checked = true; document.body.classList.add('only-review'); }
document.querySelectorAll('tr.field').forEach(row => row.addEventListener('click', () => {
  document.querySelectorAll('mark.active').forEach(m => m.classList.remove('active'));
  const marks = document.querySelectorAll(`mark[data-key~="${row.dataset.key}"]`);
  marks.forEach(m => m.classList.add('active'));
  if (marks.length) marks[0].scrollIntoView({block: 'center'});
}));
"""


def _field_state(form: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    findings: dict[str, list[dict[str, Any]]] = {}
    for finding in (form.get("validation") or {}).get("findings", []):
        findings.setdefault(finding["path"], []).append(finding)
    return findings, form.get("alignment") or {}


def _flag(findings: list[dict[str, Any]]) -> str:
    severities = {f["severity"] for f in findings}
    return "flag-error" if "error" in severities else "flag-warning" if "warning" in severities else ""


def _marks(forms: list[dict[str, Any]]) -> list[tuple[int, int, str, str]]:
    """(start, end, css classes, key) for every span of every field."""
    marks = []
    for index, form in enumerate(forms):
        findings, alignment = _field_state(form)
        for path, spans in (form.get("spans") or {}).items():
            classes = " ".join(c for c in (alignment.get(path, "exact"), _flag(findings.get(path, []))) if c)
            for start, end in spans:
                marks.append((start, end, classes, f"f{index}:{path}"))
    return marks


def _highlighted(text: str, marks: list[tuple[int, int, str, str]]) -> str:
    """The text with <mark> around each covered segment (overlapping spans split into segments)."""
    cuts = sorted({0, len(text), *(m[0] for m in marks), *(m[1] for m in marks)})
    out = []
    for start, end in zip(cuts, cuts[1:]):
        covering = [m for m in marks if m[0] <= start and end <= m[1]]
        piece = html.escape(text[start:end])
        if not covering:
            out.append(piece)
            continue
        classes = " ".join(sorted({c for m in covering for c in m[2].split()}))
        keys = " ".join(html.escape(m[3], quote=True) for m in covering)
        title = html.escape(", ".join(m[3].split(":", 1)[1] for m in covering), quote=True)
        out.append(f'<mark class="{classes}" data-key="{keys}" title="{title}">{piece}</mark>')
    return "".join(out)


def _form_table(index: int, form: dict[str, Any]) -> str:
    findings, alignment = _field_state(form)
    status = (form.get("validation") or {}).get("status", "unvalidated")
    data = {k: v for k, v in form.items() if k not in RESULT_EXTRAS}
    rows = []
    form_level = [f for path, fs in findings.items() if path in ("indicators", "") for f in fs]
    for path, value in leaves(data, include_null=True):
        here = findings.get(path, [])
        if value is None and not here:
            continue
        align = alignment.get(path, "—" if value is None else "none")
        notes = "".join(f'<span class="finding {html.escape(f["severity"])}">[{html.escape(f["severity"])}] '
                        f'{html.escape(f["code"])}: {html.escape(f["message"])}</span>' for f in here)
        css = "field needs-review" if any(f["severity"] in ("error", "warning") for f in here) else "field"
        key = html.escape(f"f{index}:{path}", quote=True)
        shown = "null" if value is None else html.escape(str(value))
        rows.append(f'<tr class="{css}" data-key="{key}"><td>{html.escape(path)}</td><td>{shown}</td>'
                    f'<td class="align-{html.escape(align)}">{html.escape(align)}</td><td>{notes}</td></tr>')
    general = "".join(f'<span class="finding {html.escape(f["severity"])}">[{html.escape(f["severity"])}] '
                      f'{html.escape(f["code"])}: {html.escape(f["message"])}</span>' for f in form_level)
    title = html.escape(str(form.get("project_name") or "(no project name)"))
    lines = form.get("source_lines") or ["?", "?"]
    return (f'<h2>Form {index + 1}: {title} <small class="status-{html.escape(status)}">{html.escape(status)}</small>'
            f' <small>lines {lines[0]}–{lines[1]}</small></h2>{general}'
            f'<table><tr><th>field</th><th>value</th><th>alignment</th><th>findings</th></tr>{"".join(rows)}</table>')


def render_review(document: dict[str, Any], text: str) -> str:
    """The review page of one result document, over the text its spans point into."""
    forms = document.get("forms", [])
    flagged = sum(1 for f in forms for fs in _field_state(f)[0].values()
                  for x in fs if x["severity"] in ("error", "warning"))
    source = html.escape(str(document.get("source", "")))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>formex review: {source}</title>
<style>{STYLE}</style></head>
<body><header><h1>formex review: {source}</h1>
<span id="summary">{len(forms)} forms, {flagged} findings needing review</span>
<label style="margin-left:20px"><input type="checkbox" id="only-review"> only fields needing review</label></header>
<main><div id="source">{_highlighted(text, _marks(forms))}</div>
<div id="fields">{"".join(_form_table(i, f) for i, f in enumerate(forms))}</div></main>
<script>{SCRIPT}</script></body></html>
"""
