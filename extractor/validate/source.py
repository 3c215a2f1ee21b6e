"""The source text of a form, indexed for grounding values.

Lookups go cell by cell first (a value is usually one printed cell), then through the
whole text with NFKC and whitespace removed, then as a value split over cells (a cell cut
by a page break). Every hit comes back with its character span(s) in the document.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from itertools import chain, compress
from operator import attrgetter, not_
from typing import NamedTuple, Sequence
from decimal import Decimal
from functools import cached_property

from extractor.layout import Cell, Line, split_lines
from extractor.normalize import blank_tags, key, parse_number

MAX_SPLIT_PIECES = 4
MAX_SPLIT_VALUE = 400           # longer values are not searched for in pieces
SPLIT_SEARCH_STEPS = 200_000    # per source (a form or one of its regions), shared by all its values

_NUMBER_TOKEN = re.compile(r"\d[\d,，]*(?:\.\d+)?")
_NON_SPACE = re.compile(r"\S+")
_KEY_OF = attrgetter("key")


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

    @cached_property
    def cells(self) -> list[Cell]:
        """Every cell of the lines, in reading order (built on the first search, not before)."""
        return list(chain.from_iterable([l.cells for l in self.lines]))

    @cached_property
    def first_by_key(self) -> dict[str, Cell]:
        """Each key's first cell in reading order (a dict built from the last cell to the first,
        so that the first one of a key is the one kept)."""
        cells = self.cells[::-1]
        return dict(zip(map(_KEY_OF, cells), cells))

    @property
    def start(self) -> int:
        return self.lines[0].start if self.lines else 0

    @property
    def end(self) -> int:
        return self.lines[-1].start + len(self.lines[-1].raw) if self.lines else 0

    @cached_property
    def _normalized(self) -> tuple[str, list[int]]:
        """The form's text as comparison keys, with the document offset of every key character."""
        start = self.start
        text = blank_tags(self.document[start:self.end])
        folded = unicodedata.normalize("NFKC", text)
        if len(folded) != len(text):  # a character expanded: fold one by one to keep offsets
            return self._normalized_slowly(text)
        kept = list(map(not_, map(str.isspace, folded)))    # what \S keeps (both are Py_UNICODE_ISSPACE)
        return "".join(compress(folded, kept)), list(compress(range(start, start + len(folded)), kept))

    def _normalized_slowly(self, text: str) -> tuple[str, list[int]]:
        chars: list[str] = []
        offsets: list[int] = []
        for i, ch in enumerate(text):
            for out in unicodedata.normalize("NFKC", ch):
                if not out.isspace():
                    chars.append(out)
                    offsets.append(self.start + i)
        return "".join(chars), offsets

    @cached_property
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

    def _find_text(self, value: str) -> Match | None:
        k = key(value)
        if not k:
            return None
        cell = self.first_by_key.get(k)
        if cell is not None:
            return Match("exact" if self.document[cell.start:cell.end] == value else "normalized", ((cell.start, cell.end),))
        for cell in self.cells:  # printed inside a cell, e.g. 万元 in 项目资金 (万元)
            if k in cell.key:
                at = self.document.find(value, cell.start, cell.end)
                if at >= 0:
                    return Match("exact", ((at, at + len(value)),))
                break
        norm, offsets = self._normalized
        at = norm.find(k)
        if at >= 0:
            start, end = offsets[at], offsets[at + len(k) - 1] + 1
            return Match("exact" if self.document[start:end] == value else "normalized", ((start, end),))
        return self._find_split(k)

    def _find_split(self, k: str) -> Match | None:
        """A value printed in pieces over several cells, in reading order (at most 4 pieces).

        Dynamic programming over the value's prefixes, not a search over cell combinations:
        for each prefix and piece count, the earliest cell that can end it. Its cost is bounded
        by the value's length, not by the cells; all searches of one source share
        ``SPLIT_SEARCH_STEPS``, and a search cut short is remembered in ``search_cut``.
        """
        if len(k) > MAX_SPLIT_VALUE or not self.cells:
            return None
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

    @cached_property
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

    @cached_property
    def _key_lengths(self) -> list[int]:
        return sorted(set(map(len, self._cells_by_key)))

    @cached_property
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
