"""Assemble one form of each type from its block of lines."""

from __future__ import annotations

from typing import Sequence

from extractor.backends.rules.funds import read_declaration_funds, read_self_evaluation_funds
from extractor.backends.rules.header import (
    normalise_date,
    read_funds_unit,
    read_goals,
    read_labelled_values,
    read_year,
)
from extractor.backends.rules.indicators import (
    RowDraft,
    read_declaration_rows,
    read_self_evaluation_rows,
    resolve_levels,
)
from extractor.backends.rules.provenance import Provenance
from extractor.framework import is_section_label, resolve_label
from extractor.layout import Cell, Line
from extractor.normalize import parse_number
from schemas import (
    DeclarationFunds,
    DeclarationIndicator,
    FundRow,
    SelfEvaluationForm,
    SelfEvaluationFunds,
    SelfEvaluationIndicator,
    TargetDeclarationForm,
)

GRADES = ("优", "良", "中", "差")


def is_table_head(line: Line) -> bool:
    keys = "".join(line.keys)
    return "三级指标" in keys or ("一级指标" in keys and "二级指标" in keys)


def is_total_row(line: Line) -> bool:
    return bool(line.cells) and line.cells[0].key.startswith("总分")


def is_grade_row(line: Line) -> bool:
    return bool(line.cells) and line.cells[0].key.startswith("评分等级")


def split_at_table(lines: Sequence[Line]) -> tuple[Sequence[Line], Sequence[Line]]:
    """Lines above the indicator table, and the table's rows (its head row dropped).

    Without a head row (lost by OCR) the table starts at the first row led by a level-1 label.
    """
    for i, line in enumerate(lines):
        if is_table_head(line):
            return lines[:i], lines[i + 1:]
    for i, line in enumerate(lines):
        cells = [c for c in line.cells if not is_section_label(c.text)]
        if cells and (label := resolve_label(cells[0].text)) and label.level == 1 and label.complete:
            return lines[:i], lines[i:]
    return lines, ()


def _joined(cells: list[Cell]) -> str | None:
    return "".join(c.text for c in cells) or None


def parse_self_evaluation(lines: Sequence[Line]) -> tuple[SelfEvaluationForm, Provenance]:
    prov = Provenance()
    head, table = split_at_table(lines)
    labelled = read_labelled_values(head, prov)
    goals = read_goals(head, {"预期目标": "goal_expected", "实际完成情况": "goal_actual"}, prov)
    funds = read_self_evaluation_funds(head, prov)
    rows, tail = _split_self_evaluation_tail(table, funds)
    drafts = read_self_evaluation_rows(rows)
    resolve_levels(drafts)
    total_weight, total_score, grade = _read_tail(tail, prov)
    form = SelfEvaluationForm(
        year=read_year(head, prov),
        project_name=labelled.get("project_name"),
        competent_department=labelled.get("competent_department"),
        implementing_unit=labelled.get("implementing_unit"),
        funds_unit=read_funds_unit(head, prov),
        funds=SelfEvaluationFunds(**{row: FundRow(**values) for row, values in funds.items()}),
        goal_expected=goals["goal_expected"],
        goal_actual=goals["goal_actual"],
        indicators=[_self_evaluation_indicator(i, d, prov) for i, d in enumerate(drafts)],
        total_weight=total_weight,
        total_score=total_score,
        grade=grade,
    )
    return form, prov


def _split_self_evaluation_tail(table: Sequence[Line], funds: dict) -> tuple[Sequence[Line], Sequence[Line]]:
    """Indicator rows, then the 总分 / 评分等级 lines (a 总分 row may have lost its label)."""
    for i, line in enumerate(table):
        if is_total_row(line) or is_grade_row(line) or _is_unlabelled_total(line, table[:i], funds):
            return table[:i], table[i:]
    return table, ()


def _is_unlabelled_total(line: Line, above: Sequence[Line], funds: dict) -> bool:
    """Two bare numbers after the rows: 分值 sum and 得分 sum (the 总分 label was lost)."""
    if len(line.cells) != 2 or not all(parse_number(c.text) is not None for c in line.cells):
        return False
    weights = sum((parse_number(l.cells[-2].text) or 0) for l in above if len(l.cells) >= 4 and parse_number(l.cells[-2].text) is not None)
    total_weight = parse_number(line.cells[0].text)
    fund_weight = (funds.get("total") or {}).get("weight") or 0
    return total_weight is not None and (total_weight == 100 or abs(total_weight - weights - fund_weight) < 1)


def _read_tail(tail: Sequence[Line], prov: Provenance):
    total_weight = total_score = grade = None
    for line in tail:
        numbers = [c for c in line.cells if parse_number(c.text) is not None]
        if is_grade_row(line):
            rest = [c for c in line.cells[1:]]
            if rest and len(rest[0].key) <= 2:
                grade = rest[0].text
                prov.add("grade", rest[0])
        elif total_weight is None and len(numbers) >= 2:
            total_weight, total_score = parse_number(numbers[-2].text), parse_number(numbers[-1].text)
            prov.add("total_weight", numbers[-2])
            prov.add("total_score", numbers[-1])
        elif total_weight is None and len(numbers) == 1 and is_total_row(line):
            total_score = parse_number(numbers[0].text)
            prov.add("total_score", numbers[0])
    return total_weight, total_score, grade


def _self_evaluation_indicator(index: int, draft: RowDraft, prov: Provenance) -> SelfEvaluationIndicator:
    _record(prov, index, draft)
    return SelfEvaluationIndicator(
        level1=draft.level1,
        level2=draft.level2,
        name=_joined(draft.name),
        target=_joined(draft.target),
        actual=_joined(draft.actual),
        weight=parse_number(draft.weight.text) if draft.weight else None,
        score=parse_number(draft.score.text) if draft.score else None,
        deviation_note=_joined(draft.note),
    )


def _record(prov: Provenance, index: int, draft: RowDraft) -> None:
    base = f"indicators[{index}]"
    for field, cells in draft.text_fields().items():
        prov.extend(f"{base}.{field}", cells)
    for field, cell in (("weight", draft.weight), ("score", draft.score)):
        if cell is not None:
            prov.add(f"{base}.{field}", cell)
    if draft.label_cells:
        prov.extend(f"{base}.labels", draft.label_cells)


def parse_target_declaration(lines: Sequence[Line]) -> tuple[TargetDeclarationForm, Provenance]:
    prov = Provenance()
    head, table = split_at_table(lines)
    labelled = read_labelled_values(head, prov)
    goals = read_goals(head, {"项目总目标": "goal_overall", "年度总体目标": "goal_annual"}, prov)
    drafts = read_declaration_rows(table)
    resolve_levels(drafts)
    for index, draft in enumerate(drafts):
        _record(prov, index, draft)
    form = TargetDeclarationForm(
        year=read_year(head, prov),
        project_name=labelled.get("project_name"),
        project_nature=labelled.get("project_nature"),
        project_category=labelled.get("project_category"),
        competent_department=labelled.get("competent_department"),
        implementing_unit=labelled.get("implementing_unit"),
        plan_start=normalise_date(labelled.get("plan_start")),
        plan_end=normalise_date(labelled.get("plan_end")),
        funds_unit=read_funds_unit(head, prov),
        funds=DeclarationFunds(**read_declaration_funds(head, prov)),
        goal_overall=goals["goal_overall"],
        goal_annual=goals["goal_annual"],
        indicators=[
            DeclarationIndicator(level1=d.level1, level2=d.level2, name=_joined(d.name), target=_joined(d.target))
            for d in drafts
        ],
    )
    return form, prov
