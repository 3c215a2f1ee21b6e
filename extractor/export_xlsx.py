"""An Excel workbook of a batch's results: a sheet of forms, a sheet of indicator rows.

A cell whose field has a finding is filled: red for an error, amber for a warning, and the
finding's message is attached as a cell comment. Values are written as printed (numbers as
numbers); nothing is recomputed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

FILLS = {"error": PatternFill("solid", fgColor="F4B6B6"), "warning": PatternFill("solid", fgColor="FBE3A6")}
FORM_COLUMNS = ("form_type", "year", "project_name", "competent_department", "implementing_unit", "funds_unit",
                "funds.total.annual_budget", "funds.total.executed", "funds.total.execution_rate",
                "total_weight", "total_score", "grade", "goal_expected", "goal_actual", "goal_overall", "goal_annual",
                "project_nature", "project_category", "plan_start", "plan_end", "funds.annual_total")
INDICATOR_COLUMNS = ("level1", "level2", "name", "target", "actual", "weight", "score", "deviation_note")


def _get(form: dict[str, Any], path: str) -> Any:
    value: Any = form
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _findings_by_path(form: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in (form.get("validation") or {}).get("findings", []):
        found.setdefault(finding["path"], []).append(finding)
    return found


def _mark(cell: Any, findings: list[dict[str, Any]]) -> None:
    if not findings:
        return
    worst = "error" if any(f["severity"] == "error" for f in findings) else "warning"
    if worst in FILLS:
        cell.fill = FILLS[worst]
        cell.comment = Comment("\n".join(f"[{f['severity']}] {f['code']}: {f['message']}" for f in findings), "formex")


def write_workbook(documents: Iterable[dict[str, Any]], path: Path) -> int:
    """Write the workbook; returns the number of forms written."""
    book = Workbook()
    forms_sheet = book.active
    forms_sheet.title = "forms"
    rows_sheet = book.create_sheet("indicators")
    bold = Font(bold=True)
    forms_sheet.append(["source", "form", "status", "findings", *FORM_COLUMNS])
    rows_sheet.append(["source", "form", "row", *INDICATOR_COLUMNS])
    for cell in (*forms_sheet[1], *rows_sheet[1]):
        cell.font = bold
    count = 0
    for document in documents:
        for index, form in enumerate(document.get("forms", [])):
            count += 1
            findings = _findings_by_path(form)
            validation = form.get("validation") or {}
            forms_sheet.append([document.get("source"), index, validation.get("status"),
                                len(validation.get("findings", [])), *(_get(form, c) for c in FORM_COLUMNS)])
            for offset, column in enumerate(FORM_COLUMNS):
                _mark(forms_sheet.cell(forms_sheet.max_row, 5 + offset), findings.get(column, []))
            for r, row in enumerate(form.get("indicators", [])):
                rows_sheet.append([document.get("source"), index, r, *(row.get(c) for c in INDICATOR_COLUMNS)])
                for offset, column in enumerate(INDICATOR_COLUMNS):
                    _mark(rows_sheet.cell(rows_sheet.max_row, 4 + offset), findings.get(f"indicators[{r}].{column}", []))
    forms_sheet.freeze_panes = rows_sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return count
