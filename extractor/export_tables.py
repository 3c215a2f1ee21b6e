"""The tables a batch is exported as (workbook sheets, CSV files): their columns and rows.

Three tables, one row per form, per indicator row, per finding. Every column has the form's own
printed label (:mod:`extractor.labels`) and the hand-off field path it holds; values are written
as printed (numbers as numbers), nothing is recomputed. Rows come one document at a time, so an
export of any size holds one document in memory.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from importlib import import_module
from itertools import chain
from operator import itemgetter
from typing import Any, Callable, Iterator, Sequence

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


class FormRows:
    """One form's rows in the three tables, with the findings of each marked cell (by field path);
    for the renderers, made once and shared by every export: each row's shape (the type of each of
    its values), and the strings of its form row and of its other rows, each also joined by a space
    and whether that is printable (to check, once, what needs care: the form row holds the long
    texts, which often do)."""

    __slots__ = ("form", "indicators", "findings", "by_path", "shapes", "form_strings", "row_strings", "form_text",
                 "row_text", "form_printable", "row_printable")

    def __init__(self, form: list[Any], indicators: list[list[Any]], findings: list[list[Any]],
                 by_path: dict[str, list[dict[str, Any]]], lead: int = 0,
                 form_shape: tuple[type, ...] | None = None) -> None:
        """``lead``: how many values every indicator and finding row begins with alike (the form's
        source, index and name): their strings are taken once; ``form_shape``: the form row's, where
        the caller has it."""
        self.form, self.indicators, self.findings, self.by_path = form, indicators, findings, by_path
        form_shape, rows = form_shape or tuple(map(type, form)), (*indicators, *findings)
        row_shapes = [tuple(map(type, row)) for row in rows]
        self.shapes = (form_shape, row_shapes[:len(indicators)], row_shapes[len(indicators):])
        self.form_strings = list(_strings_at(form_shape, 0)(form))
        self.row_strings = list(_strings_at(row_shapes[0][:lead], 0)(rows[0])) if rows else []
        self.row_strings += chain.from_iterable([_strings_at(shape, lead)(row) for row, shape in zip(rows, row_shapes)])
        self.form_text, self.row_text = " ".join(self.form_strings), " ".join(self.row_strings)
        self.form_printable, self.row_printable = self.form_text.isprintable(), self.row_text.isprintable()


_PICKERS: dict[tuple[tuple[type, ...], int], Callable[[Sequence[Any]], tuple[Any, ...]]] = {}


def _strings_at(shape: tuple[type, ...], start: int) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A function that picks the strings of a row of this shape, from ``start`` on (made once per
    shape: the row is not looked at value by value)."""
    picker = _PICKERS.get((shape, start))
    if picker is None:
        at = [i for i, kind in enumerate(shape) if kind is str and i >= start]
        picker = itemgetter(*at) if len(at) > 1 else itemgetter(slice(at[0], at[0] + 1)) if at else _nothing
        if len(_PICKERS) < 4096:
            _PICKERS[(shape, start)] = picker
    return picker


def _nothing(row: Sequence[Any]) -> tuple[Any, ...]:
    return ()


def _reader(columns: tuple[Column, ...]) -> Callable[[dict[str, Any]], list[Any]]:
    """A function that reads the columns' paths from a form into a list, as :func:`get_path` reads
    each, but containers too (the caller sets them to None): made once, from the paths only (the
    source holds no value of any form), each dict on the way read once, every value by one
    ``.get`` (a walk step by step cost 3x as much)."""
    lines, names = ["def read(f):"], {(): "f"}
    for column in columns:
        *where, _ = column.path.split(".")
        for depth in range(1, len(where) + 1):
            if tuple(where[:depth]) not in names:
                name = names[tuple(where[:depth])] = f"d{len(names)}"
                lines.append(f"    {name} = {names[tuple(where[:depth - 1])]}.get({where[depth - 1]!r})")
                lines.append(f"    {name} = {name} if type({name}) is dict else E")
    values = ", ".join(f"{names[tuple(c.path.split('.')[:-1])]}.get({c.path.split('.')[-1]!r})" for c in columns)
    lines.append(f"    return [{values}]")
    namespace: dict[str, Any] = {"E": {}}
    exec("\n".join(lines), namespace)     # noqa: S102 (column paths only)
    return namespace["read"]


_read_form = _reader(FORM_COLUMNS[len(META_COLUMNS):])


def _scalars(row: list[Any], shape: tuple[type, ...]) -> tuple[type, ...]:
    """The row's shape, its dicts and lists set to None first where it has any (a self-evaluation's
    fund rows, read by the declaration's columns)."""
    if dict not in shape and list not in shape:
        return shape
    for at, kind in enumerate(shape):
        if kind is dict or kind is list:
            row[at] = None
    return tuple(map(type, row))


def form_rows(source: str, index: int, form: dict[str, Any]) -> FormRows:
    """One form's rows: one walk of the form, shared by every export."""
    validation = form.get("validation") or {}
    findings = validation.get("findings") or []
    form_type = form.get("form_type")
    form_row = [source, index, FORM_TITLES.get(form_type, form_type), validation.get("status"), len(findings),
                *_read_form(form)]
    form_shape = _scalars(form_row, tuple(map(type, form_row)))
    name = form.get("project_name")
    indicators = form.get("indicators") or []
    indicator_rows = [[source, index, name, r, *map(row.get, INDICATOR_FIELDS)] for r, row in enumerate(indicators, 1)]
    if not findings:
        return FormRows(form_row, indicator_rows, [], {}, lead=3, form_shape=form_shape)
    finding_rows = []
    for f in findings:
        path = f.get("path") or ""
        row_name = _row_name(indicators, path)
        finding_rows.append([source, index, name, label_of(path, row_name) if path else "", path, f.get("severity"),
                             f.get("code"), f.get("message"), _cell_text(f.get("expected")), _cell_text(f.get("found"))])
    return FormRows(form_row, indicator_rows, finding_rows, findings_by_path(form), lead=3, form_shape=form_shape)


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


RENDERERS = {"xlsx": "extractor.export_xlsx", "csv": "extractor.export_csv"}   # each module's render(forms)


def render_exports(document: dict[str, Any], kinds: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """One document's part of each export asked for (``kinds``: keys of :data:`RENDERERS`), from
    one walk of its forms. Runs where the document was extracted (a worker): what comes back is
    text (UTF-8) in plain tuples (each part's fields in order; a named tuple costs more to pass
    between processes), cheap to pass; the writers only number and write it, in input order.

    The cycle collector is paused meanwhile: the rows make no cycle (they are freed by their counts
    once rendered), but their many lists set off collections that walked the worker's whole young
    generation (measured: ~8% of the rendering's instructions)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        forms = list(document_rows(iter([document])))
        return {kind: tuple(import_module(RENDERERS[kind]).render(forms)) for kind in kinds}
    finally:
        if paused:
            gc.enable()
