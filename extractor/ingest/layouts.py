"""Text layouts: the shapes OCR engines and web copies hand text over in, rebuilt into rows.

- ``tsv``: one table row per line, cells separated by tabs (what the parser reads);
- ``pipes``: markdown / ``|``-separated rows (separator rows such as ``|---|`` dropped);
- ``spaced``: one row per line, cells apart by runs of spaces (``pdftotext -layout``, console copies);
- ``cells``: one cell per line, row boundaries lost;
- ``flat``: a whole form flattened onto one line, cells separated by spaces (or nothing);
- ``glued``: a form flattened with no separator at all between its cells (:mod:`extractor.ingest.glued`);
- ``text``: none of these: lines kept as they are.

``cells`` and ``flat`` are rebuilt into rows from the form's own vocabulary (the labels that
start a row: 项目名称, 主管部门, 年度资金总额, 一级指标, 总分 …; level labels; column heads)
and its numeric anchors (each self-evaluation indicator row ends with its 分值 / 得分 pair; a
declaration row is a name and its target). The vocabulary is the parser's own
(:mod:`extractor.framework`, :mod:`extractor.labels`, the header labels of the rules backend),
so both read a form the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractor.framework import is_section_label, is_suffix_fragment, resolve_label
from extractor.labels import FUND_COLUMN_LABELS, FUND_ROW_LABELS, HEADER_LABELS, INDICATOR_LABELS
from extractor.normalize import key, parse_number
from extractor.spec import all_specs

LAYOUTS = ("tsv", "pipes", "spaced", "cells", "flat", "glued", "text")
_CELL_GAP = re.compile(r"[ \u3000]{2,}")      # cells printed apart by runs of spaces

# Labels that open a row of the printed form (compared by key: NFKC, spaces removed, trailing colon dropped).
ROW_LABELS = frozenset({
    "项目名称", "主管部门", "计划开始日期", "年度总体目标", "项目绩效目标", "绩效目标", "总分", "评分等级", "一级指标",
    *(key(label) for label in FUND_ROW_LABELS.values() if "（项目）" not in label),
    "其中:当年财政拨款", "其中:财政资金", "其中当年财政拨款", "其中财政资金",
})
# Labels that stand inside a row: the second label of a pair, column heads.
IN_ROW_LABELS = frozenset({
    *(key(part) for label in HEADER_LABELS.values() for part in label.split(" · ")[1:]),     # 预期目标, 分值 …
    "实施单位", "项目性质", "项目类别", "计划完成日期", "项目总目标", "分数", "执行率(%)", "执行率",
    "年度(/项目)指标值", "年度指标值(/项目)",
    *(key(label) for label in FUND_COLUMN_LABELS.values()),
    *(key(label) for label in INDICATOR_LABELS.values() if label != "一级指标"),
})
_SPECS = all_specs()
# Every template's labels, from the form specs (extractor/specs/*.toml): the second vocabulary of the
# same two kinds, so a province's 合计 / 权重 / 调整后预算数 / 指标性质 open or stand in rows as 总分 does.
ROW_LABELS = ROW_LABELS | frozenset(key(label) for spec in _SPECS for table in (
    {f: spec.header[f] for f in ("project_name", "competent_department") if f in spec.header},
    spec.fund_rows, spec.tail) for labels in table.values() for label in labels)
IN_ROW_LABELS = IN_ROW_LABELS | frozenset(key(label) for spec in _SPECS for table in (
    {f: v for f, v in spec.header.items() if f not in ("project_name", "competent_department")},
    spec.goals, spec.fund_columns, spec.indicator_columns) for labels in table.values() for label in labels
    if len(key(label)) >= 2) - ROW_LABELS
GOAL_HEADS = frozenset({"预期目标", "实际完成情况", "项目总目标", "年度总体目标"})
_VALUE = re.compile(r"^\s*([=≥≤<>＝＞＜≧≦]|\d+(\.\d+)?\s*(%|％|[(（]|$))")      # a target, not ``22 个居民区``
_TITLE = re.compile(r"绩效(自评|目标申报|目标)?表|汇总表")
_YEAR = re.compile(r"^[(（]?\s*\d{4}\s*年\s*度?\s*[)）]?$")
_SEPARATOR_ROW = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_FUNDS_HEAD = re.compile(r"^项目资金")
_VOCABULARY = sorted(ROW_LABELS | IN_ROW_LABELS | {"绩效指标"}, key=lambda s: (-len(s), s))


@dataclass(frozen=True)
class Rebuilt:
    layout: str
    text: str


def rebuild(text: str) -> Rebuilt:
    """The text in rows (one row per line, tab-separated), and the layout it came in."""
    from extractor.ingest import glued

    text = _strip_cell_bars(glued.clean_web_copy(text))
    layout = detect(text)
    if layout == "glued":
        rows = [rows_text(glued.glued_rows(line)) if glued.is_glued(line) else line.strip()
                for line in glued.join_wrapped([line for line in text.split("\n") if line.strip()])]
        return Rebuilt(layout, "\n".join(rows))
    if layout == "pipes":
        return Rebuilt(layout, _from_pipes(text))
    if layout == "spaced":
        return Rebuilt(layout, "\n".join(_CELL_GAP.sub("\t", line.strip()) for line in text.split("\n")))
    if layout == "cells":
        return Rebuilt(layout, rows_text(build_rows([t.strip() for t in text.split("\n") if t.strip()])))
    if layout == "flat":
        lines = []
        for line in text.split("\n"):
            if line.strip():
                lines.append(rows_text(build_rows(flat_tokens(line), spaced=True)) if _is_flat_line(line) else line.strip())
        return Rebuilt(layout, "\n".join(lines))
    return Rebuilt(layout, text)


def _strip_cell_bars(text: str) -> str:
    """A web table copied one cell per line often keeps its cell border: ``项目名称 |``."""
    lines = [line for line in text.split("\n") if line.strip()]
    barred = sum(line.rstrip().endswith("|") and line.count("|") == 1 for line in lines)
    if lines and barred >= max(3, len(lines) * 3 // 5):
        return "\n".join(line.rstrip()[:-1].rstrip() if line.rstrip().endswith("|") and line.count("|") == 1 else line
                         for line in text.split("\n"))
    return text


def detect(text: str) -> str:
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return "text"
    tabbed = sum("\t" in line for line in lines)
    if tabbed >= max(2, len(lines) // 5):
        return "tsv"
    piped = sum(line.count("|") >= 2 for line in lines)
    if piped >= max(2, len(lines) // 4):
        return "pipes"
    from extractor.ingest.glued import is_glued

    if any(is_glued(line) for line in lines):
        return "glued"
    spaced = sum(bool(_CELL_GAP.search(line.strip())) for line in lines)
    if spaced >= max(3, len(lines) * 3 // 10) and not any(_is_flat_line(line) for line in lines):
        return "spaced"
    if any(_is_flat_line(line) for line in lines):
        return "flat"
    alone = sum(_is_label(line) for line in lines)
    if alone >= 4:
        return "cells"
    return "text"


def _is_flat_line(line: str) -> bool:
    """A line holding the labels of several rows: a form (or most of one) flattened."""
    compact = key(line)
    return sum(label in compact for label in ("项目名称", "主管部门", "一级指标", "三级指标", "总分", "评分等级",
                                              "年度总体目标", "项目资金")) >= 3


def _is_label(text: str) -> bool:
    k = _label_key(text)
    return k in ROW_LABELS or k in IN_ROW_LABELS or resolve_label(k) is not None


_ANNOTATION = re.compile(r"[(（](\d+(\.\d+)?分|盖章|万元|元|%)[)）]$")


def _label_key(text: str) -> str:
    """The comparison form of a label: ``key`` without a trailing colon or a printed annotation
    (``产出指标(50分)``, ``实施单位(盖章)``)."""
    k = key(text).rstrip(":：").replace("：", ":")
    stripped = _ANNOTATION.sub("", k).rstrip(":：")
    return stripped if stripped and stripped != "项目资金" else k


def _is_row_label(k: str) -> bool:
    """A label that opens a row: the fixed ones, 其中:…, 项目资金(万元)."""
    return k in ROW_LABELS or (k.startswith("其中") and len(k) <= 12) or (
        _FUNDS_HEAD.match(k) is not None and bool(re.search(r"[(（](万元|元)[)）]$", k)))


def _from_pipes(text: str) -> str:
    rows = []
    for line in text.split("\n"):
        if line.count("|") < 2:
            rows.append(line.strip())
            continue
        if _SEPARATOR_ROW.match(line):
            continue
        body = line.strip()
        body = body[1:] if body.startswith("|") else body
        body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
        cells = [c.replace("\\|", "|").strip() for c in re.split(r"(?<!\\)\|", body)]
        rows.append("\t".join(cells))
    return "\n".join(rows)


def rows_text(rows: list[list[str]]) -> str:
    return "\n".join("\t".join(row) for row in rows)


# --- flat text → tokens -------------------------------------------------------------------------

def flat_tokens(line: str) -> list[str]:
    """Space-separated pieces, re-joined where one cell was split (a label printed with spaces,
    a value and its unit, a bracket) and split where cells were printed without a space."""
    peeled: list[str] = []
    for raw in line.split():
        peeled.extend(_peel_labels(raw))
    pieces: list[str] = []
    for piece in peeled:                # a count and its counted noun: 22 个居民区
        if pieces and re.fullmatch(r"\d+", pieces[-1]) and _MEASURE.match(piece) and not _is_label(piece):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    tokens: list[str] = []
    i = 0
    while i < len(pieces):
        joined, used = _join_label(pieces, i)
        if used:
            tokens.append(joined)
            i += used
            continue
        piece = pieces[i]
        i += 1
        joined_count = 0
        while i < len(pieces) and joined_count < 3 and _continues(piece, pieces[i]):
            piece = f"{piece} {pieces[i]}"
            i += 1
            joined_count += 1
        tokens.append(piece)
    return tokens


def _peel_labels(raw: str) -> list[str]:
    """``产出指标数量指标足额保障率`` → ``产出指标``, ``数量指标``, ``足额保障率``."""
    out = []
    rest = raw
    while rest:
        k = _label_key(rest)
        if k in ROW_LABELS or k in IN_ROW_LABELS or _YEAR.match(rest) or (_TITLE.search(rest) and len(rest) < 30):
            out.append(rest)
            break
        head = _leading_label(rest)
        if head is None:
            out.extend(_split_target(rest))
            break
        points = re.match(r"^[(（]\d+(\.\d+)?分[)）]", rest[len(head):])
        if points:                      # 产出指标(50分): the points stay with their label
            head += points.group(0)
        out.append(head)
        rest = rest[len(head):].lstrip(":：")
    return out


_GLUED_TARGET = re.compile(r"^([^=≥≤<>＝＞＜≧≦\d]*[\u4e00-\u9fff)）])([=≥≤<>＝＞＜≧≦]\s*\d.*)$")


def _split_target(piece: str) -> list[str]:
    """A name printed against its target (``足额保障率=100%``) is two cells."""
    match = _GLUED_TARGET.match(piece)
    return [match.group(1), match.group(2)] if match else [piece]


def _leading_label(text: str) -> str | None:
    for label in _VOCABULARY:
        if len(label) >= 4 and text.startswith(label) and len(text) > len(label):
            return label
    for name in _LEVEL_NAMES:
        if text.startswith(name) and len(text) > len(name):
            return name
    return None


def _join_label(pieces: list[str], i: int) -> tuple[str, int]:
    """A label printed in pieces (``年度 总体 目标``, ``其中: 当年财政拨款``, ``项目资金 (万元)``)."""
    for n in (4, 3, 2):
        if i + n > len(pieces):
            continue
        joined = "".join(pieces[i:i + n])
        k = _label_key(joined)
        if k in ROW_LABELS or k in IN_ROW_LABELS or resolve_label(k) or is_section_label(k) or _YEAR.match(" ".join(pieces[i:i + n])):
            return " ".join(pieces[i:i + n]), n
        if _FUNDS_HEAD.match(k) and re.search(r"[(（](万元|元)[)）]$", k):
            return " ".join(pieces[i:i + n]), n
    return "", 0


_MEASURE = re.compile(r"^[个名项家场次人条篇期户所座台套件天月年位处批本册间辆棵亩]")


def _continues(piece: str, following: str) -> bool:
    """Whether ``following`` is the rest of the same cell: the rest of an open bracket, a unit after
    a number (``≤50000.00 (元/片区)``), a counted noun after a count (``22 个居民区``)."""
    if _is_number(following) or _is_label(following):
        return False
    if piece.count("(") + piece.count("（") > piece.count(")") + piece.count("）"):
        return True
    if re.fullmatch(r"\d+", piece) and _MEASURE.match(following):
        return True
    return bool(re.match(r"^[(（][^()（）]{1,8}[)）]$", following)) and bool(re.search(r"\d$", piece))


_LEVEL_NAMES = sorted({*(key(n) for n in ("成本指标", "产出指标", "效益指标", "满意度指标", "经济成本指标", "社会成本指标",
                                          "生态环境成本指标", "数量指标", "质量指标", "时效指标", "经济效益指标", "社会效益指标",
                                          "生态效益指标", "可持续影响指标", "服务对象满意度指标"))}, key=lambda s: (-len(s), s))


# --- tokens → rows ------------------------------------------------------------------------------

@dataclass
class _Rows:
    rows: list[list[str]] = field(default_factory=list)
    current: list[str] = field(default_factory=list)

    def add(self, token: str) -> None:
        self.current.append(token)

    def end(self) -> None:
        if self.current:
            self.rows.append(self.current)
            self.current = []

    def has_value(self) -> bool:
        return any(not _is_row_label(_label_key(t)) for t in self.current)


def _is_number(token: str) -> bool:
    return parse_number(token) is not None or key(token) in ("-", "—", "/", "－")


def _is_level(token: str) -> bool:
    """A whole level label (``产出指标``, ``数量 指标``, ``产出指标(50分)``) or a section label
    (``绩效指标``); a bare prefix such as ``满意`` is not one: targets say that too."""
    k = _label_key(token)
    label = resolve_label(k)
    return (label is not None and label.complete) or is_section_label(k)


_DECLARATION_MARKS = frozenset({"项目资金总额", "年度资金申请总额", "项目总目标"})
_SELF_EVALUATION_MARKS = frozenset({"年初预算数", "全年预算数", "全年执行数", "年度资金总额"})


def _is_fragment(token: str) -> bool:
    """A piece of a level label split by OCR (``效益``, ``指标``)."""
    k = key(token)
    return resolve_label(k) is not None or is_suffix_fragment(k)


def build_rows(tokens: list[str], *, spaced: bool = False) -> list[list[str]]:
    """Rows of a form from its cells in reading order, row boundaries lost. ``spaced``: the tokens
    are space-separated pieces (flattened text), so a long text cell may be several of them."""
    out = _Rows()
    declaration = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        k = _label_key(token)
        if k in _DECLARATION_MARKS or "申报表" in k:
            declaration = True
        elif k in _SELF_EVALUATION_MARKS or "自评表" in k:
            declaration = False
        if (_TITLE.search(token) and len(k) < 40 and not _is_label(token)) or _YEAR.match(token.strip()):
            out.end()
            out.rows.append([token])
            i += 1
        elif k in ("一级指标", "绩效指标") or (k in IN_ROW_LABELS and k in ("二级指标", "三级指标")):
            i = _indicator_table(tokens, i, out, spaced)
        elif _is_row_label(k):
            previous = _label_key(out.current[-1]) if out.current else ""
            paired = declaration and not out.has_value()     # 申报表: 项目资金总额 | 年度资金申请总额 on one row
            if out.current and not paired and not (k in GOAL_HEADS and previous in GOAL_HEADS):
                out.end()
            out.add(token)
            i += 1
            if k in ("年度总体目标", "项目绩效目标", "绩效目标"):
                i = _goal_rows(tokens, i, out, spaced)
        else:
            out.add(token)
            i += 1
    out.end()
    return out.rows


def _goal_rows(tokens: list[str], i: int, out: _Rows, spaced: bool) -> int:
    """Goal heads stay on the label's row; the goal texts below them go on the next row."""
    while i < len(tokens) and _label_key(tokens[i]) in GOAL_HEADS:
        out.add(tokens[i])
        i += 1
    heads = sum(_label_key(t) in GOAL_HEADS for t in out.current[1:])      # the row's own label is no head
    out.end()
    texts = []
    while i < len(tokens) and not _ends_goals(tokens[i]):
        texts.append(tokens[i])
        i += 1
    if spaced and len(texts) > heads >= 1:
        texts = _join_goal_texts(texts, heads)
    if texts:
        # fewer texts than heads: they stand under the last heads (the first, e.g. 项目总目标, is the one left empty)
        out.rows.append([""] * max(1, 1 + heads - len(texts)) + texts)
    return i


