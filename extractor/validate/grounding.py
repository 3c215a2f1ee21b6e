"""Grounding: every non-null value must be printed in its form's source text.

Each value gets its source span(s) and an alignment status: ``exact`` (printed as is),
``normalized`` (printed after NFKC / separators / trailing zeros), ``split`` (printed in
pieces over a page break), ``derived`` (a level placed by the framework, not printed) or
``none``. A ``none`` is an ``ungrounded`` error: the value may be invented.

A value that comes with provenance (the parser's own cells) is confirmed there first: the
text at those spans must print the value, and the spans shipped are those cells. Only a
value without provenance (a model's, a person's) is searched for; a provenance span that
does not print its value is a ``span_mismatch`` finding, and the value is then searched.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any, Iterator, Mapping, Sequence

from pydantic import BaseModel

from extractor.framework import LEVEL1, LEVEL2
from extractor.normalize import DATE, key, normalise_date, parse_number, strip_tags
from extractor.validate.findings import Finding, FormValidation
from extractor.validate.source import Match, SourceText, folds_one_to_one

_SKIPPED = frozenset({"form_type"})     # top-level fields that are no value (the dump's walk and the model's)
_LEVEL_FIELDS = ("level1", "level2")
_DATE_FIELDS = ("plan_start", "plan_end")


def leaves(form_data: dict[str, Any], prefix: str = "", *, include_null: bool = False) -> Iterator[tuple[str, Any]]:
    """(path, value) for every leaf (non-null unless asked): ``funds.total.executed``, ``indicators[3].name``."""
    found: list[tuple[str, Any]] = []
    _collect(form_data, prefix, include_null, found)
    return iter(found)


def _collect(data: dict[str, Any], prefix: str, include_null: bool, found: list[tuple[str, Any]]) -> None:
    for name, value in data.items():
        if value is None and not include_null:
            continue
        path = f"{prefix}.{name}" if prefix else name
        if path in _SKIPPED:
            continue
        kind = type(value)
        if kind is dict or (kind is not list and isinstance(value, dict)):
            _collect(value, path, include_null, found)
        elif kind is list or isinstance(value, list):
            for i, item in enumerate(value):
                _collect(item, f"{path}[{i}]", include_null, found)
        else:
            found.append((path, value))


def form_leaves(form: BaseModel) -> list[tuple[str, Any]]:
    """``list(leaves(form.model_dump()))``, read from the model itself: no dump, each path built once
    from its parent's (an indicator row's prefix once per row, not once per value)."""
    found: list[tuple[str, Any]] = []
    _walk(form, "", found)
    return found


_SCALARS = frozenset({str, Decimal, int, float, bool})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}      # a model class → its fields, in the dump's order


def _walk(model: BaseModel, prefix: str, found: list[tuple[str, Any]]) -> None:
    values = model.__dict__
    names = _FIELD_NAMES.get(type(model))
    if names is None:
        names = _FIELD_NAMES[type(model)] = tuple(type(model).model_fields)
    for name in names:
        value = values[name]
        if value is None or (not prefix and name in _SKIPPED):
            continue
        if type(value) in _SCALARS:
            found.append((prefix + name, value))
            continue
        path = prefix + name
        if type(value) is list:
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _walk(item, f"{path}[{i}].", found)
                else:       # as the dump's walk does: not a model, then a mapping
                    _collect(item, f"{path}[{i}]", False, found)
        elif isinstance(value, BaseModel):
            _walk(value, path + ".", found)
        elif isinstance(value, (dict, list)):
            _collect({name: value}, prefix[:-1], False, found)
        else:
            found.append((path, value))


def leaves_of(form_data: dict[str, Any] | Sequence[tuple[str, Any]]) -> Sequence[tuple[str, Any]]:
    """The non-null leaves of a form's dump, or the leaves themselves when already listed."""
    return list(leaves(form_data)) if isinstance(form_data, dict) else form_data


_NUMBER_TOKEN = re.compile(r"\d[\d,，]*(?:\.\d+)?")


def _is_number(value: Any) -> bool:
    return isinstance(value, (Decimal, int, float)) and not isinstance(value, bool)


def _number_status(printed: str) -> str:
    plain = "," not in printed and "，" not in printed and unicodedata.is_normalized("NFKC", printed)
    return "exact" if plain else "normalized"


