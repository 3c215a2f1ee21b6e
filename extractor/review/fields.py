"""One form's fields laid out as the form prints them: header, funds table, goals, indicator
table, totals. Each value is an editable cell labelled with the form's own words
(:mod:`extractor.labels`), the field path shown small, its alignment and its findings with
their numbers (expected, found, and the identity checked)."""

from __future__ import annotations

import html
import json
from typing import Any, Iterable

from extractor.backends.base import RESULT_EXTRAS
from extractor.labels import FORM_TITLES, FUND_COLUMN_LABELS, FUND_ROW_LABELS, HEADER_LABELS, INDICATOR_LABELS, label_of
from extractor.validate.grounding import leaves

HEADER = ("year", "project_name", "competent_department", "implementing_unit", "project_nature", "project_category",
          "plan_start", "plan_end", "funds_unit")
GOALS = ("goal_overall", "goal_annual", "goal_expected", "goal_actual")
TOTALS = ("total_weight", "total_score", "grade")
INDICATOR_COLUMNS = ("level1", "level2", "name", "target", "actual", "weight", "score", "deviation_note")
NUMERIC = {"year", "total_weight", "total_score", "weight", "score", *FUND_COLUMN_LABELS,
           *(row for row in FUND_ROW_LABELS)}
REVIEW_SEVERITIES = ("error", "warning")


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


class FormView:
    """What the page needs of one form: its findings and alignment by path."""

    def __init__(self, index: int, form: dict[str, Any], confirmed: set[str], corrected: set[str] = frozenset()) -> None:
        self.index, self.form = index, form
        self.findings: dict[str, list[dict[str, Any]]] = {}
        for finding in (form.get("validation") or {}).get("findings", []):
            self.findings.setdefault(finding["path"], []).append(finding)
        self.alignment: dict[str, str] = form.get("alignment") or {}
        self.confirmed, self.corrected = confirmed, corrected
        self.shown: set[str] = {"", "indicators"}       # paths whose findings have a place on the page

    def key(self, path: str) -> str:
        return f"f{self.index}:{path}"

    def flag(self, path: str) -> str:
        severities = {f["severity"] for f in self.findings.get(path, [])}
        return "error" if "error" in severities else "warning" if "warning" in severities else ""

    def is_confirmed(self, path: str) -> bool:
        return f"forms[{self.index}].{path}" in self.confirmed or f"forms[{self.index}]" in self.confirmed


def findings_html(findings: Iterable[dict[str, Any]]) -> str:
    """Each finding with its numbers: code and message, the identity checked, expected and found."""
    out = []
    for f in findings:
        numbers = []
        if f.get("identity"):
            numbers.append(f'<span class="identity">{esc(f["identity"])}</span>')
        if f.get("expected") is not None or f.get("found") is not None:
            numbers.append(f'<span class="numbers">expected <b>{esc(_shown(f.get("expected")))}</b>, '
                           f'found <b>{esc(_shown(f.get("found")))}</b></span>')
        out.append(f'<div class="finding {esc(f["severity"])}" data-code="{esc(f["code"])}">'
                   f'<span class="code">{esc(f["severity"])} · {esc(f["code"])}</span> {esc(f["message"])}'
                   f'{"".join(numbers)}</div>')
    return "".join(out)


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)


def value_cell(view: FormView, path: str, value: Any, *, label: str, long: bool = False) -> str:
    """A <td> holding the editable value, the path small, and the field's findings."""
    view.shown.add(path)
    flag = view.flag(path)
    kind = "number" if path.rsplit(".", 1)[-1].split("]")[-1] in NUMERIC or path in NUMERIC else "text"
    shown = "" if value is None else str(value)
    align = view.alignment.get(path, "—" if value is None else "none")
    classes = " ".join(c for c in ("field", f"flag-{flag}" if flag else "", "needs-review" if flag else "",
                                   "confirmed" if view.is_confirmed(path) else "",
                                   "corrected" if f"forms[{view.index}].{path}" in view.corrected else "") if c)
    attrs = (f'data-key="{esc(view.key(path))}" data-form="{view.index}" data-path="{esc(path)}" '
             f'data-type="{kind}" data-original="{esc(json.dumps(value, ensure_ascii=False))}"')
    editor = (f'<textarea class="value" rows="3" aria-label="{esc(label)}">{esc(shown)}</textarea>' if long else
              f'<input class="value" value="{esc(shown)}" aria-label="{esc(label)}" title="{esc(shown)}">')
    confirm = (f'<label class="confirm"><input type="checkbox" class="confirm-box"'
               f'{" checked disabled" if view.is_confirmed(path) else ""}> confirm</label>' if flag else "")
    return (f'<td class="{classes}" {attrs}>{editor}<div class="meta"><code class="path">{esc(path)}</code> '
            f'<span class="align align-{esc(align)}">{esc(align)}</span>{confirm}</div>'
            f'{findings_html(view.findings.get(path, []))}</td>')


