"""Assemble one form of each type from its block of lines."""

from __future__ import annotations

from typing import Sequence

from extractor.backends.rules.funds import read_declaration_funds, read_self_evaluation_funds
from extractor.backends.rules.header import (
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
from extractor.layout import Cell, Line
from extractor.regions import FormRegions, form_regions, is_grade_row, is_total_row, split_at_table
from extractor.normalize import normalise_date, parse_number
from schemas import (
    DeclarationFunds,
    DeclarationIndicator,
    FundRow,
    SelfEvaluationForm,
    SelfEvaluationFunds,
    SelfEvaluationIndicator,
    TargetDeclarationForm,
)

def _joined(cells: list[Cell]) -> str | None:
    return "".join(c.text for c in cells) or None


def parse_self_evaluation(lines: Sequence[Line]) -> tuple[SelfEvaluationForm, Provenance, FormRegions]:
    """The form, the cells each value came from, and the regions the form was read in."""
    prov = Provenance()
    head, table = split_at_table(lines)
    labelled = read_labelled_values(head, prov)
    goals = read_goals(head, {"预期目标": "goal_expected", "实际完成情况": "goal_actual"}, prov)
    funds = read_self_evaluation_funds(head, prov)
    regions = form_regions(lines, True, (funds.get("total") or {}).get("weight"), at_table=(head, table))
    drafts = read_self_evaluation_rows(regions.table)
    resolve_levels(drafts)
    total_weight, total_score, grade = _read_tail(regions.tail, prov)
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
    return form, prov, regions


def _read_tail(tail: Sequence[Line], prov: Provenance):
    total_weight = total_score = grade = None
    for line in tail:
        numbers = [c for c in line.cells if parse_number(c.text) is not None]
        if is_grade_row(line):
            rest = line.cells[1:]
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


def parse_target_declaration(lines: Sequence[Line]) -> tuple[TargetDeclarationForm, Provenance, FormRegions]:
    """The form, the cells each value came from, and the regions the form was read in."""
    prov = Provenance()
    regions = form_regions(lines, False)
    head, table = regions.head, regions.table
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
    return form, prov, regions
