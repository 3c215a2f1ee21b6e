"""An Excel workbook of a batch's results: forms, indicator rows, findings (one sheet each).

Headers are the form's own printed labels (项目名称, 年度资金总额 · 全年执行数, …), each with its
hand-off field path in a comment; every fund row and column has its column. A cell whose field has
a finding is filled (red for an error, amber for a warning) and carries the findings as a comment;
the findings sheet lists each one with what was expected and what was found. Columns have widths,
the header is frozen and filtered, and rows come in the order of the documents given.

Written by :mod:`extractor.xlsx_stream`: rows stream to disk, so time and memory grow with the
rows written and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

from extractor.export_tables import (FINDING_COLUMNS, FORM_COLUMNS, INDICATOR_COLUMNS, INDICATOR_FIELDS, META_COLUMNS,
                                     Column, FormRows)
from extractor.xlsx_stream import StreamBook, StreamSheet, Styled

SHEETS = {"forms": "表单", "indicators": "绩效指标", "findings": "校验问题"}
_FORM_FIELD_AT = [(i, c.path) for i, c in enumerate(FORM_COLUMNS) if c not in META_COLUMNS]   # markable fields
_INDICATOR_FIRST = len(INDICATOR_COLUMNS) - len(INDICATOR_FIELDS)


def _sheet(book: StreamBook, title: str, columns: tuple[Column, ...]) -> StreamSheet:
    """A sheet headed by the columns' labels in bold, each with its field path as a comment."""
    sheet = book.sheet(title, [c.width for c in columns])
    sheet.append([Styled(c.label, "bold", c.path) for c in columns])
    return sheet


def _marked(value: Any, findings: list[dict[str, Any]]) -> Any:
    """The value as a filled, commented cell when its field has findings; else the plain value."""
    if not findings:
        return value
    worst = "error" if any(f.get("severity") == "error" for f in findings) else "warning"
    return Styled(value, worst, "\n".join(f"[{f.get('severity')}] {f.get('code')}: {f.get('message')}" for f in findings))


class WorkbookWriter:
    """Add forms one at a time, then :meth:`close` to save."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.book = StreamBook()
        self.forms = _sheet(self.book, SHEETS["forms"], FORM_COLUMNS)
        self.indicators = _sheet(self.book, SHEETS["indicators"], INDICATOR_COLUMNS)
        self.findings = _sheet(self.book, SHEETS["findings"], FINDING_COLUMNS)
        self.count = 0

    def add(self, rows: FormRows) -> None:
        by_path = rows.by_path
        values = rows.form
        if by_path:
            values = list(values)
            for at, path in _FORM_FIELD_AT:
                if path in by_path:
                    values[at] = _marked(values[at], by_path[path])
        self.forms.append(values)
        for r, row in enumerate(rows.indicators):
            if by_path:
                prefix = f"indicators[{r}]"
                row = [*row[:_INDICATOR_FIRST], *(_marked(value, by_path.get(f"{prefix}.{name}", []))
                                                  for value, name in zip(row[_INDICATOR_FIRST:], INDICATOR_FIELDS))]
            self.indicators.append(row)
        for finding in rows.findings:
            self.findings.append(finding)
        self.count += 1

    def close(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.book.save(self.path)
        return self.count


def write_workbook(forms: Iterable[FormRows], path: Path, on_form: Callable[[int], None] | None = None) -> int:
    """Write the workbook of the given forms' rows; returns the number of forms written."""
    writer = WorkbookWriter(path)
    for rows in forms:
        writer.add(rows)
        if on_form is not None:
            on_form(writer.count)
    return writer.close()