def _pairs(view: FormView, paths: Iterable[str], long: bool = False) -> str:
    rows = []
    for path in paths:
        if path not in view.form:
            continue
        label = HEADER_LABELS.get(path, path)
        rows.append(f'<tr><th class="label">{esc(label)}</th>'
                    f'{value_cell(view, path, view.form[path], label=label, long=long)}</tr>')
    return "".join(rows)


def _funds(view: FormView) -> str:
    funds = view.form.get("funds") or {}
    nested = [name for name, row in funds.items() if isinstance(row, dict)]
    flat = [name for name, value in funds.items() if not isinstance(value, dict)]
    out = []
    if nested:
        columns = [c for c in FUND_COLUMN_LABELS if any(c in funds[n] for n in nested)]
        head = "".join(f"<th>{esc(FUND_COLUMN_LABELS[c])}</th>" for c in columns)
        body = "".join(
            f'<tr><th class="label">{esc(FUND_ROW_LABELS.get(n, n))}</th>'
            + "".join(value_cell(view, f"funds.{n}.{c}", funds[n].get(c), label=label_of(f"funds.{n}.{c}"))
                      if c in funds[n] else "<td></td>" for c in columns) + "</tr>" for n in nested)
        out.append(f'<table class="grid funds"><tr><th>项目资金</th>{head}</tr>{body}</table>')
    if flat:
        body = "".join(f'<tr><th class="label">{esc(FUND_ROW_LABELS.get(n, n))}</th>'
                       f'{value_cell(view, f"funds.{n}", funds[n], label=label_of(f"funds.{n}"))}</tr>' for n in flat)
        out.append(f'<table class="pairs funds">{body}</table>')
    return "".join(out)


def _indicators(view: FormView) -> str:
    rows = view.form.get("indicators") or []
    columns = [c for c in INDICATOR_COLUMNS if any(c in r for r in rows if isinstance(r, dict))]
    head = "".join(f"<th>{esc(INDICATOR_LABELS[c])}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        cells = "".join(value_cell(view, f"indicators[{i}].{c}", row.get(c),
                                   label=label_of(f"indicators[{i}].{c}", row.get("name"))) if c in row else "<td></td>"
                        for c in columns)
        body.append(f'<tr><th class="rowno">{i + 1}</th>{cells}</tr>')
    general = findings_html(view.findings.get("indicators", []))
    return f'{general}<table class="grid indicators"><tr><th>#</th>{head}</tr>{"".join(body)}</table>'


def _others(view: FormView) -> str:
    """Fields the layout above does not place (a newer schema's): listed with their labels."""
    placed = {*HEADER, *GOALS, *TOTALS, "form_type", "funds", "indicators", "review", *RESULT_EXTRAS}
    data = {k: v for k, v in view.form.items() if k not in placed}
    rows = [f'<tr><th class="label">{esc(label_of(path))}</th>{value_cell(view, path, value, label=label_of(path))}</tr>'
            for path, value in leaves(data, include_null=True)]
    return f'<h4>其他</h4><table class="pairs">{"".join(rows)}</table>' if rows else ""


def form_section(view: FormView) -> str:
    """One form: title, status, form-level findings, then its parts in the form's order."""
    form = view.form
    status = (form.get("validation") or {}).get("status", "unvalidated")
    settled = " confirmed" if f"forms[{view.index}]" in view.confirmed else ""
    lines = form.get("source_lines") or ["?", "?"]
    title = FORM_TITLES.get(form.get("form_type", ""), "表")
    body = (f'<h4>基本信息</h4><table class="pairs">{_pairs(view, HEADER)}</table>'
            f'<h4>项目资金</h4>{_funds(view)}'
            f'<h4>年度总体目标</h4><table class="pairs">{_pairs(view, GOALS, long=True)}</table>'
            f'<h4>绩效指标</h4>{_indicators(view)}'
            f'<h4>总分</h4><table class="pairs">{_pairs(view, TOTALS)}</table>{_others(view)}')
    general = findings_html(f | {"message": f"{label_of(path)} ({path}): {f['message']}" if path else f["message"]}
                            for path, fs in view.findings.items() if path not in view.shown or path == "" for f in fs)
    return (f'<section class="form status-{esc(status)}{settled}" id="form-{view.index}" data-form="{view.index}" '
            f'data-form-type="{esc(form.get("form_type", ""))}">'
            f'<h2>{view.index + 1}. {esc(form.get("project_name") or "(项目名称缺失)")} <small>{esc(title)}</small> '
            f'<span class="status">{esc(status)}</span> <small>lines {esc(lines[0])}–{esc(lines[1])}</small> '
            f'<button type="button" class="confirm-form" data-form="{view.index}">confirm form</button></h2>'
            f'{general}{body}</section>')


def flagged_count(forms: list[dict[str, Any]]) -> int:
    return sum(1 for f in forms for x in (f.get("validation") or {}).get("findings", [])
               if x["severity"] in REVIEW_SEVERITIES)
