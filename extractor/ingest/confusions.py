"""OCR character confusions, corrected only where the form itself makes the correction unique.

RapidOCR reads some characters as a look-alike: ``志愿`` as ``态愿``, ``≤3.00`` as ``≤3:00``,
``100.00`` as ``1O0.00``. A page that was OCR'd (never a text layer, a text file or a workbook:
their characters are what the document prints) goes through :func:`correct_ocr_text` before it
is laid out and parsed. A token is changed only when one entry of the :data:`CONFUSIONS` table
turns it into exactly one thing the form's own model knows, and into nothing else:

- **labels** (``vocabulary``): a cell whose text, without its annotation (``(万元)``, ``(10分)``,
  a trailing colon), is not a label of the form specs (``extractor/specs/*.toml``: titles, header,
  fund and indicator column labels, tail labels) or of the level framework (``满意度指标``,
  ``社会效益指标`` …, and the pieces a wrapped cell prints of them), but is one confusion away
  from exactly one of them;
- **fixed phrases** (``phrase``): a few words that the indicator table prints in its names and
  values (:data:`PHRASES`, e.g. ``志愿``), each chosen so that none of its confused readings is a
  word (``态愿``); only inside the indicator table, never in a header value (project name, units,
  dates), the goals or other free text;
- **numbers** (``number``): a cell that is a number with an optional sign and unit
  (``≤3:00(天)``, ``95:53%``, ``1O0.00``) but does not parse as one, and parses after exactly one
  reading of its confusable characters (``O``/``o`` → 0, ``l``/``I``/``|`` → 1, ``:``/``。``/``,``
  before the last two digits → the decimal point). ``3:00`` without a unit could be a time of
  day: it is corrected only where the row around it is a row of numbers (amounts, weights,
  scores); where arithmetic applies to the row (得分 ≤ 分值, 执行率 = 执行数 / 预算数), the
  corrected value must satisfy it.

Most corrections replace characters one for one; a dropped decimal point or a lost ``)`` put back
changes a token's length, and :func:`shift_offsets` moves the page's boxes by it. Each is an
:class:`OcrCorrection` carrying the span, the text as read and as corrected, and why. The pipeline makes each one an ``ocr_corrected`` finding on the form that
holds it (the original stays in the finding and in the result's ``input.ocr_corrections``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from decimal import Decimal, ROUND_DOWN, ROUND_HALF_UP
from functools import lru_cache
from typing import Iterable, Sequence

from extractor.framework import FRAMEWORK, LEVEL2, SECTION_LABELS
from extractor.layout import Cell, Line, split_lines
from extractor.normalize import parse_number
from extractor.regions import is_grade_row, is_table_head, is_total_row
from extractor.spec import all_specs

# Visually similar pairs RapidOCR (PP-OCR) confuses on scanned forms, each read both ways.
# CJK pairs differ by one short stroke; the ASCII ones are digits and separators against letters
# and punctuation of the same shape.
CONFUSION_PAIRS: tuple[tuple[str, str], ...] = (
    ("态", "志"), ("己", "已"), ("已", "巳"), ("未", "末"), ("土", "士"), ("人", "入"), ("日", "曰"),
    ("干", "千"), ("拨", "拔"), ("侯", "候"), ("戍", "戌"), ("币", "市"), ("夭", "天"),
    ("0", "O"), ("0", "o"), ("0", "D"), ("1", "l"), ("1", "I"), ("1", "|"), (".", ":"), (".", "。"), (".", ","),
)
CONFUSIONS: dict[str, frozenset[str]] = {}
for _a, _b in CONFUSION_PAIRS:
    CONFUSIONS[_a] = CONFUSIONS.get(_a, frozenset()) | {_b}
    CONFUSIONS[_b] = CONFUSIONS.get(_b, frozenset()) | {_a}

# Words the indicator table prints inside its names and values, corrected there when read with
# one confusion. Each is listed only if none of its confused readings is itself a word: ``未完成``
# is not here (``末完成`` is printed in ``年末完成率``), nor ``人数`` (``投入数量``).
PHRASES: tuple[str, ...] = ("志愿", "已完成", "已达成", "已按时", "满意度", "服务对象", "完成率", "达成指标")

_LEAD = re.compile(r"^(?:其中|[一二三四五六七八九十]{1,3}、|\d{1,2}[.、])[:：]?")    # 其中：当年财政拨款, 一、
_ANNOTATION = re.compile(r"(?:[(（][^()（）]{0,12}[)）]|[:：])+$")
_NUMBER_CELL = re.compile(r"^(?P<sign>[≥≤=<>＜＞]=?)?(?P<number>[0-9OoDlI|:。.,]*[0-9][0-9OoDlI|:。.,]*)"
                          r"(?P<unit>%|[(（][^()（）\d]{1,10}[)）])?$")
_DIGIT_FOR = {"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1"}
_DECIMAL_FOR = (":", "。", ",")
_PLAIN_DECIMAL = re.compile(r"^\d[\d,]*\.\d{2}$")
_WHOLE = re.compile(r"^\d{3,}$")
_WITH_UNIT = re.compile(r"^(?:[≥≤=<>＜＞]=?)?\d[\d,]*(?:\.\d+)?(?P<unit>[(（][^\d]{1,16})$")
_UNIT_MARKS = frozenset(")）/")          # what OCR loses of a unit: its closing parenthesis, a slash
_LONGEST_CELL = 40                 # labels and numbers are short; a longer cell is free text


@dataclass(frozen=True)
class OcrCorrection:
    """One token of OCR text changed, character for character: ``text[start:end]`` was
    ``original`` as read and is ``corrected`` now."""

    start: int
    end: int
    original: str
    corrected: str
    rule: str          # vocabulary | phrase | number
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"span": [self.start, self.end], "original": self.original, "corrected": self.corrected,
                "rule": self.rule, "reason": self.reason}


# ---------------------------------------------------------------- the vocabulary


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """Every label the form model knows, with the pieces (3+ characters) a wrapped level label
    prints on its lines (``服务对象`` / ``满意度指标``)."""
    words: set[str] = set(FRAMEWORK) | set(LEVEL2) | set(SECTION_LABELS)
    levels = tuple(words)
    for name in levels:
        words |= {name[:i] for i in range(3, len(name))} | {name[i:] for i in range(1, len(name) - 2)}
    for spec in all_specs():
        words |= {spec.printed_title, *spec.titles, *spec.marks}
        for table in (spec.header, spec.goals, spec.fund_rows, spec.fund_columns, spec.fund_amounts,
                      spec.indicator_columns, spec.tail):
            words |= {label for labels in table.values() for label in labels}
    return frozenset(w for w in words if len(w) >= 2)


@lru_cache(maxsize=1)
def _titles() -> tuple[str, ...]:
    return tuple(sorted({t for spec in all_specs() for t in (spec.printed_title, *spec.titles) if len(t) >= 5},
                        key=lambda s: (-len(s), s)))


@lru_cache(maxsize=1)
def _header_labels() -> frozenset[str]:
    return frozenset(label for spec in all_specs() for table in (spec.header, spec.goals)
                     for labels in table.values() for label in labels)


def _one_away(word: str, known: frozenset[str]) -> set[tuple[int, str]]:
    """(position, character) of every single confusion that turns ``word`` into a known word."""
    found = set()
    for i, ch in enumerate(word):
        for other in CONFUSIONS.get(ch, ()):
            if word[:i] + other + word[i + 1:] in known:
                found.add((i, other))
    return found


@lru_cache(maxsize=1)
def _phrase_readings() -> dict[str, str]:
    """Each confused reading of a phrase → the phrase (readings of two phrases are dropped)."""
    readings: dict[str, set[str]] = {}
    for phrase in PHRASES:
        for i, ch in enumerate(phrase):
            for other in CONFUSIONS.get(ch, ()):
                readings.setdefault(phrase[:i] + other + phrase[i + 1:], set()).add(phrase)
    return {reading: next(iter(p)) for reading, p in readings.items() if len(p) == 1 and reading not in PHRASES}


# ---------------------------------------------------------------- a cell's text


class _Token:
    """A cell's characters without whitespace, each with its offset in the document."""

    def __init__(self, text: str, cell: Cell) -> None:
        raw = text[cell.start:cell.end]
        self.document = text
        self.offsets = [cell.start + i for i, ch in enumerate(raw) if not ch.isspace()]
        self.text = "".join(text[i] for i in self.offsets)


