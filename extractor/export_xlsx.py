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

import re
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple

from extractor.export_tables import (FINDING_COLUMNS, FORM_COLUMNS, INDICATOR_COLUMNS, INDICATOR_FIELDS, META_COLUMNS,
                                     Column, FormRows)
from extractor.xlsx_stream import RowFormat, StreamBook, StreamSheet, Styled, text_kind

SHEETS = {"forms": "表单", "indicators": "绩效指标", "findings": "校验问题"}
_FORM_FIELD_AT = [(i, c.path) for i, c in enumerate(FORM_COLUMNS) if c not in META_COLUMNS]   # markable fields
_INDICATOR_FIRST = len(INDICATOR_COLUMNS) - len(INDICATOR_FIELDS)
_INDICATOR_PATH = re.compile(r"indicators\[(\d+)\]\.(\w+)")
FORMS, INDICATORS, FINDINGS = (RowFormat(len(columns)) for columns in (FORM_COLUMNS, INDICATOR_COLUMNS, FINDING_COLUMNS))


class WorkbookPart(NamedTuple):
    """Some forms' rows of the three sheets, rendered (UTF-8, to be numbered where they are added),
    with their comments: (which of these rows, column, text)."""

    forms: list[bytes]
    form_comments: list[tuple[int, int, str]]
    indicators: list[bytes]
    indicator_comments: list[tuple[int, int, str]]
    findings: list[bytes]
    count: int


def render(forms: list[FormRows]) -> WorkbookPart:
    """The workbook rows of these forms, each row one call of its sheet's template where it can be
    (:class:`~extractor.xlsx_stream.RowFormat`); a cell whose field has findings is filled and
    commented."""
    form_rows: list[str] = []
    indicator_rows: list[str] = []
    finding_rows: list[str] = []
    form_comments: list[tuple[int, int, str]] = []
    indicator_comments: list[tuple[int, int, str]] = []
    for rows in forms:
        kind = text_kind(rows.form_strings, rows.form_text, rows.form_printable)
        row_kind = text_kind(rows.row_strings, rows.row_text, rows.row_printable)
        form_shape, indicator_shapes, finding_shapes = rows.shapes
        if not rows.by_path:
            form_rows.append(FORMS.text(rows.form, kind, form_shape))
            indicator_rows.extend(INDICATORS.texts(rows.indicators, row_kind, indicator_shapes))
            continue
        _add_marked(FORMS, _form_marks(rows.by_path), [rows.form], kind, [form_shape], form_rows, form_comments)
        _add_marked(INDICATORS, _indicator_marks(rows.by_path), rows.indicators, row_kind, indicator_shapes,
                    indicator_rows, indicator_comments)
        finding_rows.extend(FINDINGS.texts(rows.findings, row_kind, finding_shapes))
    return WorkbookPart([row.encode() for row in form_rows], form_comments, [row.encode() for row in indicator_rows],
                        indicator_comments, [row.encode() for row in finding_rows], len(forms))


def _form_marks(by_path: dict[str, list[dict[str, Any]]]) -> dict[int, dict[int, list[dict[str, Any]]]]:
    """The form row's cells with findings: {0: {column: findings}}."""
    marks = {at: by_path[path] for at, path in _FORM_FIELD_AT if path in by_path}
    return {0: marks} if marks else {}


def _indicator_marks(by_path: dict[str, list[dict[str, Any]]]) -> dict[int, dict[int, list[dict[str, Any]]]]:
    """The indicator rows' cells with findings: {row: {column: findings}}."""
    marks: dict[int, dict[int, list[dict[str, Any]]]] = {}
    for path, findings in by_path.items():
        match = _INDICATOR_PATH.fullmatch(path)
        if match and match.group(2) in INDICATOR_FIELDS:
            column = _INDICATOR_FIRST + INDICATOR_FIELDS.index(match.group(2))
            marks.setdefault(int(match.group(1)), {})[column] = findings
    return marks


def _add_marked(sheet: RowFormat, marks: dict[int, dict[int, list[dict[str, Any]]]], rows: list[list[Any]],
                kind: int, shapes: list[tuple[type, ...]], out: list[str], comments: list[tuple[int, int, str]]) -> None:
    """Rows of one sheet, the cells in ``marks`` filled (red for an error, amber for a warning) and
    commented with their findings."""
    for r, (row, shape) in enumerate(zip(rows, shapes)):
        if r not in marks:
            out.append(sheet.text(row, kind, shape))
            continue
        styles = {at: _mark(findings) for at, findings in marks[r].items() if findings}
        comments.extend((len(out), col, comment) for col, (_, comment) in styles.items())
        out.append(sheet.styled(row, styles, kind, shape))


def _sheet(book: StreamBook, title: str, columns: tuple[Column, ...]) -> StreamSheet:
    """A sheet headed by the columns' labels in bold, each with its field path as a comment."""
    sheet = book.sheet(title, [c.width for c in columns])
    sheet.append([Styled(c.label, "bold", c.path) for c in columns])
    return sheet


def _mark(findings: list[dict[str, Any]]) -> tuple[str, str]:
    """The style and comment of a cell whose field has these findings."""
    worst = "error" if any(f.get("severity") == "error" for f in findings) else "warning"
    return worst, "\n".join(f"[{f.get('severity')}] {f.get('code')}: {f.get('message')}" for f in findings)


class WorkbookWriter:
    """Add each document's :class:`WorkbookPart` (:func:`render`, done where the document was
    extracted) in input order, then :meth:`close` to save."""

    kind = "xlsx"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.book = StreamBook()
        self.forms = _sheet(self.book, SHEETS["forms"], FORM_COLUMNS)
        self.indicators = _sheet(self.book, SHEETS["indicators"], INDICATOR_COLUMNS)
        self.findings = _sheet(self.book, SHEETS["findings"], FINDING_COLUMNS)
        self.count = 0

    def add(self, part: WorkbookPart | tuple[Any, ...]) -> None:
        """A :class:`WorkbookPart`, or its fields in a plain tuple (as a batch's workers send it)."""
        forms, form_comments, indicators, indicator_comments, findings, count = part
        self.forms.add(forms, form_comments)
        self.indicators.add(indicators, indicator_comments)
        self.findings.add(findings)
        self.count += count

    def close(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.book.save(self.path)
        return self.count


def write_workbook(forms: Iterable[FormRows], path: Path, on_form: Callable[[int], None] | None = None) -> int:
    """Write the workbook of the given forms' rows; returns the number of forms written."""
    writer = WorkbookWriter(path)
    for rows in forms:
        writer.add(render([rows]))
        if on_form is not None:
            on_form(writer.count)
    return writer.close()
