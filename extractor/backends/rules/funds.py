"""The fund tables: 自评表's six-column table and 申报表's two-column amounts."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Sequence

from extractor.backends.rules.header import label_of
from extractor.backends.rules.provenance import Provenance
from extractor.layout import Cell, Line
from extractor.normalize import is_placeholder, parse_number
from extractor.spec import FormSpec, match_role

DEFAULT_COLUMNS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
_DASHED = ("weight", "score")
_ROW_LABEL_MAX = 20
_UNIT_LABEL = re.compile(r"[(（]\s*万?元\s*[)）]")   # 年度预算数(万元) labels the block, it is not a column   # a fund row label is short; a goal sentence that mentions 财政资金 is not one


def fund_columns(lines: Sequence[Line], spec: FormSpec) -> tuple[str, ...]:
    """Column order from the head row (年初预算数 … 得分, or 全年预算数（A）… 预算执行率 …), by the
    spec's header labels; the usual order when OCR lost the head or left less than three of it."""
    for line in lines:
        columns = []
        for cell in line.cells:
            field = None if _UNIT_LABEL.search(cell.key) else spec.fund_column(cell.key)
            if field and field not in columns:
                columns.append(field)
        if len(columns) >= 3 and {"annual_budget", "executed"} <= set(columns) or len(columns) >= 4:
            return tuple(columns)
    return DEFAULT_COLUMNS


def _row_of(cell: Cell, spec: FormSpec) -> str | None:
    return spec.fund_row(cell.key) if len(cell.key) <= _ROW_LABEL_MAX else None


def read_self_evaluation_funds(lines: Sequence[Line], prov: Provenance, spec: FormSpec) -> dict[str, dict[str, Decimal | None]]:
    columns = fund_columns(lines, spec)
    funds: dict[str, dict[str, Decimal | None]] = {}
    for line in lines:
        for i, cell in enumerate(line.cells):
            row = _row_of(cell, spec)
            if row and row not in funds and any(_is_value(c) for c in line.cells[i + 1:]):
                funds[row] = _fund_row(row, line.cells[i + 1:], columns, prov)
                break
    return funds


def _amount(cell: Cell) -> Decimal | None:
    """A fund cell's number; a rate may carry its percent sign (``100.00%``)."""
    text = cell.text.strip()
    return parse_number(text[:-1] if text.endswith(("%", "％")) else text)


def _is_value(cell: Cell) -> bool:
    return _amount(cell) is not None or is_placeholder(cell.text)


def _fund_row(row: str, cells: Sequence[Cell], columns: tuple[str, ...], prov: Provenance) -> dict[str, Decimal | None]:
    values = [c for c in cells if _is_value(c)]
    if len(values) != len(columns) and len(values) == len(DEFAULT_COLUMNS) and len(columns) != len(DEFAULT_COLUMNS):
        columns = DEFAULT_COLUMNS   # a damaged head: the row prints the usual six cells
    if len(values) != len(columns):
        numbers = [c for c in values if not is_placeholder(c.text)]
        if row != "total" and len(numbers) == len(columns) - len(_DASHED):
            columns = tuple(c for c in columns if c not in _DASHED)
            values = numbers
    result: dict[str, Decimal | None] = {}
    for column, cell in zip(columns, values):
        number = _amount(cell)
        result[column] = number
        if number is not None:
            prov.add(f"funds.{row}.{column}", cell)
    return result


OTHER_FUNDS = "其他资金"


def read_declaration_funds(lines: Sequence[Line], prov: Provenance, spec: FormSpec) -> dict[str, Decimal | None]:
    """Amounts beside their labels; 其他资金 is left (project) or right (annual) by column."""
    funds: dict[str, Decimal | None] = {}
    right_col: int | None = None
    for line in lines:
        for i, cell in enumerate(line.cells):
            field = match_role(spec.fund_amounts, cell.key) if len(cell.key) <= _ROW_LABEL_MAX else None
            field = None if field == "other" else field
            if field in ("annual_total", "current_year_appropriation"):
                right_col = cell.col if right_col is None else min(right_col, cell.col)
            if field is None and label_of(cell).endswith(OTHER_FUNDS):
                others = [c for c in line.cells if label_of(c).endswith(OTHER_FUNDS)]
                right = cell is others[-1] if len(others) > 1 else right_col is not None and cell.col >= right_col
                field = "other" if right else "project_other"
            if field is None or field in funds:
                continue
            value = line.cells[i + 1] if i + 1 < len(line.cells) else None
            number = parse_number(value.text) if value is not None else None
            funds[field] = number
            if number is not None and value is not None:
                prov.add(f"funds.{field}", value)
    return funds
