"""Readable text of an eval report."""

from __future__ import annotations

from eval.runner import EvalReport


def format_report(report: EvalReport, *, detail: bool = False) -> str:
    m = report.metrics
    overall = m["field_f1"]
    lines = [
        f"backend: {report.backend}   documents: {report.documents}   forms: {report.forms_predicted} predicted / "
        f"{report.forms_gold} gold   {report.seconds:.2f}s",
        f"fields  P {overall['precision']:.4f}  R {overall['recall']:.4f}  F1 {overall['f1']:.4f}  "
        f"(tp {overall['tp']}, predicted {overall['predicted']}, gold {overall['gold']})",
    ]
    if "row_recall" in m:
        lines.append(f"indicator rows found: {m['row_recall']['found']}/{m['row_recall']['gold_rows']}   "
                     f"fabricated fields: {m['fabrication_rate']['invented']}")
    lines.append("")
    lines.append("per document:")
    for doc, s in m.get("per_document", {}).items():
        lines.append(f"  {doc:<28} P {s['precision']:.4f}  R {s['recall']:.4f}  F1 {s['f1']:.4f}")
    lines.append("")
    lines.append("per field:")
    for field, s in m.get("per_field", {}).items():
        lines.append(f"  {field:<38} F1 {s['f1']:.4f}  ({s['tp']}/{s['gold']} gold, {s['predicted']} predicted)")
    for error in report.errors:
        lines.append(f"error: {error['document']}: {error['message']}")
    if detail:
        items = m.get("mismatches", {}).get("items", [])
        lines.append("")
        lines.append(f"mismatches: {len(items)}")
        for it in items:
            lines.append(f"  {it['document']} form {it['form']} {it['path']} [{it['status']}] gold={it['gold']!r} pred={it['pred']!r}")
    return "\n".join(lines)
