"""Glued text: a form flattened with no separator between its cells, cut back into rows.

Document-sharing sites and .doc/.docx text previews print a whole form as one run of text:
``项目名称水土保持监测主管部门黄冈市水利和湖泊局…年度财政资金总额1010100%20一级指标二级指标…``.
The cells are cut apart by the template vocabulary: the form specs' labels (``extractor/specs``),
the layouts' row and column labels, the framework's level names, and the labels templates print
that carry no hand-off field (填报日期, 项目属性 …). Traditional characters are read as Simplified
for matching only: every cell is a slice of the text as printed.

Then, by section:
- the head (names, units) goes through the same row builder as the other flattened layouts;
- a funds block's head row (预算数 | 执行数 | 执行率 | 得分) says which numbers a fund row's glued run
  holds, and the run is cut only where the cut is unique (:mod:`extractor.ingest.runs`);
- an indicator table's head row (一级指标 二级指标 三级指标 年初目标值 实际完成值 得分) says how many
  values follow each indicator name; inside the table only level labels and the tail's labels cut;
- goal texts run to the next structural label and are split between their heads at a sentence end.

Web-copy furniture is removed first (:func:`clean_web_copy`): the pinyin readings some sites print
after converted characters (``項(xiàng)目``) and the numbered chunks a preview is served in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from extractor.framework import LEVEL1, LEVEL2, OLDER_LEVEL2, SECTION_LABELS, resolve_label
from extractor.ingest import layouts
from extractor.ingest.runs import AMOUNT, POINTS, RATE, VALUE, unique_split
from extractor.normalize import is_placeholder, key
from extractor.spec import all_specs
from extractor.textconv import simplified

# Labels templates print that have no hand-off field: they still end the cell before them.
TEMPLATE_LABELS = frozenset({
    "单位名称", "填报单位", "填报日期", "项目属性", "项目类型", "项目类别", "项目负责人", "联系电话", "项目起止时间",
    "主管部门编码", "项目编码", "项目概况", "项目立项情况", "项目立项的依据", "项目申报的可行性", "项目申报的必要性",
    "项目实施进度计划", "项目实施内容", "开始时间", "完成时间", "单位职能概述", "长期绩效指标", "年度绩效指标",
    "预算执行情况", "资金情况", "资金总额及构成", "项目资金申请", "偏差大或目标未完成原因分析", "改进措施及结果应用方案",
    "备注", "存在问题", "改进措施", "评价结论", "年度绩效目标",
})
_SPECS = all_specs()
_SPEC_LABELS = frozenset(key(label) for spec in _SPECS for table in (
    spec.header, spec.goals, spec.fund_rows, spec.fund_columns, spec.fund_amounts, spec.indicator_columns, spec.tail)
    for labels in table.values() for label in labels)
_LEVELS = frozenset({*LEVEL1, *LEVEL2, *OLDER_LEVEL2})
VOCABULARY = frozenset(layouts.ROW_LABELS | layouts.IN_ROW_LABELS | layouts.GOAL_HEADS | _SPEC_LABELS | _LEVELS
                       | set(SECTION_LABELS) | TEMPLATE_LABELS | {"绩效指标", "项目资金"})
_LENGTHS = sorted({len(label) for label in VOCABULARY}, reverse=True)
_TITLES = sorted({simplified(key(t)) for spec in _SPECS for t in (*spec.titles, spec.printed_title)}, key=lambda s: (-len(s), s))
_TAIL = frozenset(key(label) for spec in _SPECS for labels in spec.tail.values() for label in labels)
_GOALS = frozenset(key(label) for spec in _SPECS for labels in spec.goals.values() for label in labels) | layouts.GOAL_HEADS
# A label's printed annotation: ``(万元)``, ``(20分)``, ``(A)``, ``(B/A)``, ``(20分*执行率)``, ``1(40分)``, a colon.
_ANNOTATION = re.compile(r"(?:\d?(?:\((?:[A-Za-z/]{1,5}|万?元|盖章|%|[^()]{0,12}分[^()]{0,12})\))+)?[:：]?")
_RUN = re.compile(r"[0-9][0-9.,%]*")
_UNIT_AFTER = re.compile(r"^[个名项家场次人条篇期户所座台套件天月年日位处批本册间辆棵亩万元米吨斤%(（]")
_COMPARATOR = "≥≤=<>＝＞＜≧≦"


# --- web-copy furniture -------------------------------------------------------------------------

_PINYIN = re.compile(r"(?<=[\u3400-\u9fff])[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*[)）]")
_CHUNK = re.compile(r"^(\d{1,3})、")
_CHUNK_MIN = 200        # a preview chunk is hundreds of characters; a numbered list item is not


def clean_web_copy(text: str) -> str:
    """The text without a web copy's furniture: pinyin readings after characters (``項(xiàng)目`` →
    ``項目``), and the numbered chunks a preview is cut into (``…取得2018-2022`` / ``2、監測資料…``),
    joined back where one line goes on in the next."""
    text = _PINYIN.sub("", text)
    lines = text.split("\n")
    chunks = [i for i, line in enumerate(lines) if _CHUNK.match(line)]
    run = _chunk_run(lines, chunks)
    if len(run) < 2:
        return text
    out = list(lines)
    first = run[0]
    out[first] = _CHUNK.sub("", lines[first], count=1)
    for i in run[1:]:
        out[first] += _CHUNK.sub("", lines[i], count=1)
        out[i] = None
    return "\n".join(line for line in out if line is not None)


def _chunk_run(lines: list[str], chunks: list[int]) -> list[int]:
    """Lines ``1、…``, ``2、…`` … in a row, each but the last a long chunk: a preview's pieces."""
    run: list[int] = []
    for i in chunks:
        number = int(_CHUNK.match(lines[i]).group(1))
        if number == len(run) + 1 and (not run or (i == run[-1] + 1 and len(lines[run[-1]]) >= _CHUNK_MIN)):
            run.append(i)
        elif number == 1:
            run = [i]
    return run


