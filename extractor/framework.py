"""The standard indicator framework (一级指标 ⊃ 二级指标) and label recognition.

OCR splits labels over lines and pages (``效益`` … ``指标``), puts spaces inside them
(``满意 度指 标``) and shifts them between columns. A label is recognised by what it
says, never by the column it stands in.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractor.normalize import key

FRAMEWORK: dict[str, tuple[str, ...]] = {
    "成本指标": ("经济成本指标", "社会成本指标", "生态环境成本指标"),
    "产出指标": ("数量指标", "质量指标", "时效指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "满意度指标": ("服务对象满意度指标",),
}
LEVEL1 = tuple(FRAMEWORK)
PARENT = {child: parent for parent, children in FRAMEWORK.items() for child in children}
LEVEL2 = tuple(PARENT)
SECTION_LABELS = frozenset({"绩效指标", "项目绩效指标", "指标"})  # row labels that carry no level
_ALL = LEVEL1 + LEVEL2
_PREFIXES = {name[:i] for name in _ALL for i in range(2, len(name))}
_SUFFIXES = {name[i:] for name in _ALL for i in range(1, len(name))} - set(_ALL) - _PREFIXES


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
    k = key(text).rstrip(":：")
    if k in FRAMEWORK:
        return Label(1, k)
    if k in PARENT:
        return Label(2, k)
    if k not in _PREFIXES:
        return None
    level1 = [name for name in LEVEL1 if name.startswith(k)]
    level2 = [name for name in LEVEL2 if name.startswith(k)]
    if level1 and not level2:
        return Label(1, level1[0], complete=False)
    if level2:
        if level1_hint:
            scoped = [name for name in level2 if PARENT[name] == level1_hint]
            if len(scoped) == 1:
                return Label(2, scoped[0], complete=False)
        if len(level2) == 1:
            return Label(2, level2[0], complete=False)
    return None


def is_suffix_fragment(text: str) -> bool:
    """The tail of a label split over two lines (``指标``, ``标``, ``度指标``)."""
    return key(text) in _SUFFIXES


def is_section_label(text: str) -> bool:
    return key(text) in SECTION_LABELS


def parent_of(level2: str | None) -> str | None:
    return PARENT.get(level2) if level2 else None


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
