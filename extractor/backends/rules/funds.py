"""The fund tables: 自评表's six-column table and 申报表's two-column amounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from extractor.backends.rules.header import label_of
from extractor.backends.rules.provenance import Provenance
from extractor.layout import Cell, Line
from extractor.normalize import is_placeholder, parse_number

SELF_EVALUATION_ROWS = (
    ("年度资金总额", "total"),
    ("当年财政拨款", "current_year_appropriation"),
    ("上年结转", "prior_year_carryover"),
    ("其他资金", "other"),
)
COLUMN_HEADS = (
    ("年初预算", "initial_budget"),
    ("全年预算", "annual_budget"),
    ("执行数", "executed"),
    ("执行率", "execution_rate"),
    ("分数", "weight"),
    ("分值", "weight"),
    ("得分", "score"),
)
DEFAULT_COLUMNS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
_DASHED = ("weight", "score")


def fund_columns(lines: Sequence[Line]) -> tuple[str, ...]:
    """Column order from the head row (年初预算数 … 得分); the usual order if OCR lost it."""
    for line in lines:
        columns = []
        for cell in line.cells:
            field = next((f for head, f in COLUMN_HEADS if head in cell.key), None)
            if field and field not in columns:
                columns.append(field)
        if len(columns) >= 4:
            return tuple(columns) if len(columns) == 6 else DEFAULT_COLUMNS
    return DEFAULT_COLUMNS


def read_self_evaluation_funds(lines: Sequence[Line], prov: Provenance) -> dict[str, dict[str, Decimal | None]]:
    columns = fund_columns(lines)
    funds: dict[str, dict[str, Decimal | None]] = {}
    for line in lines:
        for i, cell in enumerate(line.cells):
            row = next((r for label, r in SELF_EVALUATION_ROWS if label in cell.key), None)
            if row and row not in funds:
                funds[row] = _fund_row(row, line.cells[i + 1:], columns, prov)
                break
    return funds


def _fund_row(row: str, cells: Sequence[Cell], columns: tuple[str, ...], prov: Provenance) -> dict[str, Decimal | None]:
    values = [c for c in cells if parse_number(c.text) is not None or is_placeholder(c.text)]
    if len(values) != len(columns):
        numbers = [c for c in values if not is_placeholder(c.text)]
        if row != "total" and len(numbers) == len(columns) - len(_DASHED):
            columns = tuple(c for c in columns if c not in _DASHED)
            values = numbers
    result: dict[str, Decimal | None] = {}
    for column, cell in zip(columns, values):
        number = parse_number(cell.text)
        result[column] = number
        if number is not None:
            prov.add(f"funds.{row}.{column}", cell)
    return result


DECLARATION_LABELS = (
    ("项目资金总额", "project_total"),
    ("财政资金", "project_fiscal"),
    ("年度资金申请总额", "annual_total"),
    ("当年财政拨款", "current_year_appropriation"),
    ("上年结转", "prior_year_carryover"),
)
OTHER_FUNDS = "其他资金"


def read_declaration_funds(lines: Sequence[Line], prov: Provenance) -> dict[str, Decimal | None]:
    """Amounts beside their labels; 其他资金 is left (project) or right (annual) by column."""
    funds: dict[str, Decimal | None] = {}
    right_col: int | None = None
    for line in lines:
        for i, cell in enumerate(line.cells):
            field = next((f for label, f in DECLARATION_LABELS if label in cell.key), None)
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