def _label_fix(token: _Token) -> OcrCorrection | None:
    """The cell's label, when the cell is one confusion away from exactly one label."""
    lead = _LEAD.match(token.text)
    at = lead.end() if lead else 0
    head = _ANNOTATION.sub("", token.text[at:]) or token.text[at:]
    known = vocabulary()
    if head in known:
        return None
    fixes = _one_away(head, known) if len(head) >= 2 else set()
    if not fixes:
        return _title_fix(token)
    if len(fixes) > 1:
        return None                           # two labels are as near: left as read
    (i, ch), = fixes
    corrected = head[:i] + ch + head[i + 1:]
    return _spanning(token, at, at + len(head), corrected, "vocabulary",
                     f"{head[i]}→{ch}: {corrected} is the only label one OCR confusion away")


def _title_fix(token: _Token) -> OcrCorrection | None:
    """A form title read with one confusion inside a longer title line (``2024年度…绩效白评表``)."""
    word = token.text
    for title in _titles():
        if len(word) < len(title) or title in word:
            continue
        for at in range(len(word) - len(title) + 1):
            window = word[at:at + len(title)]
            diffs = [i for i in range(len(title)) if window[i] != title[i]]
            if len(diffs) == 1 and title[diffs[0]] in CONFUSIONS.get(window[diffs[0]], ()):
                return _spanning(token, at, at + len(title), title, "vocabulary",
                                 f"{window[diffs[0]]}→{title[diffs[0]]}: the form title {title}")
    return None


