"""Label → value cells above the indicator table: names, departments, dates, year, unit, goals."""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from extractor.layout import Cell, Line
from extractor.backends.rules.provenance import Provenance
from extractor.spec import UNSEEN, FormSpec, all_specs, known_roles
from extractor.textconv import simplified

_ALL_HEADER_LABELS = frozenset(label for spec in all_specs() for label in spec.header_labels())
_GOAL_LABELS = frozenset(label for spec in all_specs() for labels in spec.goals.values() for label in labels)
_ANY_LABEL = _ALL_HEADER_LABELS | {"项目资金", "项目资金总额", "年度资金申请总额", "项目绩效目标", "年度总体目标"}
_YEAR_PAREN = re.compile(r"[(（]\s*(\d{4})\s*年\s*度?\s*[)）]")
_YEAR_ANY = re.compile(r"(\d{4})\s*年\s*度")
_UNIT = re.compile(r"(?:资金|预算|金额)[^()（）]{0,12}[(（]\s*(万元|元)\s*[)）]|(?:金额)?单位\s*[:：]\s*(万元|元)$")
# A cell still holding the template's instruction (…(100字以内)): the unit did not fill it in.
TEMPLATE_HINT = re.compile(r"[(（]\s*\d+\s*字以内\s*[)）]")
_SECTION = re.compile(r"^\d+\s*[.、．]")


def label_of(cell: Cell) -> str:
    """A cell as a label reads: its key without a trailing colon, in Simplified characters."""
    return simplified(cell.key.rstrip(":："))


Labels = Sequence[tuple[str, ...]]


def labels_of(lines: Sequence[Line]) -> list[tuple[str, ...]]:
    """Each line's cells as :func:`label_of` reads them: worked out once per form, for every reader
    of the head region (``labels``) to share."""
    return [tuple([simplified(c.key.rstrip(":：")) for c in line.cells]) for line in lines]


def is_label(cell: Cell) -> bool:
    return _is_label(label_of(cell))


def _is_label(k: str) -> bool:
    return k in _ANY_LABEL or k.startswith("项目资金")


def read_labelled_values(lines: Sequence[Line], prov: Provenance, spec: FormSpec,
                         labels: Labels | None = None) -> dict[str, str | None]:
    """For every header label, the next non-label cell on its row; when its row has none, a lone
    cell on the line below (OCR pushed the value down); None when there is neither. ``labels``:
    :func:`labels_of` the lines, when the caller has them."""
    labels = labels_of(lines) if labels is None else labels
    known = known_roles(spec.header, exact_only=True).get
    found: dict[str, str | None] = {}
    for n, line in enumerate(lines):
        cells = line.cells
        for i, cell in enumerate(cells):
            field = known(cell.key, UNSEEN)
            if field is UNSEEN:
                field = spec.header_field(cell.key)
            if field is None or field in found:
                continue
            value = cells[i + 1] if i + 1 < len(cells) and not _is_label(labels[n][i + 1]) else None
            if value is None and i == 0 and n + 1 < len(lines):
                value = _pushed_down(lines[n + 1])
            found[field] = value.text if value else None
            if value:
                prov.add(field, value)
        if len(found) == len(spec.header):     # every field found: the lines below add none
            break
    return found


def _pushed_down(line: Line) -> Cell | None:
    """The value of a label row printed on the next line: that line's only cell, not a label."""
    texts = [c for c in line.cells if c.text]
    if len(texts) == 1 and not is_label(texts[0]):
        return texts[0]
    return None


def read_year(lines: Sequence[Line], prov: Provenance) -> int | None:
    """The form's year: ``(2024年度)`` first, then any ``NNNN年度`` in the header lines."""
    for pattern in (_YEAR_PAREN, _YEAR_ANY):
        for line in lines:
            for cell in line.cells:
                match = pattern.search(cell.key) if "年" in cell.key else None   # both patterns need 年
                if match:
                    prov.add("year", cell)
                    return int(match.group(1))
    return None


def read_funds_unit(lines: Iterable[Line], prov: Provenance) -> str | None:
    for line in lines:
        for cell in line.cells:
            k = simplified(cell.key)      # 預算執行情況(萬元) reads as 预算执行情况(万元)
            match = _UNIT.search(k) if "元" in k else None   # both branches end in 元
            if match:
                prov.add("funds_unit", cell)
                return match.group(1) or match.group(2)
    return None