_ENUMERATOR = re.compile(r"^(<p>)?([(（]?\d{1,2}[.、)）]|[一二三四五六七八九十]+[、.])")


def _join_goal_texts(pieces: list[str], heads: int) -> list[str]:
    """Space-separated pieces of the goal texts, joined into one text per head: one text is all of
    them; two are cut where a sentence ends and no numbered list goes on (no sentence end: one text)."""
    if heads == 1:
        return [" ".join(pieces)]
    if heads != 2:
        return pieces
    listed = False
    best, best_score = len(pieces) // 2, -10
    for b in range(1, len(pieces)):
        before, after = pieces[b - 1], pieces[b]
        listed = listed or bool(_ENUMERATOR.match(before))
        score = 3 if before.endswith(("。", "</p>")) else 2 if before.endswith((";", "；", "!", "！", "?", "？")) else \
            -2 if before.endswith((",", "，", "、", ":", "：")) else 0
        if before.endswith("</p>") and after.startswith("<p>"):
            score += 2
        if listed and _ENUMERATOR.match(after):
            score -= 3
        if score > best_score:
            best, best_score = b, score
    if best_score < 2:                  # no sentence ends between them: one text (the other head left empty)
        return [" ".join(pieces)]
    return [" ".join(pieces[:best]), " ".join(pieces[best:])]