_ANNOTATION_START = re.compile(r"^\s*[(（]")


def join_wrapped(lines: list[str]) -> list[str]:
    """Lines of a glued text with a cell's wrap undone: a line that opens with a bracketed
    annotation (``(萬元)年初預算數…``) goes on the label a glued line ended with (``…項目資金``)."""
    out: list[str] = []
    for line in lines:
        if out and _ANNOTATION_START.match(line) and is_glued(out[-1]):
            out[-1] = out[-1].rstrip() + line.strip()
        else:
            out.append(line)
    return out


# --- detection ----------------------------------------------------------------------------------

_STRONG = tuple(dict.fromkeys((
    *(label for spec in all_specs() for label in spec.header.get("project_name", ())),    # 项目名称, 项目支出名称
    "主管部门", "实施单位", "一级指标", "二级指标", "三级指标", "总分", "评分等级", "项目资金", "指标值", "得分")))


_STRONG_PATTERNS = tuple((label, re.compile(re.escape(label))) for label in _STRONG)
_GLUED_MIN = 3 * (2 + 1)         # three labels of two characters or more, each with a value glued on


def is_glued(line: str) -> bool:
    """A line holding a form's labels with their values glued on: at least three different labels
    that open a form's cells followed by text with no space between, more of them glued than spaced
    (a goal text that names 主管部门 three times is no form)."""
    if len(line) < _GLUED_MIN:
        return False
    matched = _comparable(line)
    glued: set[str] = set()
    spaced: set[str] = set()
    for label, pattern in _STRONG_PATTERNS:
        if label not in matched:
            continue
        for m in pattern.finditer(matched):
            end = m.end() + len(_ANNOTATION.match(matched, m.end()).group(0))
            (spaced if end >= len(line) or line[end].isspace() else glued).add(label)
    return len(glued) >= 3 and len(glued) > 2 * len(spaced - glued)


def _comparable(line: str) -> str:
    """The line read for matching, one character for one: Simplified, NFKC (``（`` → ``(``)."""
    if line.isascii():
        return line
    return "".join([_COMPARABLE.get(ch) or _comparable_char(ch) for ch in line])


_COMPARABLE: dict[str, str] = {}     # a character map (bounded by the script), not a cache of texts
_COMPARABLE_MAX = 65_536


def _comparable_char(ch: str) -> str:
    """One character as :func:`_comparable` reads it (an OpenCC call costs microseconds: once per character)."""
    c = unicodedata.normalize("NFKC", simplified(ch)) if not ch.isascii() else ch
    c = c if len(c) == 1 else ch
    if len(_COMPARABLE) < _COMPARABLE_MAX:
        _COMPARABLE[ch] = c
    return c


# --- cutting ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Piece:
    start: int
    end: int
    key: str            # the label's comparison key ('' for a value)
    kind: str           # "label", "title" or "value"


