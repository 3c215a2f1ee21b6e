"""Split a document into forms and tell the two form types apart.

A document holds 1..N forms. A form starts at its 项目名称 row; the title and year
lines just above it (when OCR kept them) belong to it. A form whose title line is
missing is still found, and its type is told by the labels it contains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from extractor.layout import Line

FormType = Literal["self_evaluation", "target_declaration"]

SELF_EVALUATION_TITLE = "绩效自评表"
DECLARATION_TITLE = "绩效目标申报表"
_YEAR = re.compile(r"(\d{4})年度")
_SELF_EVALUATION_MARKS = ("全年执行数", "执行率", "实际完成值", "评分等级", "全年预算数", "年初预算数", "偏差原因", "实际完成情况", "总分")
_DECLARATION_MARKS = ("项目性质", "项目类别", "计划开始日期", "计划完成日期", "年度资金申请总额", "项目总目标", "指标值", "财政资金")


@dataclass(frozen=True)
class FormBlock:
    """The lines of one form, and what kind of form it is."""

    form_type: FormType
    lines: tuple[Line, ...]
    title_found: bool

    @property
    def first_line(self) -> int:
        return self.lines[0].number

    @property
    def last_line(self) -> int:
        return self.lines[-1].number


def is_project_name_row(line: Line) -> bool:
    return bool(line.cells) and line.cells[0].key.rstrip(":：") == "项目名称"


def is_title_line(line: Line) -> bool:
    joined = "".join(line.keys)
    return SELF_EVALUATION_TITLE in joined or DECLARATION_TITLE in joined


def is_year_line(line: Line) -> bool:
    joined = "".join(line.keys)
    return bool(_YEAR.search(joined)) and len(joined) <= 40


def split_forms(lines: list[Line]) -> list[FormBlock]:
    """Cut the document at each 项目名称 row, and at each title not followed by one."""
    starts = []
    floor = 0
    for anchor in _anchors(lines):
        start = anchor
        while start - 1 >= floor and _is_header_line(lines[start - 1]):
            start -= 1
        starts.append(start)
        floor = anchor + 1
    blocks = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        block_lines = tuple(lines[start:end])
        while block_lines and block_lines[-1].is_blank:
            block_lines = block_lines[:-1]
        if block_lines:
            blocks.append(FormBlock(classify(block_lines), block_lines, any(is_title_line(l) for l in block_lines[:6])))
    return blocks


def _anchors(lines: list[Line]) -> list[int]:
    anchors = []
    for i, line in enumerate(lines):
        if is_project_name_row(line):
            anchors.append(i)
        elif is_title_line(line) and not _title_leads_to_project_name(lines, i):
            anchors.append(i)
    return anchors


def _title_leads_to_project_name(lines: list[Line], i: int) -> bool:
    for line in lines[i + 1:i + 8]:
        if is_project_name_row(line):
            return True
        if not _is_header_line(line):
            return False
    return False


def _is_header_line(line: Line) -> bool:
    return line.is_blank or is_title_line(line) or is_year_line(line)


def classify(lines: tuple[Line, ...]) -> FormType:
    """The title decides; without one, the labels the form contains do."""
    for line in lines[:8]:
        joined = "".join(line.keys)
        if SELF_EVALUATION_TITLE in joined or "自评" in joined:
            return "self_evaluation"
        if DECLARATION_TITLE in joined or "申报表" in joined:
            return "target_declaration"
    text = "".join("".join(line.keys) for line in lines)
    self_score = sum(mark in text for mark in _SELF_EVALUATION_MARKS)
    declaration_score = sum(mark in text for mark in _DECLARATION_MARKS)
    return "target_declaration" if declaration_score > self_score else "self_evaluation"