def _ends_goals(token: str) -> bool:
    k = _label_key(token)
    return _is_row_label(k) or k in ("二级指标", "三级指标") or _is_level(token)


def _indicator_table(tokens: list[str], i: int, out: _Rows, spaced: bool) -> int:
    """The head row, then indicator rows until a row label (总分, 评分等级, a new form)."""
    out.end()
    head = []
    while i < len(tokens) and (_label_key(tokens[i]) in IN_ROW_LABELS or _label_key(tokens[i]) in ("一级指标", "绩效指标")):
        head.append(tokens[i])
        i += 1
    if head and _label_key(head[0]) == "绩效指标" and len(head) == 1:
        out.add(head[0])            # a section label, not a head row: keep it with the rows below
    else:
        out.rows.append(head)
    scored = any(_label_key(t) in ("分值", "得分") for t in head)
    body_end = i
    while body_end < len(tokens) and _label_key(tokens[body_end]) not in ROW_LABELS - {"一级指标"} \
            and not _TITLE.search(tokens[body_end]):
        body_end += 1
    body = tokens[i:body_end]
    for row in (_scored_rows(body, spaced) if scored else _declared_rows(body)):
        out.rows.append(row)
    return body_end


def _scored_rows(body: list[str], spaced: bool) -> list[list[str]]:
    """Self-evaluation rows: each ends with its 分值 / 得分 pair; what lies between one pair and
    the next row's name, target and actual is the previous row's 偏差原因 note."""
    anchors = []            # index of each row's score token
    j = 0
    while j < len(body):
        if _is_number(body[j]):
            run = j
            while run + 1 < len(body) and _is_number(body[run + 1]):
                run += 1
            if run > j:
                anchors.append(run)
            j = run + 1
        else:
            j += 1
    if not anchors:
        return [body] if body else []
    rows: list[list[str]] = []
    start = 0
    for n, anchor in enumerate(anchors):
        row = body[start:anchor + 1]
        rows.append(row)
        start = anchor + 1
        gap_end = anchors[n + 1] - 1 if n + 1 < len(anchors) else len(body)
        gap = body[start:gap_end]
        notes = _notes_in_gap(gap, last=n + 1 == len(anchors), spaced=spaced)
        if notes:
            row.extend(body[start:start + notes])
            start += notes
    if start < len(body):
        rows.append(body[start:])
    return rows