def cut(line: str) -> list[Piece]:
    """The line as label, title and value pieces in order; a value is the text between two labels."""
    matched = _comparable(line)
    pieces: list[Piece] = []
    value_start = None
    i = 0
    while i < len(line):
        if matched[i].isspace():
            value_start = _close_value(pieces, value_start, i)
            i += 1
            continue
        found = None
        if not (value_start is not None and _open_bracket(matched[value_start:i])):
            found = _title_at(matched, i) or _label_at(matched, i, pieces, value_start)
        if found is not None and found[0] == "label" and _overtaken(matched, i, i + len(found[1]), pieces):
            found = None
        if found is None:
            value_start = i if value_start is None else value_start
            i += 1
            continue
        kind, label, end = found
        start = i
        if kind == "title" and value_start is not None:       # 2020年度水土保持监测项目 + 绩效自评表: one title cell
            start, value_start = value_start, None
        value_start = _close_value(pieces, value_start, start)
        pieces.append(Piece(start, end, label, kind))
        i = end
    _close_value(pieces, value_start, len(line))
    return pieces


def _open_bracket(text: str) -> bool:
    """Inside a bracket the value opened (``(其中:上级财政资金:…)``): no label cuts there."""
    return text.count("(") > text.count(")")


def _overtaken(matched: str, start: int, end: int, pieces: list[Piece]) -> bool:
    """A label that a title or a longer label starting inside it runs past: ``2021年度资金总额及构成``
    is ``2021年度`` + ``资金总额及构成``, ``项目绩效目标表`` is a title, not ``项目绩效目标`` + ``表``."""
    for k in range(start + 1, end):
        if _title_at(matched, k):
            return True
        other = _label_at(matched, k, pieces, k)
        if other is not None and len(other[1]) > end - start and k + len(other[1]) > end:
            return True
    return False


def _close_value(pieces: list[Piece], start: int | None, end: int) -> None:
    if start is not None and end > start:
        if pieces and pieces[-1].kind == "value" and pieces[-1].end <= start:
            pieces[-1] = Piece(pieces[-1].start, end, "", "value")    # one value across a space
        else:
            pieces.append(Piece(start, end, "", "value"))
    return None


def _title_at(matched: str, i: int) -> tuple[str, str, int] | None:
    for title in _TITLES:
        if matched.startswith(title, i):
            end = i + len(title)
            year = re.match(r"\s*\(\s*\d{4}\s*年度?\s*\)", matched[end:])
            return "title", title, end + (len(year.group(0)) if year else 0)
    return None


def _label_at(matched: str, i: int, pieces: list[Piece], value_start: int | None) -> tuple[str, str, int] | None:
    """The longest vocabulary label at ``i``; a label of two characters only where a cell starts
    (after another label, a space, a colon), so that ``本单位`` keeps its ``单位``."""
    for length in _LENGTHS:
        label = matched[i:i + length]
        if label not in VOCABULARY:
            continue
        if length <= 2 and value_start is not None and not matched[i - 1] in ":：":
            continue
        end = i + length
        end += len(_ANNOTATION.match(matched, end).group(0))
        return "label", label, end
    return None


# --- rows ---------------------------------------------------------------------------------------

def glued_rows(line: str) -> list[list[str]]:
    """The rows of a glued form line (tab-separated cells as printed)."""
    pieces = cut(line)
    rows: list[list[str]] = []
    pending: list[str] = []                 # head cells for the shared row builder

    def flush() -> None:
        if pending:
            rows.extend(layouts.build_rows(list(pending)))
            pending.clear()

    i = 0
    while i < len(pieces):
        if (head := _indicator_head(pieces, i)) is not None:
            flush()
            i = _table(line, pieces, i, head, rows)
        elif (head := _fund_head(pieces, i)) is not None:
            flush()
            i = _funds(line, pieces, i, head, rows)
        elif pieces[i].kind == "title":             # a title starts a form: a row of its own
            flush()
            rows.append([_text(line, pieces[i])])
            i += 1
        elif pieces[i].key in ("年度总体目标", "项目绩效目标", "绩效目标") and i + 1 < len(pieces) and pieces[i + 1].key in _GOALS:
            flush()
            i = _goals(line, pieces, i, rows)
        else:
            pending.append(_text(line, pieces[i]))
            i += 1
    flush()
    return [row for row in rows if any(cell.strip() for cell in row)]


def _text(line: str, piece: Piece) -> str:
    return line[piece.start:piece.end].strip()


def _span(line: str, pieces: list[Piece], i: int, j: int) -> str:
    return line[pieces[i].start:pieces[j - 1].end].strip() if j > i else ""


def _indicator_role(label: str) -> str | None:
    for spec in _SPECS:
        if role := spec.indicator_role(label):
            return role
    return None