def _phrase_fixes(token: _Token) -> list[OcrCorrection]:
    readings = _phrase_readings()
    fixes, at = [], 0
    word = token.text
    while at < len(word):
        hit = next(((reading, phrase) for reading, phrase in readings.items() if word.startswith(reading, at)), None)
        if hit is None:
            at += 1
            continue
        reading, phrase = hit
        fixes.append(_spanning(token, at, at + len(reading), phrase, "phrase",
                               f"{reading} is no word; {phrase} is the table's phrase one OCR confusion away"))
        at += len(reading)
    return fixes


def _spanning(token: _Token, start: int, end: int, corrected: str, rule: str, reason: str) -> OcrCorrection:
    """The correction of the token's characters ``start:end`` to ``corrected``, spanning the
    document's characters from the first that changes to the last (whitespace between kept)."""
    changed = [i for i in range(start, end) if token.text[i] != corrected[i - start]]
    begin, stop = token.offsets[changed[0]], token.offsets[changed[-1]] + 1
    chars = list(token.document[begin:stop])
    for i in changed:
        chars[token.offsets[i] - begin] = corrected[i - start]
    return OcrCorrection(begin, stop, token.document[begin:stop], "".join(chars), rule, reason)


# ---------------------------------------------------------------- numbers


def number_reading(text: str) -> str | None:
    """The one number a number cell read with confusions stands for (``≤3:00(天)`` →
    ``≤3.00(天)``), or None: nothing to correct, more than one reading, or not a number cell."""
    match = _NUMBER_CELL.match(text)
    if not match or parse_number(match["number"]) is not None:
        return None
    number = "".join(_DIGIT_FOR.get(ch, ch) for ch in match["number"])
    if parse_number(number) is None:
        separators = [i for i, ch in enumerate(number) if ch in _DECIMAL_FOR]
        candidates = {number[:i] + "." + number[i + 1:] for i in separators}
        candidates = {c for c in candidates if parse_number(c) is not None and c[-3:-2] == "."}
        if len(candidates) != 1:
            return None
        number = candidates.pop()
    return f"{match['sign'] or ''}{number}{match['unit'] or ''}"


