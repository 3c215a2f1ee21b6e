"""The form model as data: one spec per form type, read from ``extractor/specs/*.toml``.

A spec holds what a template prints: its titles, the labels of each header field and their
synonyms, the fund rows and columns, the indicator table's columns and their header labels, the
tail rows, and the checks that apply. The level framework (standard and older hierarchies) is
``framework.toml``. The parser, segmentation and validators read these; a province's template
is added by adding its labels to a spec, and a new form type by adding a spec file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from extractor.errors import UnknownFormType
from extractor.normalize import key
from extractor.textconv import simplified

SPEC_DIR = Path(__file__).with_name("specs")
FRAMEWORK_FILE = "framework.toml"
# Indicator columns whose cells make up one hand-off field, in printed order (指标性质|指标值|度量单位).
TARGET_PARTS = ("target_sign", "target", "target_unit")


@dataclass(frozen=True)
class FormSpec:
    """One form type's printed model."""

    form_type: str
    printed_title: str
    titles: tuple[str, ...]
    title_words: tuple[str, ...]
    marks: tuple[str, ...]
    checks: tuple[str, ...]
    header: dict[str, tuple[str, ...]]
    goals: dict[str, tuple[str, ...]]
    fund_rows: dict[str, tuple[str, ...]]
    fund_columns: dict[str, tuple[str, ...]]
    fund_amounts: dict[str, tuple[str, ...]]
    indicator_columns: dict[str, tuple[str, ...]]
    tail: dict[str, tuple[str, ...]]

    def header_field(self, label: str) -> str | None:
        """The header field a printed label names (``项目执行单位`` → ``implementing_unit``)."""
        return _exact(self.header, label)

    def header_labels(self) -> frozenset[str]:
        return frozenset(k for labels in self.header.values() for k in labels)

    def indicator_role(self, label: str) -> str | None:
        return match_role(self.indicator_columns, label)

    def fund_column(self, label: str) -> str | None:
        return match_role(self.fund_columns, label)

    def fund_row(self, label: str) -> str | None:
        return match_role(self.fund_rows, label)

    def extra_columns(self) -> tuple[str, ...]:
        """Indicator columns the contract has no field for (kept under ``extra``)."""
        contract = {"level1", "level2", "name", "actual", "weight", "score", "deviation_note", *TARGET_PARTS}
        return tuple(role for role in self.indicator_columns if role not in contract)


_ANNOTATION = re.compile(r"[(（][^()（）]{1,8}[)）]$")   # 实施单位(盖章), 金额(万元)


# Label → role memos, one per table and kind (id(table) for match_role, ~id(table) for exact lookups),
# emptied per document by the benchmarks: tables live as long as their spec.
_MATCHES: dict[int, dict[str, str | None]] = {}
_MEMO_MAX = 1 << 12      # per table and kind: all of them together hold about as many texts as one memo did


def any_of(words: Iterable[str]) -> Callable[[str], re.Match | None]:
    """A search that finds whether a text holds any of ``words`` (the words as one trie-shaped pattern:
    a shared beginning is matched once, not once per word)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return re.compile(_trie_pattern(trie)).search


def _trie_pattern(node: dict) -> str:
    branches = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


class _Index:
    """One label table indexed once (per process, from the spec): label → field for exact lookups,
    and the synonyms a containment test may use (longer than two characters), longest first, a
    tie in the table's order, with one pattern that finds whether a text holds any of them."""

    def __init__(self, table: dict[str, tuple[str, ...]]) -> None:
        self.exact: dict[str, str] = {}
        for field, labels in table.items():
            for label in labels:
                self.exact.setdefault(label, field)
        pairs = [(synonym, role) for role, labels in table.items() for synonym in labels if len(synonym) > 2]
        self.contained = sorted(pairs, key=lambda pair: -len(pair[0]))
        self.holds_any = any_of(s for s, _ in self.contained) if pairs else None
        self.ascii_names_none = not any(label.isascii() for label in self.exact)   # a number names no role
        self.mentions = any_of(self.exact) if self.exact else None


_INDEXES: dict[int, tuple[dict[str, tuple[str, ...]], _Index]] = {}


def _index(table: dict[str, tuple[str, ...]]) -> _Index:
    held = _INDEXES.get(id(table))
    if held is None or held[0] is not table:
        held = _INDEXES[id(table)] = (table, _Index(table))
    return held[1]


def _memo(slot: int) -> dict[str, str | None]:
    """The memo of one table and kind, made on first use."""
    memo = _MATCHES.get(slot)
    if memo is None:
        memo = _MATCHES[slot] = {}
    return memo


UNSEEN = object()     # known_roles(table).get(text, UNSEEN): the text has not been looked up in this document


def known_roles(table: dict[str, tuple[str, ...]], exact_only: bool = False) -> dict[str, str | None]:
    """What :func:`match_role` (``exact_only``: the exact lookup of ``header_field``) has found for
    ``table`` so far in this document, text → role: a reader of many cells looks a cell up here first,
    in one step, and asks match_role only for a text it has not seen."""
    slot = ~id(table) if exact_only else id(table)
    return _MATCHES.get(slot) or _memo(slot)