def _indicator_head(pieces: list[Piece], i: int) -> list[int] | None:
    """Indices of an indicator table's head labels starting at ``i`` (a block title such as
    ``年度绩效目标1(40分)`` or ``长期绩效指标`` may lead it), or None."""
    j = i
    if pieces[j].kind == "label" and pieces[j].key not in ("一级指标",) and _indicator_role(pieces[j].key) is None \
            and j + 1 < len(pieces) and pieces[j + 1].key == "一级指标":
        j += 1
    start = j
    while j < len(pieces) and pieces[j].kind == "label" and (
            pieces[j].key in ("一级指标", "二级指标") or _indicator_role(pieces[j].key) is not None):
        j += 1
    keys = [p.key for p in pieces[start:j]]
    if j - start >= 3 and ("一级指标" in keys or any(_indicator_role(k) == "name" for k in keys)):
        return list(range(i, j))
    return None


_INDICATOR_KINDS = {"target": VALUE, "initial_target": VALUE, "actual": VALUE, "remark": VALUE,
                    "weight": POINTS, "score": POINTS}


def _table(line: str, pieces: list[Piece], i: int, head: list[int], rows: list[list[str]]) -> int:
    """The head row, then the indicator rows until the tail (总分 …), a new form or another head."""
    rows.append([_text(line, pieces[h]) for h in head])
    roles = [_indicator_role(pieces[h].key) for h in head]
    after = roles.index("name") + 1 if "name" in roles else len(roles)
    value_roles = []
    for role in roles[after:]:
        if role not in _INDICATOR_KINDS:
            break                               # a text column (偏差原因 …): no glued number reaches past it
        value_roles.append(role)
    kinds = [_INDICATOR_KINDS[r] for r in value_roles]
    points_roles = [r for r in ("weight", "score") if r in roles]
    j = head[-1] + 1
    levels: list[str] = []
    text_from = None

    def close_text(upto: int) -> None:
        nonlocal levels
        if text_from is None:
            return
        for n, (name, values) in enumerate(_indicator_cells(_span(line, pieces, text_from, upto), kinds, value_roles)):
            rows.append([*(levels if n == 0 else []), *([name] if name else []), *values])
        levels = []

    while j < len(pieces):
        piece = pieces[j]
        if piece.kind == "title" or piece.key in _TAIL or (piece.key in layouts.ROW_LABELS and piece.key != "一级指标"
                                                             and piece.key not in _GOALS) \
                or _indicator_head(pieces, j) is not None:
            break
        if piece.kind == "label" and _is_level(piece.key):
            close_text(j)
            text_from = None
            if levels and (_level_of(piece.key) == 1 or any(_level_of(level) == 2 for level in levels)):
                rows.append(levels)             # a level with no row under it: a row of its own
                levels = []
            levels.append(_text(line, piece))
        else:
            text_from = j if text_from is None else text_from
        j += 1
    close_text(j)
    text_from = None
    if levels:
        rows.append(levels)
    if j < len(pieces) and pieces[j].key in _TAIL:
        j = _total(line, pieces, j, points_roles, rows)
    return j


def _level_of(label: str) -> int | None:
    found = resolve_label(label)
    return found.level if found is not None else None


def _is_level(label: str) -> bool:
    found = resolve_label(label)
    return found is not None and found.complete


def _indicator_cells(text: str, kinds: list[str], roles: list[str]) -> list[tuple[str, list[str]]]:
    """One or more indicator rows from a glued stretch: a name, then its values' run. A run in the
    middle ends a row only where it splits uniquely and no unit follows it (``100台设备`` is a name)."""
    out: list[tuple[str, list[str]]] = []
    start = 0
    for m in _RUN.finditer(text):
        at_end = m.end() == len(text)
        a_target = m.start() > 0 and text[m.start() - 1] in _COMPARATOR      # ≥80.00: a target's number
        values = unique_split(m.group(0), kinds, roles) if kinds and not a_target else None
        if at_end:
            name = text[start:m.start()]
            out.append((name, values if values is not None else [m.group(0)]))
            start = len(text)
        elif values is not None and not _UNIT_AFTER.match(text[m.end():]) and m.start() > start:
            out.append((text[start:m.start()], values))
            start = m.end()
    if start < len(text):
        out.append((text[start:], []))
    return [(name.strip(), values) for name, values in out]


def _total(line: str, pieces: list[Piece], j: int, points_roles: list[str], rows: list[list[str]]) -> int:
    """总分 and its numbers (分值 / 得分 as the table has them); what follows is a row of its own."""
    row = [_text(line, pieces[j])]
    j += 1
    if j < len(pieces) and pieces[j].kind == "value":
        text = _text(line, pieces[j])
        match = _RUN.match(text)
        if match and points_roles:
            values = unique_split(match.group(0), [POINTS] * len(points_roles), points_roles) or [match.group(0)]
            row.extend(values)
            rest = text[match.end():].strip()
            if rest:
                rows.append(row)
                row = [rest]
        else:
            row.append(text)
        j += 1
    rows.append(row)
    return j


