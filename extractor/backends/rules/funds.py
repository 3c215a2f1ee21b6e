"""The fund tables: 自评表's six-column table and 申报表's two-column amounts."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Sequence

from extractor.backends.rules.header import Labels, labels_of
from extractor.backends.rules.provenance import Provenance
from extractor.layout import Cell, Line
from extractor.normalize import is_placeholder, parse_number
from extractor.spec import UNSEEN, FormSpec, known_roles, match_role

DEFAULT_COLUMNS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
_DASHED = ("weight", "score")
_ROW_LABEL_MAX = 20
_UNIT_LABEL = re.compile(r"[(（]\s*万?元\s*[)）]")   # 年度预算数(万元) labels the block, it is not a column   # a fund row label is short; a goal sentence that mentions 财政资金 is not one


def fund_columns(lines: Sequence[Line], spec: FormSpec) -> tuple[str, ...]:
    """Column order from the head row (年初预算数 … 得分, or 全年预算数（A）… 预算执行率 …), by the
    spec's header labels; the usual order when OCR lost the head or left less than three of it."""
    known = known_roles(spec.fund_columns).get
    for line in lines:
        columns = []
        for cell in line.cells:
            k = cell.key
            field = known(k, UNSEEN)
            if field is UNSEEN:
                field = spec.fund_column(k)
            if field and field not in columns and ("元" not in k or not _UNIT_LABEL.search(k)):   # the unit label names 元
                columns.append(field)
        if len(columns) >= 3 and {"annual_budget", "executed"} <= set(columns) or len(columns) >= 4:
            return tuple(columns)
    return DEFAULT_COLUMNS


def read_self_evaluation_funds(lines: Sequence[Line], prov: Provenance, spec: FormSpec) -> dict[str, dict[str, Decimal | None]]:
    """Each fund row (年度资金总额, 当年财政拨款 …): the values right of its label, by column."""
    columns = fund_columns(lines, spec)
    known = known_roles(spec.fund_rows).get
    funds: dict[str, dict[str, Decimal | None]] = {}
    for line in lines:
        cells = line.cells
        for i, cell in enumerate(cells):
            k = cell.key
            if len(k) > _ROW_LABEL_MAX:
                continue
            row = known(k, UNSEEN)
            if row is UNSEEN:
                row = spec.fund_row(k)
            if row and row not in funds and (values := _values(cells[i + 1:])):
                funds[row] = _fund_row(row, values, columns, prov)
                break
        if len(funds) == len(spec.fund_rows):     # every row found: the lines below add none
            break
    return funds


def _amount(cell: Cell) -> Decimal | None:
    """A fund cell's number; a rate may carry its percent sign (``100.00%``)."""
    text = cell.text.strip()
    return parse_number(text[:-1] if text.endswith(("%", "％")) else text)


def _values(cells: Sequence[Cell]) -> list[tuple[Cell, Decimal | None]]:
    """The value cells among ``cells`` (a number, or a placeholder such as ``-``), with their numbers."""
    values = []
    for cell in cells:
        number = _amount(cell)
        if number is not None or is_placeholder(cell.text):
            values.append((cell, number))
    return values


def _fund_row(row: str, values: list[tuple[Cell, Decimal | None]], columns: tuple[str, ...],
              prov: Provenance) -> dict[str, Decimal | None]:
    """A row's values (:func:`_values`) by column. A row that prints the usual six values under a
    damaged head reads by the usual columns; a row that leaves 分数/得分 out (not the total's) by the
    others."""
    if len(values) != len(columns) and len(values) == len(DEFAULT_COLUMNS) and len(columns) != len(DEFAULT_COLUMNS):
        columns = DEFAULT_COLUMNS   # a damaged head: the row prints the usual six cells
    if len(values) != len(columns):
        numbers = [value for value in values if value[1] is not None]    # a number is never a placeholder
        if row != "total" and len(numbers) == len(columns) - len(_DASHED):
            columns = tuple(c for c in columns if c not in _DASHED)
            values = numbers
    result: dict[str, Decimal | None] = {}
    for column, (cell, number) in zip(columns, values):
        result[column] = number
        if number is not None:
            prov.add(f"funds.{row}.{column}", cell)
    return result


OTHER_FUNDS = "其他资金"


def read_declaration_funds(lines: Sequence[Line], prov: Provenance, spec: FormSpec,
                           labels: Labels | None = None) -> dict[str, Decimal | None]:
    """Amounts beside their labels; 其他资金 is left (project) or right (annual) by column. ``labels``:
    :func:`~extractor.backends.rules.header.labels_of` the lines, when the caller has them."""
    labels = labels_of(lines) if labels is None else labels
    known = known_roles(spec.fund_amounts).get
    every = len({*spec.fund_amounts, "other", "project_other"})    # 其他资金 read as either
    funds: dict[str, Decimal | None] = {}
    right_col: int | None = None
    for line, line_labels in zip(lines, labels):
        for i, cell in enumerate(line.cells):
            k = cell.key
            field = known(k, UNSEEN) if len(k) <= _ROW_LABEL_MAX else None
            if field is UNSEEN:
                field = match_role(spec.fund_amounts, k)
            field = None if field == "other" else field
            if field in ("annual_total", "current_year_appropriation"):
                right_col = cell.col if right_col is None else min(right_col, cell.col)
            if field is None and line_labels[i].endswith(OTHER_FUNDS):
                others = [c for c, k in zip(line.cells, line_labels) if k.endswith(OTHER_FUNDS)]
                right = cell is others[-1] if len(others) > 1 else right_col is not None and cell.col >= right_col
                field = "other" if right else "project_other"
            if field is None or field in funds:
                continue
            value = line.cells[i + 1] if i + 1 < len(line.cells) else None
            number = parse_number(value.text) if value is not None else None
            funds[field] = number
            if number is not None and value is not None:
                prov.add(f"funds.{field}", value)
        if len(funds) == every:     # every amount found: the lines below add none
            break
    return funds
