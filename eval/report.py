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
    if report.model:
        lines.insert(1, "model: " + ", ".join(f"{k}={v}" for k, v in report.model.items()))
    run = report.run
    lines.append(f"validation: {run.statuses['valid']} valid, {run.statuses['needs_review']} need review, "
                 f"{run.statuses['invalid']} invalid; {run.form_errors} forms failed")
    if (model_line := run.model_line()) is not None:
        lines.append(model_line)
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
        for form_error in error.get("form_errors", [error]):
            lines.append(f"error: {error['document']}: {form_error['message']}")
    if detail:
        items = m.get("mismatches", {}).get("items", [])
        lines.append("")
        lines.append(f"mismatches: {len(items)}")
        for it in items:
            lines.append(f"  {it['document']} form {it['form']} {it['path']} [{it['status']}] gold={it['gold']!r} pred={it['pred']!r}")
    return "\n".join(lines)


def format_validator_report(report) -> str:
    data = report.as_dict()
    lines = [f"validator eval on {data['forms']} clean gold forms",
             f"clean forms with error findings: {data['clean_forms_with_error_findings']}", "",
             f"{'mutation':<24} {'trials':>6} {'detected':>8} {'recall':>7}"]
    for name, row in data["detection"].items():
        recall = f"{row['recall']:.4f}" if row["recall"] is not None else "n/a"
        lines.append(f"{name:<24} {row['trials']:>6} {row['detected']:>8} {recall:>7}")
    for finding in data["clean_error_findings"]:
        lines.append(f"clean error: {finding['document']} form {finding['form']} {finding['code']} {finding['path']}: {finding['message']}")
    return "\n".join(lines)
