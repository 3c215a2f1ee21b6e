"""Grounding: every non-null value must be printed in its form's source text.

Each value gets its source span(s) and an alignment status: ``exact`` (printed as is),
``normalized`` (printed after NFKC / separators / trailing zeros), ``split`` (printed in
pieces over a page break), ``derived`` (a level placed by the framework, not printed) or
``none``. A ``none`` is an ``ungrounded`` error: the value may be invented.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

from extractor.framework import LEVEL1, LEVEL2
from extractor.normalize import DATE, key, normalise_date
from extractor.validate.findings import Finding, FormValidation
from extractor.validate.source import Match, SourceText

_SKIPPED = frozenset({"form_type"})
_LEVEL_FIELDS = ("level1", "level2")


def leaves(form_data: dict[str, Any], prefix: str = "", *, include_null: bool = False) -> Iterator[tuple[str, Any]]:
    """(path, value) for every leaf (non-null unless asked): ``funds.total.executed``, ``indicators[3].name``."""
    for name, value in form_data.items():
        path = f"{prefix}.{name}" if prefix else name
        if (value is None and not include_null) or path in _SKIPPED:
            continue
        if isinstance(value, dict):
            yield from leaves(value, path, include_null=include_null)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from leaves(item, f"{path}[{i}]", include_null=include_null)
        else:
            yield path, value


def ground_value(path: str, value: Any, source: SourceText) -> Match | None:
    if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
        return source.find_number(Decimal(str(value)))
    text = str(value)
    found = source.find_text(text)
    if found is None and path.endswith(("plan_start", "plan_end")):
        found = _find_date(text, source)
    return found


def _find_date(value: str, source: SourceText) -> Match | None:
    norm, offsets = source._normalized
    for m in DATE.finditer(norm):
        if normalise_date(m.group()) == value:
            return Match("normalized", ((offsets[m.start()], offsets[m.end() - 1] + 1),))
    return None


TAIL_FIELDS = ("total_weight", "total_score", "grade")


def region_of(path: str) -> str:
    """The part of the form where a field is printed."""
    if path.startswith("indicators"):
        return "table"
    return "tail" if path in TAIL_FIELDS else "head"


def ground_form(form_data: dict[str, Any], source: SourceText, result: FormValidation,
                regions: dict[str, SourceText] | None = None) -> None:
    """Ground each value in its own region of the form; printed only elsewhere is not grounded."""
    for path, value in leaves(form_data):
        region = (regions or {}).get(region_of(path))
        place = region if region is not None and region.lines else source
        match = ground_value(path, value, place)
        if match is not None:
            result.spans[path] = list(match.spans)
            result.alignment[path] = match.status
        elif path.endswith(_LEVEL_FIELDS) and key(value) in LEVEL1 + LEVEL2:
            result.alignment[path] = "derived"
            result.findings.append(Finding("level_from_framework", "info", path,
                                           f"{value} is not printed in this form; its place comes from the indicator framework",
                                           found=value))
        else:
            result.alignment[path] = "none"
            elsewhere = ground_value(path, value, source) if place is not source else None
            if elsewhere is not None:
                result.findings.append(Finding("misplaced_value", "error", path,
                                               f"printed in this form, but not in the {region_of(path)} region where this field is",
                                               found=_plain(value), source_span=elsewhere.spans[0]))
            else:
                result.findings.append(Finding("ungrounded", "error", path,
                                               "value not found in the source text; it may be invented", found=_plain(value)))


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value
