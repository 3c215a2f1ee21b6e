"""Label → value cells above the indicator table: names, departments, dates, year, unit, goals."""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from extractor.layout import Cell, Line
from extractor.backends.rules.provenance import Provenance

HEADER_LABELS = {
    "项目名称": "project_name",
    "主管部门": "competent_department",
    "实施单位": "implementing_unit",
    "项目性质": "project_nature",
    "项目类别": "project_category",
    "计划开始日期": "plan_start",
    "计划完成日期": "plan_end",
}
_ANY_LABEL = set(HEADER_LABELS) | {"项目资金", "项目资金总额", "年度资金申请总额", "项目绩效目标", "年度总体目标"}
_YEAR_PAREN = re.compile(r"[(（]\s*(\d{4})\s*年\s*度?\s*[)）]")
_YEAR_ANY = re.compile(r"(\d{4})\s*年\s*度")
_UNIT = re.compile(r"项目资金[^()（）]*[(（]\s*(万元|元)\s*[)）]")


def label_of(cell: Cell) -> str:
    return cell.key.rstrip(":：")


def is_label(cell: Cell) -> bool:
    k = label_of(cell)
    return k in _ANY_LABEL or k.startswith("项目资金")


def read_labelled_values(lines: Sequence[Line], prov: Provenance) -> dict[str, str | None]:
    """For every header label, the next non-label cell on its row; when its row has none, a lone
    cell on the line below (OCR pushed the value down); None when there is neither."""
    found: dict[str, str | None] = {}
    for n, line in enumerate(lines):
        cells = line.cells
        for i, cell in enumerate(cells):
            field = HEADER_LABELS.get(label_of(cell))
            if field is None or field in found:
                continue
            value = cells[i + 1] if i + 1 < len(cells) and not is_label(cells[i + 1]) else None
            if value is None and i == 0 and n + 1 < len(lines):
                value = _pushed_down(lines[n + 1])
            found[field] = value.text if value else None
            if value:
                prov.add(field, value)
    return found


def _pushed_down(line: Line) -> Cell | None:
    """The value of a label row printed on the next line: that line's only cell, not a label."""
    texts = [c for c in line.cells if c.text]
    if len(texts) == 1 and not is_label(texts[0]) and not any(label_of(texts[0]) == k for k in HEADER_LABELS):
        return texts[0]
    return None


def read_year(lines: Sequence[Line], prov: Provenance) -> int | None:
    """The form's year: ``(2024年度)`` first, then any ``NNNN年度`` in the header lines."""
    for pattern in (_YEAR_PAREN, _YEAR_ANY):
        for line in lines:
            for cell in line.cells:
                match = pattern.search(cell.key)
                if match:
                    prov.add("year", cell)
                    return int(match.group(1))
    return None


def read_funds_unit(lines: Iterable[Line], prov: Provenance) -> str | None:
    for line in lines:
        for cell in line.cells:
            match = _UNIT.search(cell.key)
            if match:
                prov.add("funds_unit", cell)
                return match.group(1)
    return None


def read_goals(lines: Sequence[Line], heads: dict[str, str], prov: Provenance) -> dict[str, str | None]:
    """Goal texts under their column heads (e.g. 预期目标 / 实际完成情况).

    ``heads`` maps a head label to the output field. Each text cell below the head row is
    given to the head whose column is nearest; a text wrapped over several lines is joined.
    """
    head_cols: dict[str, int] = {}
    start = None
    for i, line in enumerate(lines):
        cols = {heads[label_of(c)]: c.col for c in line.cells if label_of(c) in heads}
        if cols:
            head_cols, start = cols, i
            break
    result: dict[str, str | None] = {field: None for field in heads.values()}
    if start is None:
        return result
    parts: dict[str, list[Cell]] = {field: [] for field in heads.values()}
    by_order = sorted(head_cols, key=head_cols.get)  # type: ignore[arg-type]
    for line in lines[start + 1:]:
        texts = [c for c in line.cells if not _is_goal_row_label(c)]
        if not texts:
            continue
        if len(texts) == len(by_order):
            pairs = zip(by_order, texts)
        else:
            # nearest head; a tie goes right, since OCR drops leading empty cells more often than it adds them
            pairs = ((min(by_order, key=lambda f: (abs(head_cols[f] - c.col), -head_cols[f])), c) for c in texts)
        for field, cell in pairs:
            parts[field].append(cell)
    for field, cells in parts.items():
        if cells:
            result[field] = "".join(c.text for c in cells)
            for c in cells:
                prov.add(field, c)
    return result


def _is_goal_row_label(cell: Cell) -> bool:
    k = label_of(cell)
    return k in {"年度总体目标", "项目绩效目标", "总体目标", "绩效目标"}