def _remember(memo: dict[str, str | None], label: str, found: str | None) -> str | None:
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    memo[label] = found
    return found


def _exact(table: dict[str, tuple[str, ...]], label: str) -> str | None:
    memo = _MATCHES.get(~id(table)) or _memo(~id(table))
    found = memo.get(label, UNSEEN)
    return _remember(memo, label, _find_exact(table, label)) if found is UNSEEN else found  # type: ignore[return-value]


def _find_exact(table: dict[str, tuple[str, ...]], label: str) -> str | None:
    if label.isascii() and _index(table).ascii_names_none:    # its key is ASCII too: no label of the table
        return None
    return field_of_label(table, simplified(key(label).rstrip(":：")))


def field_of_label(table: dict[str, tuple[str, ...]], label: str) -> str | None:
    """The field a label already read as one (its key, no trailing colon, in Simplified characters, as
    ``label_of`` reads a cell) names exactly, its annotation (``(盖章)``) aside; no memo needed."""
    exact = _index(table).exact
    found = exact.get(label)
    if found is None and ("(" in label or "（" in label):
        found = exact.get(_ANNOTATION.sub("", label).rstrip(":："))
    return found


def mentions_label(table: dict[str, tuple[str, ...]], text: str) -> bool:
    """Whether a (Simplified) text prints any label of ``table``: a line none of whose cells can name a
    role, told by one search before asking cell by cell."""
    mentions = _index(table).mentions
    return mentions is not None and mentions(text) is not None


def label_search(table: dict[str, tuple[str, ...]]) -> Callable[[str], re.Match | None]:
    """:func:`mentions_label`'s search itself, for a caller that asks of one table many times."""
    return _index(table).mentions or (lambda text: None)


def match_role(table: dict[str, tuple[str, ...]], label: str) -> str | None:
    """The role a header cell names: an exact label first, else the longest label it contains.

    Labels of two characters or fewer (``单位``, ``符号``) only match exactly, so that
    ``实施单位`` is not a unit column.
    """
    memo = _MATCHES.get(id(table)) or _memo(id(table))
    found = memo.get(label, UNSEEN)
    return _remember(memo, label, _match_role(table, label)) if found is UNSEEN else found  # type: ignore[return-value]


def _match_role(table: dict[str, tuple[str, ...]], label: str) -> str | None:
    index = _index(table)
    if label.isascii() and index.ascii_names_none:    # its key is ASCII too: neither names nor holds a label
        return None
    unconverted = key(label).rstrip(":：")
    k = simplified(unconverted)
    if not k:
        return None
    # the exact label is looked up as _exact(table, k) reads it, k read once more; that reading gives k
    # itself where k is its own key and its own Simplified form (a Simplified text without a tag)
    again = k if k == unconverted and "<" not in k else simplified(key(k).rstrip(":："))
    exact = field_of_label(table, again)
    if exact:
        return exact
    if index.holds_any is None or index.holds_any(k) is None:     # most cells hold no label: one regex says so
        return None
    return next((role for synonym, role in index.contained if synonym in k), None)


def _table(data: dict, name: str) -> dict[str, tuple[str, ...]]:
    return {field: tuple(key(l) for l in labels) for field, labels in data.get(name, {}).items()}


@lru_cache(maxsize=None)
def load_spec(form_type: str) -> FormSpec:
    """The spec of a form type; an unknown type is a :class:`UnknownFormType` error."""
    path = SPEC_DIR / f"{form_type}.toml"
    if form_type == FRAMEWORK_FILE.removesuffix(".toml") or not path.is_file():
        raise UnknownFormType(f"unknown form type {form_type!r}: known types are {', '.join(form_types())}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return FormSpec(
        form_type=data["form_type"], printed_title=data["printed_title"],
        titles=tuple(key(t) for t in data["titles"]), title_words=tuple(data.get("title_words", ())),
        marks=tuple(data.get("marks", ())), checks=tuple(data.get("checks", ())),
        header=_table(data, "header"), goals=_table(data, "goals"), fund_rows=_table(data, "fund_rows"),
        fund_columns=_table(data, "fund_columns"), fund_amounts=_table(data, "fund_amounts"),
        indicator_columns=_table(data, "indicator_columns"), tail=_table(data, "tail"),
    )


@lru_cache(maxsize=1)
def form_types() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in SPEC_DIR.glob("*.toml") if p.name != FRAMEWORK_FILE))


def all_specs() -> tuple[FormSpec, ...]:
    return tuple(load_spec(t) for t in form_types())


@dataclass(frozen=True)
class FrameworkSpec:
    standard: dict[str, tuple[str, ...]]
    older: dict[str, tuple[str, ...]]
    section_labels: frozenset[str]


@lru_cache(maxsize=1)
def load_framework() -> FrameworkSpec:
    data = tomllib.loads((SPEC_DIR / FRAMEWORK_FILE).read_text(encoding="utf-8"))
    return FrameworkSpec({k: tuple(v) for k, v in data["standard"].items()},
                         {k: tuple(v) for k, v in data.get("older", {}).items()},
                         frozenset(data.get("labels", {}).get("section", ())))
