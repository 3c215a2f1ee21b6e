"""The review page: one self-contained HTML file (no external assets).

Left, what the clerk compares against: for a PDF or an image, the page images with every value
boxed at its place (green exact, blue normalized or split, a red or amber outline where the
field has a finding); for a text input, the text with every value highlighted at its span.
Right, each form laid out as it prints (:mod:`extractor.review.fields`). Clicking a field
scrolls (and zooms) to its box. A value edited, or a flagged one confirmed, is saved to the
service as a new result version (``PATCH /v1/jobs/{id}/result``) or, for a page opened from
disk, exported as a JSON Patch that ``formex validate --apply`` takes. Below, the trail.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from extractor.ingest.boxes import TextBox, boxes_of_span
from extractor.labels import label_of
from extractor.review.fields import FormView, esc, flagged_count, form_section
from extractor.review.source import highlighted, marks

STYLE = """
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","WenQuanYi Zen Hei",
"Droid Sans Fallback","Microsoft YaHei",sans-serif;font-size:13px;color:#222}
header{padding:6px 12px;background:#27364a;color:#fff;display:flex;gap:14px;align-items:center;flex-wrap:wrap}
header h1{font-size:15px;margin:0}header button{font-size:13px}
#message{color:#ffd27a}
main{display:grid;grid-template-columns:minmax(0,45fr) minmax(0,55fr);height:calc(100vh - 46px)}
#source{overflow:auto;padding:10px;border-right:1px solid #ccc;white-space:pre;font-size:12px;line-height:1.5;tab-size:4}
#pages{overflow:auto;border-right:1px solid #ccc;background:#666;padding:8px;--zoom:1}
.page{position:relative;width:calc(var(--zoom) * 100%);margin:0 auto 8px;background:#fff}
.page img{display:block;width:100%}
.page .pageno{position:absolute;top:2px;left:4px;font-size:11px;color:#555}
.box{position:absolute;border:1px solid rgba(40,150,40,.7);background:rgba(80,200,80,.12);cursor:pointer}
.box.normalized,.box.split{border-color:rgba(40,90,200,.8);background:rgba(60,120,230,.12)}
.box.flag-error{border:2px solid #d33;background:rgba(230,50,50,.15)}
.box.flag-warning{border:2px solid #e9a100;background:rgba(240,170,0,.15)}
.box.active,mark.active{box-shadow:0 0 0 3px #111,0 0 0 6px #ffd400;z-index:2}
#zoom{position:sticky;top:0;left:0;z-index:5;display:flex;gap:4px}
mark{border-radius:2px;padding:0 1px}mark.exact{background:#cdeccd}mark.normalized,mark.split{background:#d8e6fb}
mark.derived{background:#eee}mark.flag-error{outline:2px solid #d33}mark.flag-warning{outline:2px solid #e9a100}
#fields{overflow:auto;padding:8px 12px}
section.form{border-top:3px solid #27364a;margin-bottom:24px}
section.form h2{font-size:15px;margin:8px 0}section.form h4{margin:12px 0 4px;color:#27364a}
.status{padding:1px 6px;border-radius:8px;font-size:12px}
.status-valid .status{background:#d7f0d7}.status-needs_review .status{background:#fbe7b5}.status-invalid .status{background:#f7c9c9}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:2px 4px;vertical-align:top}
th{background:#f4f4f4;text-align:left;font-weight:normal}th.label{width:8em;color:#333}table.grid th.label{width:6em}
table.grid th{font-size:12px}table.indicators td{min-width:5em}
td.field{cursor:pointer}td.field .value{width:100%;font:inherit;border:1px solid #ccc;padding:1px 3px;background:#fff}
td.field textarea.value{resize:vertical}
td.flag-error{background:#fdeaea}td.flag-warning{background:#fff5dc}td.confirmed{background:#eef7ee}
td.changed .value,td.corrected .value{border-color:#2b62d9;background:#eef3ff}
td.corrected .meta::after{content:"corrected";color:#2b62d9}
td.active{outline:3px solid #ffd400}
.meta{font-size:10px;color:#888;display:flex;flex-wrap:wrap;gap:0 6px;align-items:center}
.path{font-size:10px;word-break:break-all}table.grid{table-layout:fixed}table.grid th.rowno{width:2em}
.align-none{color:#b00;font-weight:bold}.confirm{color:#555}
.finding{font-size:12px;margin:2px 0;padding:2px 4px;border-left:3px solid #999;background:#fafafa}
.finding.error{border-color:#d33}.finding.warning{border-color:#e9a100}.finding .code{font-weight:bold}
.finding .identity{display:block;font-family:monospace;color:#900}.finding .numbers{display:block;color:#444}
body.only-review .plain{display:none}
#trail td,#trail th{font-size:12px}
"""

SCRIPT = """
const SAVE_URL = document.body.dataset.saveUrl || '';
const KEY = new URLSearchParams(location.search).get('key') || '';
const message = text => { document.getElementById('message').textContent = text; };
const pane = document.getElementById('pages');
const setZoom = z => pane && pane.style.setProperty('--zoom', z);
document.querySelectorAll('#zoom button').forEach(b => b.addEventListener('click', () => setZoom(b.dataset.zoom)));
document.querySelectorAll('table.pairs tr, table.grid tr').forEach(tr => {
  if (tr.querySelector('td') && !tr.querySelector('td.needs-review')) tr.classList.add('plain');
});
document.querySelectorAll('section.form h4').forEach(h => {     // a part with nothing to review
  let part = h.nextElementSibling;
  const parts = [];
  while (part && part.tagName !== 'H4') { parts.push(part); part = part.nextElementSibling; }
  if (!parts.some(p => p.querySelector('td.needs-review') || p.classList.contains('finding'))) {
    [h, ...parts].forEach(e => e.classList.add('plain'));
  }
});
const box = document.getElementById('only-review');
box.addEventListener('change', e => document.body.classList.toggle('only-review', e.target.checked));
if (location.hash === '#needs-review') { box.checked = true; document.body.classList.add('only-review'); }

function activate(key, fromPage) {
  document.querySelectorAll('.active').forEach(e => e.classList.remove('active'));
  const cells = document.querySelectorAll(`td.field[data-key="${key}"]`);
  cells.forEach(td => td.classList.add('active'));
  const places = document.querySelectorAll(`.box[data-key~="${key}"], mark[data-key~="${key}"]`);
  places.forEach(p => p.classList.add('active'));
  if (fromPage) { if (cells.length) cells[0].scrollIntoView({block: 'center'}); return; }
  if (!places.length) return;
  if (places[0].classList.contains('box')) setZoom(2);
  places[0].scrollIntoView({block: 'center', inline: 'center'});
}
document.querySelectorAll('td.field').forEach(td => td.addEventListener('click', () => activate(td.dataset.key)));
document.querySelectorAll('.box').forEach(b => b.addEventListener('click', () => activate(b.dataset.key.split(' ')[0], true)));

const shown = td => td.querySelector('.value').defaultValue;   // as the page was served
document.querySelectorAll('td.field .value').forEach(input => input.addEventListener('input', () => {
  const td = input.closest('td'); td.classList.toggle('changed', input.value !== shown(td));
}));
document.querySelectorAll('button.confirm-form').forEach(b => b.addEventListener('click', () => {
  const form = document.getElementById('form-' + b.dataset.form);
  form.dataset.confirm = '1';
  form.querySelectorAll('.confirm-box:not(:disabled)').forEach(c => { c.checked = true; });
  message('form ' + (+b.dataset.form + 1) + ' marked confirmed; save to record it');
}));

function pointer(td) {
  const steps = td.dataset.path.replace(/\\[(\\d+)\\]/g, '.$1').split('.');
  return '/forms/' + td.dataset.form + '/' + steps.map(s => s.replace(/~/g, '~0').replace(/\\//g, '~1')).join('/');
}
function typed(text, type) {
  if (text.trim() === '') return null;
  if (type === 'number') { const n = Number(text.replace(/[,，\\s]/g, '')); return Number.isNaN(n) ? text : n; }
  return text;
}
function patch() {
  const ops = [];
  document.querySelectorAll('td.field').forEach(td => {
    const input = td.querySelector('.value');
    if (input.value !== shown(td)) {
      ops.push({op: 'replace', path: pointer(td), value: typed(input.value, td.dataset.type)});
    } else {
      const c = td.querySelector('.confirm-box');
      if (c && c.checked && !c.disabled) ops.push({op: 'test', path: pointer(td), value: JSON.parse(td.dataset.original)});
    }
  });
  document.querySelectorAll('section.form[data-confirm="1"]').forEach(form => {   // the form as a whole
    ops.push({op: 'test', path: '/forms/' + form.dataset.form + '/form_type', value: form.dataset.formType});
  });
  return ops;
}
document.getElementById('export').addEventListener('click', () => {
  const ops = patch();
  if (!ops.length) { message('nothing changed or confirmed'); return; }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([JSON.stringify(ops, null, 1)], {type: 'application/json'}));
  link.download = 'corrections.patch.json'; link.click();
  message(ops.length + ' operations exported: formex validate RESULT.json --source DOC --apply corrections.patch.json');
});
const save = document.getElementById('save');
if (!SAVE_URL) save.hidden = true;
save.addEventListener('click', async () => {
  const ops = patch();
  if (!ops.length) { message('nothing changed or confirmed'); return; }
  save.disabled = true; message('saving…');
  const headers = {'Content-Type': 'application/json-patch+json'};
  if (KEY) headers.Authorization = 'Bearer ' + KEY;
  const response = await fetch(SAVE_URL, {method: 'PATCH', headers, body: JSON.stringify(ops)});
  if (response.ok) { message('saved as version ' + response.headers.get('X-Formex-Result-Version')); location.reload(); return; }
  let detail = response.statusText;
  try { detail = (await response.json()).detail; } catch (e) {}
  message('not saved: ' + detail); save.disabled = false;
});
"""


def _page_boxes(forms: list[dict[str, Any]], boxes: Sequence[TextBox]) -> dict[int, dict[tuple, list[str]]]:
    """page → box → (css classes, keys) of the fields whose spans fall in it."""
    starts = [b[0] for b in boxes]
    pages: dict[int, dict[tuple, list[str]]] = {}
    for mark_start, mark_end, classes, key in marks(forms):
        for page, box in boxes_of_span(boxes, starts, mark_start, mark_end):
            entry = pages.setdefault(page, {}).setdefault(tuple(box), [])
            entry.append(f"{classes}|{key}")
    return pages


def _pages_html(forms: list[dict[str, Any]], boxes: Sequence[TextBox], images: Sequence[str]) -> str:
    placed = _page_boxes(forms, boxes)
    out = ['<div id="pages"><div id="zoom"><button data-zoom="1">fit</button><button data-zoom="1.5">150%</button>'
           '<button data-zoom="2">200%</button><button data-zoom="3">300%</button></div>']
    for number, url in enumerate(images, start=1):
        divs = []
        for (x0, y0, x1, y1), entries in placed.get(number, {}).items():
            classes = " ".join(sorted({c for e in entries for c in e.split("|")[0].split()}))
            keys = [e.split("|", 1)[1] for e in entries]
            title = ", ".join(label_of(k.split(":", 1)[1]) for k in keys)
            divs.append(f'<div class="box {esc(classes)}" data-key="{esc(" ".join(keys))}" title="{esc(title)}" '
                        f'style="left:{x0 * 100:.3f}%;top:{y0 * 100:.3f}%;width:{(x1 - x0) * 100:.3f}%;'
                        f'height:{(y1 - y0) * 100:.3f}%"></div>')
        out.append(f'<div class="page" data-page="{number}"><img src="{esc(url)}" alt="page {number}" '
                   f'loading="lazy"><span class="pageno">{number}</span>{"".join(divs)}</div>')
    out.append("</div>")
    return "".join(out)


def _trail_html(trail: Sequence[dict[str, Any]]) -> str:
    if not trail:
        return '<section id="trail"><h3>Corrections</h3><p>none yet</p></section>'
    rows = "".join(
        f'<tr><td>{esc(e.get("version"))}</td><td>{esc(e.get("at"))}</td><td class="who">{esc(e.get("reviewer"))}</td>'
        f'<td>{esc(e.get("form", 0) + 1)}</td><td>{esc(label_of(e["path"]) if e.get("path") else "(form)")} '
        f'<code class="path">{esc(e.get("path") or "")}</code></td><td>{esc(e.get("action"))}</td>'
        f'<td>{esc(json.dumps(e.get("original"), ensure_ascii=False))}</td>'
        f'<td>{esc(json.dumps(e.get("value"), ensure_ascii=False))}</td></tr>' for e in trail)
    return ('<section id="trail"><h3>Corrections</h3><table><tr><th>version</th><th>when</th><th>who</th><th>form</th>'
            f'<th>field</th><th>action</th><th>was</th><th>now</th></tr>{rows}</table></section>')


def render_review(document: dict[str, Any], text: str, *, boxes: Sequence[TextBox] | None = None,
                  page_images: Sequence[str] | None = None, trail: Sequence[dict[str, Any]] | None = None,
                  save_url: str | None = None) -> str:
    """The review page of one result document. ``text`` is what its spans point into; with
    ``page_images`` (URLs, one per page) and the ingestion's ``boxes`` the pages are shown instead."""
    forms = document.get("forms", [])
    review = document.get("review") or {}
    confirmed, corrected = set(review.get("confirmed") or []), set(review.get("corrected_fields") or [])
    sections = "".join(form_section(FormView(i, f, confirmed, corrected)) for i, f in enumerate(forms))
    left = (_pages_html(forms, boxes, page_images) if page_images and boxes
            else f'<div id="source">{highlighted(text, marks(forms))}</div>')
    source = esc(document.get("source", ""))
    state = f' · review: {esc(review["status"])} (version {esc(review.get("version"))})' if review else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>formex review: {source}</title>
<style>{STYLE}</style></head>
<body data-save-url="{esc(save_url or '')}"><header><h1>formex review: {source}</h1>
<span id="summary">{len(forms)} forms, {flagged_count(forms)} findings needing review{state}</span>
<label><input type="checkbox" id="only-review"> only fields needing review</label>
<button type="button" id="save">save corrections</button><button type="button" id="export">export JSON patch</button>
<span id="message"></span></header>
<main>{left}<div id="fields">{sections}{_trail_html(trail or [])}</div></main>
<script>{SCRIPT}</script></body></html>
"""
