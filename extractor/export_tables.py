"""The tables a batch is exported as (workbook sheets, CSV files): their columns and rows.

Three tables, one row per form, per indicator row, per finding. Every column has the form's own
printed label (:mod:`extractor.labels`) and the hand-off field path it holds; values are written
as printed (numbers as numbers), nothing is recomputed. Rows come one document at a time, so an
export of any size holds one document in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from extractor.labels import FORM_TITLES, FUND_COLUMN_LABELS, INDICATOR_LABELS, label_of

FUND_ROWS_WITH_COLUMNS = ("total", "current_year_appropriation", "prior_year_carryover", "other")
DECLARATION_FUND_ROWS = ("project_total", "project_fiscal", "project_other", "annual_total",
                         "current_year_appropriation", "prior_year_carryover", "other")


@dataclass(frozen=True)
class Column:
    label: str        # the printed label, the header a person reads
    path: str         # the hand-off field path (or a meta name such as "source")
    width: int = 14   # characters, for the workbook


def _field(path: str, width: int = 14) -> Column:
    return Column(label_of(path), path, width)


META_COLUMNS = (Column("来源文件", "source", 36), Column("表序号", "form_index", 7),
                Column("表类型", "form_type", 24), Column("校验状态", "validation.status", 12),
                Column("问题数", "validation.findings", 8))

FORM_COLUMNS = (
    *META_COLUMNS,
    _field("year", 8), _field("project_name", 36), _field("competent_department", 28),
    _field("implementing_unit", 28), _field("project_nature", 12), _field("project_category", 12),
    _field("plan_start", 12), _field("plan_end", 12), _field("funds_unit", 8),
    *(_field(f"funds.{row}.{column}") for row in FUND_ROWS_WITH_COLUMNS for column in FUND_COLUMN_LABELS),
    *(Column(f"{label_of('funds.' + row)}（申报表）", f"funds.{row}") for row in DECLARATION_FUND_ROWS),
    _field("total_weight", 10), _field("total_score", 10), _field("grade", 8),
    _field("goal_expected", 48), _field("goal_actual", 48), _field("goal_overall", 48), _field("goal_annual", 48),
)

_FORM_PATHS = tuple((c.path, tuple(c.path.split("."))) for c in FORM_COLUMNS)
INDICATOR_FIELDS = tuple(INDICATOR_LABELS)
INDICATOR_COLUMNS = (
    Column("来源文件", "source", 36), Column("表序号", "form_index", 7), Column(label_of("project_name"), "project_name", 30),
    Column("行号", "row", 6),
    *(Column(INDICATOR_LABELS[name], f"indicators[].{name}", 40 if name in ("name", "deviation_note") else 14)
      for name in INDICATOR_FIELDS),
)

FINDING_COLUMNS = (
    Column("来源文件", "source", 36), Column("表序号", "form_index", 7), Column(label_of("project_name"), "project_name", 30),
    Column("字段", "label", 30), Column("字段路径", "path", 30), Column("级别", "severity", 9),
    Column("代码", "code", 22), Column("说明", "message", 60), Column("应为", "expected", 16),
    Column("实为", "found", 16),
)


def get_path(form: dict[str, Any], path: str | tuple[str, ...]) -> Any:
    """The value at a dotted path (or its parts), or None where the form has none; only scalars
    (a fund row that is a dict in the other form type reads as None)."""
    value: Any = form
    for part in path.split(".") if isinstance(path, str) else path:
        value = value.get(part) if isinstance(value, dict) else None
    return None if isinstance(value, (dict, list)) else value


def findings_by_path(form: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in (form.get("validation") or {}).get("findings", []):
        found.setdefault(finding.get("path") or "", []).append(finding)
    return found


def _cell_text(value: Any) -> Any:
    """A finding's expected/found as one cell: scalars as they are, anything else as short text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@dataclass
class FormRows:
    """One form's rows in the three tables, with the findings of each marked cell."""

    form: list[Any]
    indicators: list[list[Any]]
    findings: list[list[Any]]
    by_path: dict[str, list[dict[str, Any]]]


def form_rows(source: str, index: int, form: dict[str, Any]) -> FormRows:
    validation = form.get("validation") or {}
    findings = validation.get("findings", [])
    meta = {"source": source, "form_index": index, "form_type": FORM_TITLES.get(form.get("form_type"), form.get("form_type")),
            "validation.status": validation.get("status"), "validation.findings": len(findings)}
    form_row = [meta[path] if path in meta else get_path(form, parts) for path, parts in _FORM_PATHS]
    name = form.get("project_name")
    indicator_rows = [[source, index, name, r + 1, *(row.get(f) for f in INDICATOR_FIELDS)]
                      for r, row in enumerate(form.get("indicators") or [])]
    indicators = form.get("indicators") or []
    finding_rows = []
    for f in findings:
        path = f.get("path") or ""
        row_name = _row_name(indicators, path)
        finding_rows.append([source, index, name, label_of(path, row_name) if path else "", path, f.get("severity"),
                             f.get("code"), f.get("message"), _cell_text(f.get("expected")), _cell_text(f.get("found"))])
    return FormRows(form_row, indicator_rows, finding_rows, findings_by_path(form))


def _row_name(indicators: list[dict[str, Any]], path: str) -> str | None:
    if not path.startswith("indicators["):
        return None
    try:
        return indicators[int(path[len("indicators["):path.index("]")])].get("name")
    except (ValueError, IndexError, AttributeError):
        return None


def document_rows(documents: Iterator[dict[str, Any]]) -> Iterator[FormRows]:
    """Every form's rows, document after document, in the order the documents come."""
    for document in documents:
        source = document.get("source")
        for index, form in enumerate(document.get("forms") or []):
            yield form_rows(source, index, form)
