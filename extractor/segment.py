"""Split a document into forms and tell the two form types apart.

A document holds 1..N forms. A form starts at its 项目名称 row; the title and year
lines just above it (when OCR kept them) belong to it. A form whose title line is
missing is still found, and its type is told by the labels it contains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from extractor.columns import ColumnMap, read_column_map
from extractor.layout import Line
from extractor.regions import find_table_head, is_table_head
from extractor.spec import all_specs, any_of, load_spec
from extractor.textconv import prime, simplified

FormType = Literal["self_evaluation", "target_declaration"]

_YEAR = re.compile(r"(\d{4})年度")
_TITLE_MAX = 60          # a title line is short; a sentence that names a form is not its title
_QUOTED = re.compile(r"《[^》]*》")


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

    @cached_property
    def table_head(self) -> int | None:
        """Index in ``lines`` of the indicator table's head row (None when OCR lost it): found once."""
        return find_table_head(self.lines)

    @cached_property
    def head_columns(self) -> ColumnMap | None:
        """The column roles its head row (and a sub-head row under it) names, by the form type's spec."""
        at = self.table_head
        if at is None:
            return None
        return read_column_map(self.lines[at], self.lines[at + 1:at + 2], load_spec(self.form_type))


_SPECS = all_specs()
# 项目名称 and the other labels templates print for it (项目支出名称), from the form specs.
_PROJECT_NAME_LABELS = frozenset(label for spec in _SPECS for label in spec.header.get("project_name", ()))


def is_project_name_row(line: Line) -> bool:
    """A row whose first cell is 项目名称 or another label of it (Traditional read as Simplified)."""
    if not line.cells:
        return False
    label = line.cells[0].key.rstrip(":：")
    return label in _PROJECT_NAME_LABELS or (not label.isascii() and simplified(label) in _PROJECT_NAME_LABELS)
_TITLES = tuple((spec.form_type, any_of(spec.titles)) for spec in _SPECS)
_ANY_TITLE = any_of(t for spec in _SPECS for t in spec.titles)
_TITLES_NON_ASCII = not any(t.isascii() for spec in _SPECS for t in spec.titles)
# the last characters of the titles (表, 报): a text holds a title only if it holds one of them (a
# character test at C speed rules out most lines before the title search runs)
_TITLE_ENDS = tuple(sorted({t[-1] for spec in _SPECS for t in spec.titles}))


def title_type(line: Line) -> str | None:
    """The form type whose title this line prints (Traditional characters read as Simplified), or None.

    A form named inside a sentence or in 《…》 (a footnote: 详见《项目支出绩效目标申报表》) is not a title.
    """
    joined = line.key
    if not joined or len(joined) > _TITLE_MAX:
        return None
    if joined.isascii() and _TITLES_NON_ASCII:     # a number row, say: no title
        return None
    text = simplified(joined)
    for end in _TITLE_ENDS:
        if end in text:
            break
    else:
        return None                     # no title ends in it: the search below would find none
    if "《" in text:
        text = _QUOTED.sub("", text)
    if _ANY_TITLE(text) is None:        # most lines name no form: one search says so
        return None
    if "。" in text or "，" in text or "详见" in text or "附件" in text and len(text) > 20:
        return None
    return next((form_type for form_type, holds_title in _TITLES if holds_title(text)), None)


def is_title_line(line: Line) -> bool:
    return title_type(line) is not None


def is_year_line(line: Line) -> bool:
    joined = line.key
    return "年度" in joined and bool(_YEAR.search(joined)) and len(joined) <= 40


def split_forms(lines: list[Line]) -> list[FormBlock]:
    """Cut the document at each 项目名称 row, and at each title not followed by one."""
    prime(_texts_to_simplify(lines))       # in one conversion, not one per line and per label
    titles = {line.number: title_type(line) for line in lines}
    starts = []
    floor = 0
    for anchor in _anchors(lines, titles):
        start = anchor
        while start - 1 >= floor and _is_header_line(lines[start - 1], titles):
            start -= 1
        starts.append(start)
        floor = anchor + 1
    blocks = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        while end > start and lines[end - 1].is_blank:
            end -= 1
        block_lines = tuple(lines[start:end])
        if block_lines and _has_form_content(block_lines):
            found = [titles[line.number] for line in block_lines[:8]]
            form_type = next((t for t in found if t), None) or classify(block_lines)
            blocks.append(FormBlock(form_type, block_lines, any(found[:6])))  # type: ignore[arg-type]
    return blocks


def _texts_to_simplify(lines: list[Line]) -> set[str]:
    """What titles, table heads and label lookups read in Simplified characters: each line's key, and
    each cell's key with and without its trailing colon (ASCII needs no conversion: lines whose key
    is ASCII are left out, and so are ASCII cell keys)."""
    chinese = [line for line in lines if not line.key.isascii()]
    texts = {line.key for line in chinese}
    keys = {k for line in chinese for c in line.cells if not (k := c.key).isascii()}
    texts |= keys
    texts.update([k.rstrip(":：") for k in keys if k.endswith(_COLONS)])
    return texts


_COLONS = (":", "：")


def _anchors(lines: list[Line], titles: dict[int, str | None]) -> list[int]:
    anchors = []
    for i, line in enumerate(lines):
        if is_project_name_row(line):
            anchors.append(i)
        elif titles[line.number] is not None and not _title_leads_to_project_name(lines, i, titles):
            anchors.append(i)
    return anchors


def _title_leads_to_project_name(lines: list[Line], i: int, titles: dict[int, str | None]) -> bool:
    for line in lines[i + 1:i + 8]:
        if is_project_name_row(line):
            return True
        if not _is_header_line(line, titles):
            return False
    return False


def _has_form_content(lines: tuple[Line, ...]) -> bool:
    """A form has a 项目名称 row or an indicator table; a lone title-like fragment has neither."""
    return any(is_project_name_row(line) or is_table_head(line) for line in lines)


def _is_header_line(line: Line, titles: dict[int, str | None]) -> bool:
    return line.is_blank or titles[line.number] is not None or is_year_line(line)


def classify(lines: tuple[Line, ...]) -> FormType:
    """The title decides; without one, the labels the form contains do."""
    for line in lines[:8]:
        if found := title_type(line):
            return found  # type: ignore[return-value]
    for line in lines[:8]:
        joined = simplified(line.key)
        if len(joined) <= _TITLE_MAX and not _QUOTED.search(joined):
            for spec in _SPECS:
                if any(word in joined for word in spec.title_words):
                    return spec.form_type  # type: ignore[return-value]
    text = "".join(line.key for line in lines)
    scores = {spec.form_type: sum(mark in text for mark in spec.marks) for spec in _SPECS}
    return "target_declaration" if scores["target_declaration"] > scores["self_evaluation"] else "self_evaluation"
