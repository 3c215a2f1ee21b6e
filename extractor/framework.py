"""The standard indicator framework (一级指标 ⊃ 二级指标) and label recognition.

OCR splits labels over lines and pages (``效益`` … ``指标``), puts spaces inside them
(``满意 度指 标``) and shifts them between columns. A label is recognised by what it
says, never by the column it stands in.
"""

from __future__ import annotations

from dataclasses import dataclass

import re

from extractor.normalize import key
from extractor.spec import load_framework
from extractor.textconv import simplified

_SPEC = load_framework()
FRAMEWORK: dict[str, tuple[str, ...]] = dict(_SPEC.standard)
LEVEL1 = tuple(FRAMEWORK)
PARENT = {child: parent for parent, children in FRAMEWORK.items() for child in children}
# Every place a 二级 name has in the standard and the older hierarchies (成本指标 under 产出指标,
# 环境效益指标 and 社会公众或服务对象满意度指标 under 效益指标).
PARENTS: dict[str, tuple[str, ...]] = {}
for _parent, _children in [*FRAMEWORK.items(), *_SPEC.older.items()]:
    for _child in _children:
        if _parent not in PARENTS.get(_child, ()):
            PARENTS[_child] = (*PARENTS.get(_child, ()), _parent)
LEVEL2 = tuple(PARENTS)
_STANDARD_PLACES = {child: (parent,) for child, parent in PARENT.items()}
OLDER_LEVEL2 = frozenset(c for children in _SPEC.older.values() for c in children)
SECTION_LABELS = _SPEC.section_labels  # row labels that carry no level
_ALL = LEVEL1 + tuple(c for c in LEVEL2 if c not in LEVEL1)
_PREFIXES = {name[:i] for name in _ALL for i in range(2, len(name))}
SUFFIXES = {name[i:] for name in _ALL for i in range(1, len(name))} - set(_ALL) - _PREFIXES
# Points printed inside a level label: 产出指标(50分), 满意度指标（10分）, 产出指标 50分
POINTS = re.compile(r"[(（]?\s*\d+(?:\.\d+)?\s*分\s*[)）]?$")


def strip_points(text: str) -> str:
    """A level label without the points printed in it (``产出指标(50分)`` → ``产出指标``)."""
    return _strip_points(key(text))


def _strip_points(k: str) -> str:
    """:func:`strip_points` of a text's key."""
    k = simplified(k.rstrip(":："))
    if "分" not in k:      # what POINTS needs: the regex is slow to fail on every cell of a table
        return k
    return _without_points(k)


def _without_points(k: str) -> str:
    """A Simplified label read without its points, where what is left is a level label."""
    stripped = POINTS.sub("", k)
    return stripped if stripped != k and stripped in _ALL else k


@dataclass(frozen=True)
class Label:
    """A recognised level label. ``complete`` is False for a prefix fragment (``效益``)."""

    level: int
    name: str
    complete: bool = True


def resolve_label(text: str, level1_hint: str | None = None) -> Label | None:
    """The level label a cell stands for, or None when the cell is not a label.

    Full names win; a fragment such as ``经济`` is resolved with ``level1_hint`` (the
    level-1 name on the same row or carried from above).
    """
    return resolve_key(key(text), level1_hint)


def resolve_key(text_key: str, level1_hint: str | None = None) -> Label | None:
    """:func:`resolve_label` of a text's key (a cell's ``key``)."""
    k = simplified(text_key.rstrip(":："))
    if "分" in k:       # as _strip_points reads it
        k = _without_points(k)
    full = _FULL_LABELS.get(k)
    if full is not None:
        return full
    if k not in _PREFIXES:
        return None
    level1 = [name for name in LEVEL1 if name.startswith(k)]
    level2 = [name for name in LEVEL2 if name.startswith(k) and name not in FRAMEWORK]
    if level1 and not level2:
        return Label(1, level1[0], complete=False)
    if level2:
        if level1_hint:
            for places in (_STANDARD_PLACES, PARENTS):   # the standard framework first, then the older places
                scoped = [name for name in level2 if level1_hint in places.get(name, ())]
                if len(scoped) == 1:
                    return Label(2, scoped[0], complete=False)
        if len(level2) == 1:
            return Label(2, level2[0], complete=False)
    return None


# The labels of full names, made once (a label is immutable): level 1 first, as resolve_label reads them.
_FULL_LABELS = {**{name: Label(2, name) for name in PARENTS}, **{name: Label(1, name) for name in FRAMEWORK}}


def is_suffix_fragment(text: str) -> bool:
    """The tail of a label split over two lines (``指标``, ``标``, ``度指标``)."""
    return key(text) in SUFFIXES


def is_section_label(text: str) -> bool:
    return key(text) in SECTION_LABELS


def is_suffix_key(k: str) -> bool:
    """:func:`is_suffix_fragment` of a text's key."""
    return k in SUFFIXES


def is_section_key(k: str) -> bool:
    """:func:`is_section_label` of a text's key."""
    return k in SECTION_LABELS


def parent_of(level2: str | None, level1_hint: str | None = None) -> str | None:
    """The 一级 of a 二级 name: the hint when the name may stand under it, else its first place."""
    parents = PARENTS.get(level2 or "", ())
    if level1_hint in parents:
        return level1_hint
    return parents[0] if parents else None


def allowed_parents(level2: str | None) -> tuple[str, ...]:
    return PARENTS.get(level2 or "", ())


def only_child(level1: str | None) -> str | None:
    children = FRAMEWORK.get(level1 or "", ())
    return children[0] if len(children) == 1 else None


# Names whose level-2 place is unambiguous from the words alone. Used only for rows whose
# printed labels were displaced by OCR (a merged cell's label printed on a neighbour row).
LEVEL2_NAME_HINTS: tuple[tuple[str, str], ...] = (
    ("长效", "可持续影响指标"),
    ("可持续", "可持续影响指标"),
    ("满意", "服务对象满意度指标"),
)


def level2_from_name(name: str | None) -> str | None:
    k = key(name)
    for word, level2 in LEVEL2_NAME_HINTS:
        if word in k:
            return level2
    return None
