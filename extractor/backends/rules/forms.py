"""Assemble one form of each type from its block of lines."""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from extractor.backends.rules.funds import read_declaration_funds, read_self_evaluation_funds
from extractor.backends.rules.header import (
    labels_of,
    read_funds_unit,
    read_goals,
    read_labelled_values,
    read_year,
)
from extractor.columns import ColumnMap, read_column_map
from extractor.backends.rules.indicators import (
    RowDraft,
    read_declaration_rows,
    read_rows_by_role,
    read_self_evaluation_rows,
    resolve_levels,
)
from extractor.backends.rules.provenance import Provenance
from extractor.layout import Cell, Line
from extractor.regions import FormRegions, form_regions, is_grade_row, is_total_row, split_at_head
from extractor.segment import FormBlock
from extractor.spec import FormSpec, load_spec
from extractor.normalize import normalise_date, parse_number
from schemas import SelfEvaluationForm, TargetDeclarationForm

def _joined(cells: list[Cell]) -> str | None:
    """The cells' texts run together (None for none): one cell is its text."""
    if len(cells) == 1:
        return cells[0].text or None
    return "".join([c.text for c in cells]) or None


def read_table(block: FormBlock, rows: Sequence[Line], spec: FormSpec, prov: Provenance,
               fallback: ColumnMap | None = None) -> tuple[list[RowDraft], ColumnMap | None]:
    """The indicator rows: by the head row's column roles where the template's columns differ from
    the standard ones, else by the content rules. Where OCR lost the head, ``fallback`` (the roles of
    the document's previous table, the same template) stands in for it."""
    columns = _table_columns(block, rows, spec)
    lost = columns is None or "name" not in columns.names     # no head row, or only its sub-head row
    if lost and fallback is not None and not fallback.is_standard(spec.form_type):
        columns = fallback
        prov.extra["columns_from"] = "a neighbouring form"
    elif lost:
        columns = None     # a sub-head alone does not say where names and scores stand: the content rules read
    if columns is not None and not columns.is_standard(spec.form_type):
        drafts = read_rows_by_role(rows[1:] if columns.sub_head and not lost else rows, columns)
        prov.extra["columns"] = list(columns.names)
    elif spec.form_type == "self_evaluation":
        drafts = read_self_evaluation_rows(rows)
    else:
        drafts = read_declaration_rows(rows)
    resolve_levels(drafts)
    extras = [{"row": i, **{role: _joined(cells) for role, cells in d.extra.items()}} for i, d in enumerate(drafts) if d.extra]
    if extras:
        prov.extra["indicators"] = extras
    return drafts, columns


def _table_columns(block: FormBlock, rows: Sequence[Line], spec: FormSpec) -> ColumnMap | None:
    """The head row's column roles, with the first table row as its possible sub-head: the block's
    own (read once) when that row is the line under the head, as it is unless the table is empty."""
    lines, at = block.lines, block.table_head
    if at is None:
        return None
    below = lines[at + 1:at + 2]
    if len(rows[:1]) == len(below) and all(a is b for a, b in zip(rows[:1], below)) and spec.form_type == block.form_type:
        return block.head_columns
    return read_column_map(lines[at], rows[:1], spec)


def parse_self_evaluation(block: FormBlock, spec: FormSpec | None = None,
                          fallback: ColumnMap | None = None) -> tuple[SelfEvaluationForm, Provenance, FormRegions]:
    """The form, the cells each value came from, and the regions the form was read in."""
    spec = spec or load_spec("self_evaluation")
    prov = Provenance()
    lines = block.lines
    head, table = split_at_head(lines, block.table_head)
    labels = labels_of(head)
    labelled = read_labelled_values(head, prov, spec, labels)
    goals = read_goals(head, spec, prov, labels)
    funds = read_self_evaluation_funds(head, prov, spec)
    regions = form_regions(lines, True, (funds.get("total") or {}).get("weight"), head_at=block.table_head,
                           at_table=(head, table))
    drafts, columns = read_table(block, regions.table, spec, prov, fallback)
    scored = columns is None or "score" in columns.names
    weights = sum((d.weight_value for d in drafts), (funds.get("total") or {}).get("weight") or 0)
    total_weight, total_score, grade = _read_tail(regions.tail, prov, scored, weights)
    # the form validated in one call, its fund rows and indicators given as their fields (the
    # provenance recorded in reading order: year, unit, then the rows)
    form = SelfEvaluationForm(
        year=read_year(head, prov),
        project_name=labelled.get("project_name"),
        competent_department=labelled.get("competent_department"),
        implementing_unit=labelled.get("implementing_unit"),
        funds_unit=read_funds_unit(head, prov),
        funds=funds,
        goal_expected=goals["goal_expected"],
        goal_actual=goals["goal_actual"],
        indicators=[_self_evaluation_indicator(i, d, prov) for i, d in enumerate(drafts)],
        total_weight=total_weight,
        total_score=total_score,
        grade=grade,
    )
    return form, prov, regions


