"""The comparison report: ``summary.md`` and a self-contained ``report.html`` (charts embedded as
PNG data URIs, drawn with matplotlib), plus ``comparison.json`` with every number."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from eval.comparison import Comparison  # noqa: E402


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def summary_rows(c: Comparison) -> list[list[str]]:
    rows = []
    for spec in c.specs:
        real, syn = c.real[spec], c.synthetic[spec]
        cost = syn["cost"]
        rows.append([spec, _pct(real["field_f1"]["f1"]), _pct(syn["field_f1"]["f1"]),
                     f"{_pct(real['consistency']['rate'])} / {_pct(syn['consistency']['rate'])}",
                     f"{real['fabrication']['rate']:.4f} / {syn['fabrication']['rate']:.4f}",
                     f"{real['rows']['recall']:.4f} / {syn['rows']['recall']:.4f}",
                     f"{_pct(real['alignment_auroc']['auroc'])} / {_pct(syn['alignment_auroc']['auroc'])}",
                     f"{cost['tokens_per_form']:.0f}", "n/a" if cost["cost_usd_per_form"] is None else f"{cost['cost_usd_per_form']:.6f}",
                     f"{cost['seconds_per_form'] * 1000:.1f}",
                     f"{real['cost']['forms_sent_to_model']} / {cost['forms_sent_to_model']}"])
    return rows


SUMMARY_HEAD = ["backend", "F1 real", "F1 synthetic", "consistent forms (real / syn.)", "fabrication (real / syn.)",
                "row recall (real / syn.)", "AUROC not-exact (real / syn.)", "tokens/form (syn.)", "USD/form (syn.)",
                "ms/form (syn.)", "forms sent to model (real / syn.)"]


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _field_rows(c: Comparison, which: str) -> tuple[list[str], list[list[str]]]:
    data = c.real if which == "real" else c.synthetic
    fields = sorted({f for spec in c.specs for f in data[spec]["per_field"]})
    rows = [[f, *(_pct(data[spec]["per_field"].get(f, {}).get("f1")) for spec in c.specs)] for f in fields]
    return ["field", *c.specs], rows


def _noise_rows(c: Comparison) -> tuple[list[str], list[list[str]]]:
    kinds = sorted({k for spec in c.specs for k in c.synthetic[spec].get("per_noise_kind", {})})
    rows = [[k, *(_pct(c.synthetic[spec]["per_noise_kind"].get(k, {}).get("f1")) for spec in c.specs)] for k in kinds]
    return ["noise kind (forms with it)", *c.specs], rows


def _curve_rows(c: Comparison) -> tuple[list[str], list[list[str]]]:
    levels = c.settings_note["levels"]
    return ["backend", *(f"level {lv:g}" for lv in levels)], [[s, *(_pct(c.noise_curve[s][lv]) for lv in levels)] for s in c.specs]


def _type_rows(c: Comparison) -> tuple[list[str], list[list[str]]]:
    rows = []
    for spec in c.specs:
        for name, data in (("real", c.real[spec]), ("synthetic", c.synthetic[spec])):
            for kind, s in data["per_form_type"].items():
                rows.append([spec, name, kind, _pct(s["f1"])])
    return ["backend", "set", "form type", "F1"], rows


def _inconsistency_rows(c: Comparison) -> tuple[list[str], list[list[str]]]:
    codes = sorted({code for spec in c.specs for code in c.inconsistencies[spec]})
    rows = [[code, *(f"{c.inconsistencies[s].get(code, {}).get('detected', 0)}/{c.inconsistencies[s].get(code, {}).get('trials', 0)}"
                     for s in c.specs)] for code in codes]
    return ["printed inconsistency → expected finding", *c.specs], rows


def _validator_rows(c: Comparison) -> tuple[list[str], list[list[str]]]:
    rows = [[name, str(row["trials"]), str(row["detected"]), _pct(row["recall"])]
            for name, row in c.validators.get("detection", {}).items()]
    return ["mutation of a gold form", "trials", "detected", "recall"], rows


def sections(c: Comparison) -> list[tuple[str, str, tuple[list[str], list[list[str]]]]]:
    return [
        ("summary", "Summary: real visible forms and synthetic forms side by side", (SUMMARY_HEAD, summary_rows(c))),
        ("curve", "Field F1 against noise level (synthetic)", _curve_rows(c)),
        ("types", "Field F1 per form type", _type_rows(c)),
        ("noise", "Field F1 per noise kind (synthetic forms carrying that kind, default level)", _noise_rows(c)),
        ("incons", "Printed inconsistencies: was the finding raised?", _inconsistency_rows(c)),
        ("validators", "Validator detection per mutation type (real gold forms, backend-independent)", _validator_rows(c)),
        ("fields_real", "Field F1 per field, real visible forms", _field_rows(c, "real")),
        ("fields_syn", "Field F1 per field, synthetic forms", _field_rows(c, "synthetic")),
    ]


def write_markdown(c: Comparison, path: Path) -> None:
    note = c.settings_note
    parts = [f"# formex backend comparison\n\nBackends: {', '.join(c.specs)}. Real: the visible eval set "
             f"(4 documents, 31 forms). Synthetic: {note['synthetic_forms']}+ generated forms at noise level "
             f"{note['default_level']:g}; noise curve with {note['curve_forms_per_level']}+ forms per level. "
             "The two are never blended into one number. AUROC: how well an alignment other than `exact` ranks "
             "wrong values above right ones (0.5 = no better than chance). `fake` backends answer with formex's "
             "own parser through the model path: a plumbing check, not a model's quality.\n"]
    for _, title, (head, rows) in sections(c):
        parts.append(f"## {title}\n\n{_md_table(head, rows)}\n")
    parts.append("Charts: `report.html` (self-contained) and `*.png` beside this file; every number in `comparison.json`.\n")
    path.write_text("\n".join(parts), encoding="utf-8")


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def charts(c: Comparison) -> dict[str, bytes]:
    out = {}
    figure, axis = plt.subplots(figsize=(7, 4))
    for spec in c.specs:
        levels = sorted(c.noise_curve[spec])
        axis.plot(levels, [c.noise_curve[spec][lv] for lv in levels], marker="o", label=spec)
    axis.set_xlabel("noise level (0 clean, 1 default, 2+ worse than the worst seed)")
    axis.set_ylabel("field F1")
    axis.set_title("Field F1 against noise level (synthetic)")
    axis.grid(alpha=0.3)
    axis.legend()
    out["f1_vs_noise.png"] = _png(figure)

    figure, axis = plt.subplots(figsize=(7, 3.5))
    width = 0.35
    xs = range(len(c.specs))
    axis.bar([x - width / 2 for x in xs], [c.real[s]["field_f1"]["f1"] for s in c.specs], width, label="real visible")
    axis.bar([x + width / 2 for x in xs], [c.synthetic[s]["field_f1"]["f1"] for s in c.specs], width, label="synthetic")
    axis.set_xticks(list(xs), c.specs)
    low = min([c.real[s]["field_f1"]["f1"] for s in c.specs] + [c.synthetic[s]["field_f1"]["f1"] for s in c.specs])
    axis.set_ylim(max(0.0, low - 0.05), 1.0)
    axis.set_title("Field F1: real and synthetic, side by side")
    axis.legend()
    out["f1_by_backend.png"] = _png(figure)

    head, rows = _noise_rows(c)
    if rows:
        figure, axis = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.5))
        for i, spec in enumerate(c.specs):
            values = [float(r[i + 1]) if r[i + 1] != "n/a" else 0.0 for r in rows]
            axis.barh([y + i * 0.8 / len(c.specs) for y in range(len(rows))], values, 0.8 / len(c.specs), label=spec)
        axis.set_yticks(list(range(len(rows))), [r[0] for r in rows])
        axis.set_xlim(max(0.0, min(float(v) for r in rows for v in r[1:] if v != "n/a") - 0.05), 1.0)
        axis.set_title("Field F1 per noise kind (synthetic)")
        axis.legend()
        out["f1_by_noise_kind.png"] = _png(figure)
    return out


def write_html(c: Comparison, path: Path, images: dict[str, bytes]) -> None:
    def table(head: list[str], rows: list[list[str]]) -> str:
        cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in rows)
        return f"<table><tr>{cells}</tr>{body}</table>"

    pictures = "".join(f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,'
                       f'{base64.b64encode(data).decode()}"></figure>' for name, data in images.items())
    blocks = "".join(f"<h2>{html.escape(title)}</h2>{table(*content)}" for _, title, content in sections(c))
    path.write_text(f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>formex comparison</title>
<style>body{{font-family:sans-serif;margin:20px;max-width:1200px}}table{{border-collapse:collapse;margin-bottom:20px}}
td,th{{border:1px solid #ccc;padding:3px 7px;font-size:13px}}th{{background:#f0f0f0}}figure{{display:inline-block;margin:6px}}
img{{max-width:560px}}</style></head><body><h1>formex backend comparison</h1>
<p>Backends: {html.escape(', '.join(c.specs))}. Real visible forms and synthetic forms are reported side by side.</p>
{pictures}{blocks}</body></html>""", encoding="utf-8")


def write_report(c: Comparison, outdir: Path) -> dict[str, Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    images = charts(c)
    for name, data in images.items():
        (outdir / name).write_bytes(data)
    paths = {"markdown": outdir / "summary.md", "html": outdir / "report.html", "json": outdir / "comparison.json"}
    write_markdown(c, paths["markdown"])
    write_html(c, paths["html"], images)
    paths["json"].write_text(json.dumps({"specs": c.specs, "real": c.real, "synthetic": c.synthetic,
                                         "noise_curve": {s: {str(k): v for k, v in curve.items()} for s, curve in c.noise_curve.items()},
                                         "inconsistencies": c.inconsistencies, "validators": c.validators,
                                         "settings": c.settings_note}, ensure_ascii=False, indent=1), encoding="utf-8")
    return paths
