"""The source text of a form, indexed for grounding values.

Lookups go cell by cell first (a value is usually one printed cell), then through the
whole text with NFKC and whitespace removed, then as a value split over cells (a cell cut
by a page break). Every hit comes back with its character span(s) in the document.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate, chain, compress, repeat
from operator import attrgetter, contains, not_
from typing import NamedTuple, Sequence
from decimal import Decimal
from functools import cache

from extractor.layout import Cell, Line, split_lines
from extractor.normalize import blank_tags, key, parse_number

MAX_SPLIT_PIECES = 4
MAX_SPLIT_VALUE = 400           # longer values are not searched for in pieces
SPLIT_SEARCH_STEPS = 200_000    # per source (a form or one of its regions), shared by all its values

_NUMBER_TOKEN = re.compile(r"\d[\d,，]*(?:\.\d+)?")
_NON_SPACE = re.compile(r"\S+")
_KEY_OF = attrgetter("key")


# Blocks whose characters NFKC may map one to one (ASCII and the CJK ideographs always do).
_ONE_TO_ONE_BLOCKS = ((0x00A0, 0x00FF), (0x2000, 0x206F), (0x2100, 0x27BF), (0x3000, 0x303F), (0xF900, 0xFAFF),
                      (0xFE30, 0xFE4F), (0xFF00, 0xFFEF))
_ALWAYS_ONE_TO_ONE = ((0x09, 0x0A), (0x0D, 0x0D), (0x20, 0x7E), (0x3400, 0x4DBF), (0x4E00, 0x9FFF))


def _in_blocks(code: int) -> bool:
    return any(low <= code <= high for low, high in _ALWAYS_ONE_TO_ONE + _ONE_TO_ONE_BLOCKS)


def _maps_one_to_one(char: str) -> bool:
    """NFKC takes ``char`` to one character whatever stands around it: its compatibility
    decomposition is one starter of these blocks (none combines with a neighbour: no combining
    mark, no second of a composition pair, no Hangul jamo), and a space stays a space."""
    folded = unicodedata.normalize("NFKD", char)
    return (len(folded) == 1 and not unicodedata.combining(folded) and _in_blocks(ord(folded))
            and char.isspace() == folded.isspace())


@cache
def _not_one_to_one() -> re.Pattern[str]:
    """A character outside the ones NFKC maps one to one: a text without any is folded
    character by character, its length kept, its spaces where they were (built on first use)."""
    codes = [c for low, high in _ONE_TO_ONE_BLOCKS for c in range(low, high + 1) if _maps_one_to_one(chr(c))]
    ranges = [*_ALWAYS_ONE_TO_ONE]
    for code in codes:
        if ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return re.compile("[^" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in sorted(ranges)) + "]")



def folds_one_to_one(text: str) -> bool:
    """NFKC maps each character of ``text`` to one character, whatever stands around it."""
    return _not_one_to_one().search(text) is None


class _once:
    """``functools.cached_property`` without its lock (Python 3.11 takes one on every first read,
    which costs more than most of these take to build): computed on the first read, then the
    instance's own attribute."""

    def __init__(self, build):
        self.build, self.name = build, build.__name__
        self.__doc__ = build.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.build(instance)
        return value


class Match(NamedTuple):
    """Where a value is printed (a named tuple: one is made for every value of every form)."""

    status: str                       # exact | normalized | split
    spans: tuple[tuple[int, int], ...]