def read_goals(lines: Sequence[Line], spec: FormSpec, prov: Provenance,
               labels: Labels | None = None) -> dict[str, str | None]:
    """The goal texts: beside their row labels (项目年度目标 | text), or under their column heads
    (预期目标 | 实际完成情况 over the texts). The labels are the spec's ``goals``; ``labels``:
    :func:`labels_of` the lines, when the caller has them."""
    labels = labels_of(lines) if labels is None else labels
    heads = _goal_heads(spec)
    result: dict[str, str | None] = {field: None for field in spec.goals}
    parts = _row_labelled_goals(lines, heads, labels) or _column_goals(lines, heads, labels)
    for field, cells in parts.items():
        cells = [c for c in cells if "字" not in c.key or not TEMPLATE_HINT.search(c.key)]
        if cells:
            result[field] = "".join(c.text for c in cells)
            for c in cells:
                prov.add(field, c)
    return result


_GOAL_HEADS: dict[int, tuple[dict, dict[str, str]]] = {}


def _goal_heads(spec: FormSpec) -> dict[str, str]:
    """Goal label → goal field, by the spec's ``goals`` (made once per spec, as its label tables are)."""
    held = _GOAL_HEADS.get(id(spec.goals))
    if held is None or held[0] is not spec.goals:
        heads = {label: field for field, labels in spec.goals.items() for label in labels}
        held = _GOAL_HEADS[id(spec.goals)] = (spec.goals, heads)
    return held[1]


def _row_labelled_goals(lines: Sequence[Line], heads: dict[str, str], labels: Labels) -> dict[str, list[Cell]]:
    """``年度目标完成情况 | text``: a goal label with its text to its right on the same row."""
    parts: dict[str, list[Cell]] = {}
    for line, line_labels in zip(lines, labels):
        if len(line.cells) < 2 or heads.keys().isdisjoint(line_labels):     # no goal label on the row
            continue
        kept = [(c, k) for c, k in zip(line.cells, line_labels) if k not in _GOAL_ROW_LABELS or k in heads]
        last_head = max((i for i, (_, k) in enumerate(kept) if k in heads), default=-1)
        for i in range(len(kept) - 1):
            field = heads.get(kept[i][1])
            if field and field not in parts and i >= last_head:   # no goal label among the following cells
                parts[field] = [c for c, _ in kept[i + 1:]]
                break
    return parts


def _column_goals(lines: Sequence[Line], heads: dict[str, str], labels: Labels) -> dict[str, list[Cell]]:
    head_cols: dict[str, int] = {}
    start = None
    for i, (line, line_labels) in enumerate(zip(lines, labels)):
        if heads.keys().isdisjoint(line_labels):
            continue
        head_cols, start = {heads[k]: c.col for c, k in zip(line.cells, line_labels) if k in heads}, i
        break
    parts: dict[str, list[Cell]] = {field: [] for field in heads.values()}
    if start is None:
        return parts
    by_order = sorted(head_cols, key=head_cols.get)  # type: ignore[arg-type]
    for line, line_labels in zip(lines[start + 1:], labels[start + 1:]):
        if _ends_goals(line_labels):
            break
        texts = [c for c, k in zip(line.cells, line_labels) if k not in _GOAL_ROW_LABELS]
        if not texts:
            continue
        if len(texts) == len(by_order):
            pairs = zip(by_order, texts)
        else:
            # nearest head; a tie goes right, since OCR drops leading empty cells more often than it adds them
            pairs = ((min(by_order, key=lambda f: (abs(head_cols[f] - c.col), -head_cols[f])), c) for c in texts)
        for field, cell in pairs:
            parts[field].append(cell)
    return parts


def _ends_goals(labels: Sequence[str]) -> bool:
    """The goal texts end at the next labelled part of the form: a numbered section (2.项目实施内容…),
    a header label, or the fund table (``labels``: the line's cells as :func:`label_of` reads them)."""
    for k in labels:
        if (_SECTION.match(k) and len(k) <= 20) or k in _ALL_HEADER_LABELS or _is_fund_label(k):
            return True
    return False


def _is_fund_label(k: str) -> bool:
    return len(k) <= 20 and any(spec.fund_column(k) or spec.fund_row(k) for spec in _FUND_SPECS)


_FUND_SPECS = tuple(spec for spec in all_specs() if spec.fund_columns)
_GOAL_ROW_LABELS = frozenset({"年度总体目标", "项目绩效目标", "总体目标", "绩效目标", "年度绩效目标"})


def _is_goal_row_label(cell: Cell) -> bool:
    return label_of(cell) in _GOAL_ROW_LABELS