def _is_clock(read: str) -> bool:
    """``8:30`` read bare could be a time of day: a colon, no sign or unit, a valid hh:mm."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", read)
    return bool(m) and int(m[1]) <= 24 and int(m[2]) < 60


def _value(text: str) -> Decimal | None:
    return parse_number(text[:-1] if text.endswith("%") else text)


def _number_fixes(tokens: Sequence[_Token], scores: bool) -> list[OcrCorrection]:
    """The row's number cells read with a confusion or without their decimal point, where the
    reading is unique and the row's arithmetic agrees. ``scores``: a row that ends with 分值, 得分
    (an indicator row, the 总分 row); otherwise a fund row may hold 执行率."""
    readings: list[str | None] = [number_reading(t.text) if len(t.text) <= 24 else None for t in tokens]
    values = [_value(r or t.text) for t, r in zip(tokens, readings)]
    decimals = sum(1 for t in tokens if _PLAIN_DECIMAL.match(t.text))
    fixes = []
    for i, token in enumerate(tokens):
        reading = readings[i]
        if reading is None and (unit := _unit_reading(token.text, tokens)):
            fixes.append(_replacing(token, unit, "unit", f"{token.text} → {unit}: the row prints the unit "
                                    "whole; OCR lost a parenthesis or slash of it here"))
            continue
        if reading is None:
            reading = _dropped_point(token.text, values, i, scores, decimals)
            if reading is None:
                continue
            fixes.append(_replacing(token, reading, "number", f"{token.text} → {reading}: the decimal point "
                                    "OCR dropped; the row's arithmetic does not hold as read and holds with it"))
            continue
        holds = _arithmetic(values, i, scores)
        others = decimals - (1 if _PLAIN_DECIMAL.match(token.text) else 0)
        if holds is False or (_is_clock(token.text) and others < 2 and not holds):
            continue                          # the row's arithmetic fails, or a time of day as far as it can tell
        why = "the only number it can be read as"
        if holds:
            why += ", and the row's arithmetic holds with it"
        fixes.append(_replacing(token, reading, "number", f"{token.text} → {reading}: {why}"))
    return fixes


def _unit_reading(text: str, tokens: Sequence[_Token]) -> str | None:
    """``≤2435.90(元/年/点位`` → ``≤2435.90(元/年/点位)`` where another cell of the row prints
    ``(元/年/点位)``: a number's unit the row prints elsewhere with one more ``)`` or ``/``, the
    only such unit of the row (target and actual share their unit)."""
    match = _WITH_UNIT.match(text)
    if not match:
        return None
    unit = match["unit"]
    units = {m["unit"] for t in tokens if (m := _WITH_UNIT.match(t.text))}
    whole = {u for u in units if len(u) == len(unit) + 1
             and any(u[i] in _UNIT_MARKS and u[:i] + u[i + 1:] == unit for i in range(len(u)))}
    return text[:match.start("unit")] + whole.pop() if len(whole) == 1 else None


def _dropped_point(text: str, values: list[Decimal | None], i: int, scores: bool, decimals: int) -> str | None:
    """``500`` for ``5.00``: a whole number of 3+ digits in a row whose other numbers print two
    decimals, where the row's arithmetic does not hold as read (得分 over 分值; no 执行率
    identity) and holds with the point put back."""
    if not _WHOLE.match(text) or decimals < 1 or _arithmetic(values, i, scores):
        return None
    reading = f"{text[:-2]}.{text[-2:]}"
    trial = list(values)
    trial[i] = Decimal(reading)
    return reading if _arithmetic(trial, i, scores) else None


def _replacing(token: _Token, reading: str, rule: str, reason: str) -> OcrCorrection:
    """The correction of a whole token to ``reading`` (of another length: a dropped character)."""
    if len(reading) == len(token.text):
        return _spanning(token, 0, len(token.text), reading, rule, reason)
    begin, stop = token.offsets[0], token.offsets[-1] + 1
    return OcrCorrection(begin, stop, token.document[begin:stop], reading, rule, reason)


_CENT = Decimal("0.01")


def _arithmetic(values: Sequence[Decimal | None], i: int, scores: bool) -> bool | None:
    """Whether the row's identities hold with ``values[i]``; None where none applies to it.

    A row of the indicator table (and the 总分 row) ends with 分值, 得分: 得分 ≤ 分值. A fund
    row holds budget, executed and 执行率: True when the value is executed / budget of two
    numbers before it (rounded or truncated); which cell is the rate is not known here, so a
    fund row never says False."""
    numbers = [(j, v) for j, v in enumerate(values) if v is not None]
    if scores:
        if len(numbers) >= 2 and i in (numbers[-1][0], numbers[-2][0]):
            return numbers[-1][1] <= numbers[-2][1]
        return None
    value = values[i]
    if value is None or len(numbers) < 3:
        return None
    for a, budget in numbers:
        for b, executed in numbers:
            if a < b < i and budget > 0:
                rate = executed / budget * 100
                if value in (rate.quantize(_CENT, ROUND_HALF_UP), rate.quantize(_CENT, ROUND_DOWN)):
                    return True
    return None


# ---------------------------------------------------------------- the document


def correct_ocr_text(text: str, ocr_lines: Iterable[range] | None = None) -> tuple[str, list[OcrCorrection]]:
    """``text`` with its OCR confusions corrected where unique, and the corrections made (their
    spans in the corrected text).

    ``ocr_lines``: the line numbers that came from OCR (a PDF may mix text-layer and scanned
    pages); all lines when None.
    """
    wanted = None if ocr_lines is None else {n for r in ocr_lines for n in r}
    headers = _header_labels()
    edits: list[OcrCorrection] = []          # spans in the text as read
    in_table = False
    for line in split_lines(text):
        if not line.cells:
            continue
        if is_table_head(line):
            in_table = True
        total = is_total_row(line)
        if in_table and (total or is_grade_row(line)):
            in_table = False
        if wanted is not None and line.number not in wanted:
            continue
        tokens = [_Token(text, cell) for cell in line.cells]
        mine = _number_fixes(tokens, in_table or total)
        for j, token in enumerate(tokens):
            if j and _ANNOTATION.sub("", tokens[j - 1].text) in headers:
                continue                      # a header's value: project name, unit, goal text
            if len(token.text) > _LONGEST_CELL or any(token.offsets[0] <= e.start < token.offsets[-1] + 1 for e in mine):
                continue
            fix = _label_fix(token)
            if fix is not None:
                mine.append(fix)
            elif in_table:
                mine += _phrase_fixes(token)
        if not in_table and is_table_head(_corrected_line(line, mine)):
            in_table = True
        edits += mine
    return apply_edits(text, edits)


def apply_edits(text: str, edits: Iterable[OcrCorrection]) -> tuple[str, list[OcrCorrection]]:
    """The text with ``edits`` (spans in ``text``, never overlapping) made, and the edits with
    their spans in the new text."""
    pieces, made, at, shift = [], [], 0, 0
    for e in sorted(edits, key=lambda e: e.start):
        pieces += [text[at:e.start], e.corrected]
        made.append(replace(e, start=e.start + shift, end=e.start + shift + len(e.corrected)))
        shift += len(e.corrected) - (e.end - e.start)
        at = e.end
    pieces.append(text[at:])
    return "".join(pieces), made


def restore(text: str, corrections: Iterable[OcrCorrection]) -> str:
    """The text as OCR read it, before ``corrections`` (spans in ``text``)."""
    for c in sorted(corrections, key=lambda c: c.start, reverse=True):
        text = text[:c.start] + c.original + text[c.end:]
    return text


def shift_offsets(spans: Sequence[tuple[int, int]], corrections: Sequence[OcrCorrection]) -> list[tuple[int, int]]:
    """Spans of the text as read, moved into the corrected text: a correction that changed the
    length moves what follows it, and a span holding it grows or shrinks with it."""
    read_starts, read_ends, moved = [], [], [0]
    for c in sorted(corrections, key=lambda c: c.start):
        start = c.start - moved[-1]
        read_starts.append(start)
        read_ends.append(start + len(c.original))
        moved.append(moved[-1] + len(c.corrected) - len(c.original))
    if not any(moved):
        return list(spans)
    return [(s + moved[bisect_right(read_ends, s)], e + moved[bisect_left(read_starts, e)]) for s, e in spans]


def _corrected_line(line: Line, edits: Sequence[OcrCorrection]) -> Line:
    """The line as it reads with the edits made on it (a table head read with a confusion)."""
    if not edits:
        return line
    local = [replace(e, start=e.start - line.start, end=e.end - line.start) for e in edits]
    return split_lines(apply_edits(line.raw, local)[0])[0]