# --- funds --------------------------------------------------------------------------------------

_FUND_KINDS = {"initial_budget": AMOUNT, "annual_budget": AMOUNT, "executed": AMOUNT, "execution_rate": RATE,
               "weight": POINTS, "score": POINTS}


def _fund_column(label: str) -> str | None:
    for spec in _SPECS:
        if spec.fund_columns and (role := spec.fund_column(label)):
            return role
    return None


def _fund_row(label: str) -> bool:
    return label.startswith("其中") or any(spec.fund_rows and spec.fund_row(label) for spec in _SPECS)


def _fund_head(pieces: list[Piece], i: int) -> list[int] | None:
    """A funds block's head: its label (项目资金(万元), 预算执行情况(万元)(20分)) and ≥2 column labels."""
    if pieces[i].kind != "label" or _fund_column(pieces[i].key) or _fund_row(pieces[i].key):
        return None
    j = i + 1
    while j < len(pieces) and pieces[j].kind == "label" and _fund_column(pieces[j].key):
        j += 1
    return list(range(i, j)) if j - i >= 3 else None


def _funds(line: str, pieces: list[Piece], i: int, head: list[int], rows: list[list[str]]) -> int:
    rows.append([_text(line, pieces[h]) for h in head])
    roles = [_fund_column(pieces[h].key) for h in head[1:]]
    kinds = [_FUND_KINDS.get(r, AMOUNT) for r in roles]
    points = re.search(r"\((\d+(?:\.\d+)?)分\)", _comparable(_text(line, pieces[head[0]])))
    limits = {"weight": Decimal(points.group(1))} if points else {}       # 预算执行情况(万元)(20分): the block's 分数
    j = head[-1] + 1
    while j < len(pieces) and pieces[j].kind == "label" and _fund_row(pieces[j].key):
        row = [_text(line, pieces[j])]
        j += 1
        if j < len(pieces) and pieces[j].kind == "value":
            row.extend(_fund_cells(_text(line, pieces[j]), kinds, roles, limits))
            j += 1
        rows.append(row)
    return j


def _fund_cells(text: str, kinds: list[str], roles: list[str], limits: dict) -> list[str]:
    """A fund row's glued numbers in its columns; placeholders (—, /) and spaces already part them."""
    cells: list[str] = []
    for part in re.findall(r"[—\-－/]+|[^—\-－/\s]+", text):
        if is_placeholder(part) or not _RUN.fullmatch(part):
            cells.append(part)
            continue
        taken = len(cells)
        counts = range(len(kinds) - taken, 0, -1)
        values = unique_split(part, kinds[taken:], roles[taken:], limits, counts=list(counts)) if taken < len(kinds) else None
        cells.extend(values if values is not None else [part])
    return cells


# --- goals --------------------------------------------------------------------------------------

def _goals(line: str, pieces: list[Piece], i: int, rows: list[list[str]]) -> int:
    """年度总体目标 | 预期目标 | 实际完成情况, then the texts to the next structural label, split
    between the heads at the sentence end nearest the middle (none: one text, under the last head)."""
    j = i + 1
    while j < len(pieces) and pieces[j].key in _GOALS:
        j += 1
    rows.append([_text(line, pieces[k]) for k in range(i, j)])
    heads = j - i - 1
    start = j
    while j < len(pieces) and not _ends_goal_text(pieces, j):
        j += 1
    text = _span(line, pieces, start, j)
    if text:
        texts = _split_goal_text(text) if heads == 2 else [text]
        rows.append([""] * max(1, 1 + heads - len(texts)) + texts)
    return j


def _ends_goal_text(pieces: list[Piece], j: int) -> bool:
    piece = pieces[j]
    return piece.kind == "title" or (piece.kind == "label" and (
        piece.key in layouts.ROW_LABELS or piece.key in SECTION_LABELS or piece.key in TEMPLATE_LABELS
        or _is_level(piece.key) or _indicator_head(pieces, j) is not None or piece.key in ("绩效指标", "二级指标", "三级指标")))


def _split_goal_text(text: str) -> list[str]:
    ends = [m.end() for m in re.finditer(r"[。！？!?]", text) if m.end() < len(text)]
    if not ends:
        return [text]
    cut_at = min(ends, key=lambda e: abs(e - len(text) / 2))
    return [text[:cut_at], text[cut_at:]]