def _notes_in_gap(gap: list[str], *, last: bool, spaced: bool) -> int:
    """How many tokens after a row's score belong to it (its note) rather than to the next row.
    In flattened text a name printed with spaces is several pieces: there only a piece that reads
    as a sentence (punctuated or long) is a note; the others are the start of the next name."""
    if last:                            # all of it, up to a level label printed with no row under it
        return next((n for n, token in enumerate(gap) if _is_level(token)), len(gap))
    for n, token in enumerate(gap):
        if _is_level(token) or (n < len(gap) - 3 and _is_fragment(token)):
            return n
    extra = max(0, len(gap) - 3)        # the next row is name, target, actual before its weight
    if spaced:
        notes = 0
        while notes < extra and _reads_as_note(gap[notes]):
            notes += 1
        return notes
    return extra


def _reads_as_note(piece: str) -> bool:
    return bool(re.search(r"[，,。；;]", piece)) or len(key(piece)) >= 25 or key(piece) in ("无", "/", "-", "—")


def _declared_rows(body: list[str]) -> list[list[str]]:
    """Declaration rows: level labels, then a name and its target. A row whose target was lost
    ends at its name when the next two cells are a name and a value (``≥1.00(个)``)."""
    rows: list[list[str]] = []
    current: list[str] = []
    values = 0
    for n, token in enumerate(body):
        if _is_level(token):
            if values:
                rows.append(current)
                current, values = [], 0
            current.append(token)
            continue
        following = body[n + 1] if n + 1 < len(body) else ""
        lost_target = values == 1 and not _VALUE.match(token) and _VALUE.match(following) and not _is_level(following)
        if values == 2 or lost_target:
            rows.append(current)
            current, values = [], 0
        current.append(token)
        values += 1
    if current:
        rows.append(current)
    return rows