def confirm(path: str, value: Any, spans: Sequence[tuple[int, int]], document: str) -> Match | None:
    """The provenance spans, if the text there prints the value (narrowed to it inside a larger cell)."""
    if not spans:
        return None
    several = len(spans) > 1
    printed = "".join([document[start:end] for start, end in spans]) if several else document[spans[0][0]:spans[0][1]]
    if isinstance(value, str):
        text = value
    elif _is_number(value):
        number = value if type(value) is Decimal else Decimal(str(value))
        if parse_number(printed) == number:
            return Match("split" if several else _number_status(printed.strip()), tuple(spans))
        if not several:
            start = spans[0][0]
            for m in _NUMBER_TOKEN.finditer(printed):
                if parse_number(m.group()) == number:
                    return Match(_number_status(m.group()), ((start + m.start(), start + m.end()),))
        return None
    else:
        text = str(value)
    if printed == text:
        return Match("split" if several else "exact", tuple(spans))
    if same_key(printed, text) or (path.endswith(("plan_start", "plan_end")) and normalise_date(printed) == text):
        return Match("split" if several else "normalized", tuple(spans))
    if not several:
        at = document.find(text, spans[0][0], spans[0][1])
        if at >= 0:
            return Match("exact", ((at, at + len(text)),))
    return None


def same_key(printed: str, text: str) -> bool:
    """``key(printed) == key(text)``. Texts that differ only in spaces and tags are not folded
    when NFKC maps each of their characters one to one (then a key is the characters folded one
    by one, spaces left out: equal characters, equal keys)."""
    a, b = strip_tags(printed), strip_tags(text)
    if "".join(a.split()) == "".join(b.split()) and folds_one_to_one(a) and folds_one_to_one(b):
        return True
    return key(printed) == key(text)


def ground_value(path: str, value: Any, source: SourceText) -> Match | None:
    if _is_number(value):
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


def ground_form(form_data: dict[str, Any] | Sequence[tuple[str, Any]], source: SourceText, result: FormValidation,
                regions: dict[str, SourceText] | None = None,
                provenance: Mapping[str, Sequence[tuple[int, int]]] | None = None) -> None:
    """Confirm each value at its provenance; search for the rest in their own region of the form
    (printed only elsewhere is not grounded). ``form_data`` is the form's dump, or its
    :func:`leaves` already listed (:func:`form_leaves`).

    A text searched for again in the same region (a level carried down many rows) takes the
    first search's cell, as the region's own lookup would (a split match is searched again)."""
    provenance = provenance or {}
    document, spans_out, alignment = source.document, result.spans, result.alignment
    get = provenance.get
    found: dict[tuple[str, str], Match] = {}
    for path, value in leaves_of(form_data):
        spans = get(path)
        if spans:
            if len(spans) == 1:     # the common cases of confirm, inline: one cell that prints the value
                span = spans[0]
                printed = document[span[0]:span[1]]
                kind = type(value)
                if kind is str:
                    if printed == value:
                        spans_out[path] = [span]
                        alignment[path] = "exact"
                        continue
                elif kind is Decimal and parse_number(printed) == value:
                    spans_out[path] = [span]
                    if printed.isascii():       # NFKC leaves ASCII as it is: a separator alone makes it normalized
                        alignment[path] = "normalized" if "," in printed else "exact"
                    else:
                        alignment[path] = _number_status(printed.strip())
                    continue
            confirmed = confirm(path, value, spans, document)
            if confirmed is not None:
                spans_out[path] = list(confirmed.spans)
                alignment[path] = confirmed.status
                continue
            result.findings.append(Finding("span_mismatch", "warning", path,
                                           "the source cell the value was read from does not print it",
                                           found=_plain(value), source_span=tuple(spans[0])))
        if type(value) is str and not path.endswith(_DATE_FIELDS):
            where = "table" if path.startswith("indicators") else region_of(path)     # region_of, the common case first
            again = (where, value)
            match = found.get(again)
            if match is None:       # the common case of the search, inline: a cell of the region that prints it
                match = _place(where, source, regions).cell_match(value)
                if match is None:
                    match = _search(path, value, source, result, regions)
                    if match is not None and match.status != "split":
                        found[again] = match
                    continue
                found[again] = match
            spans_out[path] = list(match.spans)
            alignment[path] = match.status
        else:
            _search(path, value, source, result, regions)


def _place(where: str, source: SourceText, regions: dict[str, SourceText] | None) -> SourceText:
    """Where a field's value is searched for: its region of the form, or the whole form when the
    region has no lines."""
    region = (regions or {}).get(where)
    return region if region is not None and region.lines else source


def _search(path: str, value: Any, source: SourceText, result: FormValidation,
            regions: dict[str, SourceText] | None) -> Match | None:
    """Search for one value in its region; its spans and alignment, or its finding. The match, if any."""
    place = _place(region_of(path), source, regions)
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
            cut = any(key(str(value)) in searched.search_cut for searched in (place, source))
            result.findings.append(Finding("ungrounded", "error", path,
                                           "value not found in the source text; it may be invented"
                                           + (" (the search for it in pieces over cells was cut at its step limit)"
                                              if cut else ""), found=_plain(value)))
    return match


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value