class SourceText:
    """One form's lines of a document (or a whole document), with offsets into the document."""

    def __init__(self, document: str, lines: list[Line] | None = None, first_line: int = 0, last_line: int | None = None):
        all_lines = lines if lines is not None else split_lines(document)
        last = len(all_lines) - 1 if last_line is None else last_line
        self.document = document
        self.lines = [l for l in all_lines if first_line <= l.number <= last]
        self._index()

    @classmethod
    def of_lines(cls, document: str, lines: Sequence[Line]) -> "SourceText":
        """A source made of some lines of a form (one of its regions)."""
        source = cls.__new__(cls)
        source.document = document
        source.lines = list(lines)
        source._index()
        return source

    def part(self, lines: Sequence[Line]) -> "SourceText":
        """The same document, restricted to some of these lines (a region of the form)."""
        return SourceText.of_lines(self.document, lines)

    def _index(self) -> None:
        self.split_steps = 0
        self.search_cut: set[str] = set()          # keys whose split search hit the step limit
        self._found: dict[str, Match] = {}
        self._splits: dict[str, tuple[Match | None, int]] = {}   # a split search's answer and its steps

    @_once
    def cells(self) -> list[Cell]:
        """Every cell of the lines, in reading order (built on the first search, not before)."""
        return list(chain.from_iterable([l.cells for l in self.lines]))

    @_once
    def keys(self) -> list[str]:
        """Each cell's key, in reading order."""
        return list(map(_KEY_OF, self.cells))

    @_once
    def first_by_key(self) -> dict[str, Cell]:
        """Each key's first cell in reading order (a dict built from the last cell to the first,
        so that the first one of a key is the one kept)."""
        return dict(zip(reversed(self.keys), reversed(self.cells)))

    @property
    def start(self) -> int:
        return self.lines[0].start if self.lines else 0

    @property
    def end(self) -> int:
        return self.lines[-1].start + len(self.lines[-1].raw) if self.lines else 0

    @_once
    def _normalized(self) -> tuple[str, list[int]]:
        """The form's text as comparison keys, with the document offset of every key character."""
        start = self.start
        text = blank_tags(self.document[start:self.end])
        folded = unicodedata.normalize("NFKC", text)
        if len(folded) != len(text):  # a character expanded: fold one by one to keep offsets
            return self._normalized_slowly(text)
        kept = list(map(not_, map(str.isspace, folded)))    # what \S keeps (both are Py_UNICODE_ISSPACE)
        return "".join(compress(folded, kept)), list(compress(range(start, start + len(folded)), kept))

    @_once
    def _keys_text(self) -> str | None:
        """The text of ``_normalized`` without folding it, when it is the cells' keys back to back:
        the lines are the whole span (none between them left out), it prints no tag, and NFKC maps
        each of its characters one to one (a key is its cell's text folded, spaces taken out).
        None otherwise (then only the folded text says)."""
        text = self.document[self.start:self.end]
        if "<" in text or "\n".join([line.raw for line in self.lines]) != text or _not_one_to_one().search(text):
            return None
        return "".join(self.keys)

    def _key_offset(self, i: int) -> int:
        """The document offset of character ``i`` of ``_keys_text``: in its cell, the printed
        character it folds from (a cell's key is its printed characters folded one to one,
        spaces left out)."""
        edges = self._key_edges
        at = bisect_right(edges, i) - 1
        cell = self.cells[at]
        printed = self.document[cell.start:cell.end]
        return cell.start + [p for p, ch in enumerate(printed) if not ch.isspace()][i - edges[at]]

    @_once
    def _key_edges(self) -> list[int]:
        """Where each cell's key starts in ``_keys_text``."""
        return list(accumulate(map(len, self.keys), initial=0))

    def _normalized_slowly(self, text: str) -> tuple[str, list[int]]:
        chars: list[str] = []
        offsets: list[int] = []
        for i, ch in enumerate(text):
            for out in unicodedata.normalize("NFKC", ch):
                if not out.isspace():
                    chars.append(out)
                    offsets.append(self.start + i)
        return "".join(chars), offsets

    @_once
    def _number_tokens(self) -> list[tuple[Decimal, int, int, str]]:
        tokens = []
        text = unicodedata.normalize("NFKC", self.document[self.start:self.end])
        for m in _NUMBER_TOKEN.finditer(text):
            value = parse_number(m.group())
            if value is not None:
                tokens.append((value, self.start + m.start(), self.start + m.end(), m.group()))
        return tokens

    def find_text(self, value: str) -> Match | None:
        """Where the text is printed; a value asked again (a level printed on many rows) is looked
        up once (not a split match: that search draws on the source's step budget each time)."""
        found = self._found.get(value)
        if found is None:
            found = self._find_text(value)
            if found is not None and found.status != "split":
                self._found[value] = found
        return found

    def cell_match(self, value: str) -> Match | None:
        """The first cell whose key is the text's (the first place :meth:`find_text` looks)."""
        k = key(value)
        cell = self.first_by_key.get(k) if k else None
        if cell is None:
            return None
        return Match("exact" if self.document[cell.start:cell.end] == value else "normalized", ((cell.start, cell.end),))

    def _find_text(self, value: str) -> Match | None:
        k = key(value)
        if not k:
            return None
        found = self.cell_match(value)
        if found is not None:
            return found
        # printed inside a cell, e.g. 万元 in 项目资金 (万元): the first cell whose key holds it
        cell = next(compress(self.cells, map(contains, self.keys, repeat(k))), None)
        if cell is not None:
            at = self.document.find(value, cell.start, cell.end)
            if at >= 0:
                return Match("exact", ((at, at + len(value)),))
        keys = self._keys_text
        if keys is not None:                # the normalized text, unfolded: see _keys_text
            at = keys.find(k)
            if at < 0:
                return self._find_split(k)
            start, end = self._key_offset(at), self._key_offset(at + len(k) - 1) + 1
        else:
            norm, offsets = self._normalized
            at = norm.find(k)
            if at < 0:
                return self._find_split(k)
            start, end = offsets[at], offsets[at + len(k) - 1] + 1
        return Match("exact" if self.document[start:end] == value else "normalized", ((start, end),))

    def _find_split(self, k: str) -> Match | None:
        """A value printed in pieces over several cells, in reading order (at most 4 pieces).

        Dynamic programming over the value's prefixes, not a search over cell combinations:
        for each prefix and piece count, the earliest cell that can end it. Its cost is bounded
        by the value's length, not by the cells; all searches of one source share
        ``SPLIT_SEARCH_STEPS``, and a search cut short is remembered in ``search_cut``.

        A value searched again gets the first search's answer and draws the same steps from the
        budget, as the same search again would; one the budget no longer covers is searched
        again (and cut where the first search was not).
        """
        if len(k) > MAX_SPLIT_VALUE or not self.cells:
            return None
        done = self._splits.get(k)
        if done is not None and self.split_steps + done[1] <= SPLIT_SEARCH_STEPS:
            self.split_steps += done[1]
            return done[0]
        before = self.split_steps
        match = self._search_split(k)
        if k not in self.search_cut:
            self._splits[k] = (match, self.split_steps - before)
        return match

    def _search_split(self, k: str) -> Match | None:
        """:meth:`_find_split`'s dynamic programming, drawing on the step budget."""
        positions = self._cells_by_key
        lengths = self._key_lengths
        # best[(p, d)]: the earliest cell index ending a match of k[:p] in d pieces, with the path
        best: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = {(0, 0): (-1, ())}
        for p in range(len(k)):
            for d in range(MAX_SPLIT_PIECES):
                state = best.get((p, d))
                if state is None:
                    continue
                last, path = state
                for length in lengths:
                    self.split_steps += 1
                    if self.split_steps > SPLIT_SEARCH_STEPS:
                        self.search_cut.add(k)
                        return None
                    if p + length > len(k):
                        break
                    indices = positions.get(k[p:p + length])
                    if not indices:
                        continue
                    at = bisect_right(indices, last)
                    if at == len(indices):
                        continue
                    cell, end = indices[at], (p + length, d + 1)
                    if end == (len(k), 1):
                        continue                    # one whole cell is not a split (found earlier)
                    if end not in best or cell < best[end][0]:
                        best[end] = (cell, path + (cell,))
        ends = [best[(len(k), d)] for d in range(2, MAX_SPLIT_PIECES + 1) if (len(k), d) in best]
        if not ends:
            return None
        _, path = min(ends, key=lambda state: (len(state[1]), state[0]))
        return Match("split", tuple((self.cells[i].start, self.cells[i].end) for i in path))

    @_once
    def _cells_by_key(self) -> dict[str, list[int]]:
        positions: dict[str, list[int]] = {}
        get = positions.get
        for i, k in enumerate(map(_KEY_OF, self.cells)):
            held = get(k)
            if held is None:
                positions[k] = [i]
            else:
                held.append(i)
        positions.pop("", None)
        return positions

    @_once
    def _key_lengths(self) -> list[int]:
        return sorted(set(map(len, self._cells_by_key)))

    @_once
    def _numbers_by_value(self) -> dict[Decimal, tuple[Decimal, int, int, str]]:
        """The first number token of each value, indexed once (a lookup is then O(1))."""
        index: dict[Decimal, tuple[Decimal, int, int, str]] = {}
        for token in self._number_tokens:
            index.setdefault(token[0], token)
        return index

    def find_number(self, value: Decimal) -> Match | None:
        token = self._numbers_by_value.get(value)
        if token is None:
            return None
        _, start, end, printed = token
        status = "exact" if "," not in printed and "，" not in printed and self.document[start:end] == printed else "normalized"
        return Match(status, ((start, end),))