def _read_tail(tail: Sequence[Line], prov: Provenance, scored: bool = True, weights=None):
    """总分 / 合计 (分值 and 得分) and the grade. A lone number is the 分值 total where the table has no
    得分 column, or where it is the sum of the weights (the 得分 cell left blank); else the 得分 total."""
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
        elif total_weight is None and len(numbers) == 1 and (is_total_row(line) or len(line.cells) == 1):
            lone = parse_number(numbers[0].text)
            scored = scored and not (weights and lone == weights and len(line.cells) <= 3)
            field = "total_score" if scored else "total_weight"
            if scored:
                total_score = parse_number(numbers[0].text)
            else:
                total_weight = parse_number(numbers[0].text)
            prov.add(field, numbers[0])
    return total_weight, total_score, grade


def _self_evaluation_indicator(index: int, draft: RowDraft, prov: Provenance) -> dict:
    """A row's :class:`~schemas.SelfEvaluationIndicator` fields (validated with the form), its cells recorded."""
    _record(prov, index, draft)
    return {
        "level1": draft.level1,
        "level2": draft.level2,
        "name": _joined(draft.name),
        "target": _joined(draft.target),
        "actual": _joined(draft.actual),
        "weight": parse_number(draft.weight.text) if draft.weight else None,
        "score": parse_number(draft.score.text) if draft.score else None,
        "deviation_note": _joined(draft.note),
    }


_ROW_FIELDS = ("name", "target", "actual", "deviation_note", "weight", "score", "labels")


@lru_cache(maxsize=4096)
def _row_paths(index: int) -> tuple[str, ...]:
    """The provenance paths of indicator row ``index`` (``indicators[3].name`` …), one per field of
    ``_ROW_FIELDS``: made once per row number, not once per form."""
    return tuple(f"indicators[{index}].{field}" for field in _ROW_FIELDS)


def _record(prov: Provenance, index: int, draft: RowDraft) -> None:
    """The row's cells under their paths: its text fields, its scores, its level labels (a row is
    recorded once, so each of its paths is new: its spans are put in at once)."""
    name, target, actual, note, weight, score, labels = _row_paths(index)
    spans = prov.cells
    for path, cells in ((name, draft.name), (target, draft.target), (actual, draft.actual), (note, draft.note)):
        if cells:
            spans[path] = [(c.start, c.end) for c in cells]
    if draft.weight is not None:
        spans[weight] = [(draft.weight.start, draft.weight.end)]
    if draft.score is not None:
        spans[score] = [(draft.score.start, draft.score.end)]
    if draft.label_cells:
        spans[labels] = [(c.start, c.end) for c in draft.label_cells]


def parse_target_declaration(block: FormBlock, spec: FormSpec | None = None,
                             fallback: ColumnMap | None = None) -> tuple[TargetDeclarationForm, Provenance, FormRegions]:
    """The form, the cells each value came from, and the regions the form was read in."""
    spec = spec or load_spec("target_declaration")
    prov = Provenance()
    regions = form_regions(block.lines, False, head_at=block.table_head)
    head, table = regions.head, regions.table
    labels = labels_of(head)
    labelled = read_labelled_values(head, prov, spec, labels)
    goals = read_goals(head, spec, prov, labels)
    drafts, _ = read_table(block, table, spec, prov, fallback)
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
        funds=read_declaration_funds(head, prov, spec, labels),
        goal_overall=goals["goal_overall"],
        goal_annual=goals["goal_annual"],
        indicators=[{"level1": d.level1, "level2": d.level2, "name": _joined(d.name), "target": _joined(d.target)}
                    for d in drafts],
    )
    return form, prov, regions
