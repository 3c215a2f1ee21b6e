"""Re-validate a hand-off result against its source document: one formex wrote (then a person
edited), or one from anywhere else (another extractor, a model run elsewhere, hand-typed JSON).

Each form is validated against its own lines of the source. A result that records them
(``source_lines``) says where; otherwise the source is segmented with formex's segmenter and
the result's forms are paired with the source's forms, in order and by project name. A form
that cannot be paired is validated against the whole document, and the result says so. When
the result records a ``sha256`` and the source's differs, that is reported first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from pydantic import ValidationError

from extractor.backends.base import RESULT_EXTRAS
from extractor.errors import InputError
from extractor.ingest import Ingested, ingest_source
from extractor.layout import Line, split_lines
from extractor.normalize import key
from extractor.segment import FormBlock, is_project_name_row, split_forms
from extractor.settings import Settings
from extractor.validate import SourceText, validate_form
from extractor.validate.ocr import correction_findings
from schemas.forms import parse_form

FormStatus = tuple[str | None, str, list[dict[str, Any]]]


@dataclass
class Revalidation:
    """The result with fresh validation, a (project_name, status, findings) per form, and notes
    for the person (the source differs from the one extracted, a form not found in the source)."""

    document: dict[str, Any] | list[Any]
    statuses: list[FormStatus] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def revalidate_document(document: dict[str, Any] | list[Any], source_path: Path, *, settings: Settings) -> Revalidation:
    """Read the source (any kind, under the same limits as ``formex extract``) and revalidate ``document`` against it."""
    return revalidate_ingested(document, ingest_source(source_path, settings))


def revalidate_ingested(document: dict[str, Any] | list[Any], ingested: Ingested) -> Revalidation:
    """Revalidate ``document`` against its source as read once; a differing sha256 is noted first."""
    notes = []
    recorded = document.get("sha256") if isinstance(document, dict) else None
    if isinstance(recorded, str) and recorded and recorded != ingested.sha256:
        notes.append(f"the source's sha256 ({ingested.sha256[:12]}…) differs from the one the result records "
                     f"({recorded[:12]}…): spans may not point at the same text")
    result = revalidate_text(document, ingested.text, ingested.corrections)
    result.notes[:0] = notes
    return result


def revalidate_text(document: dict[str, Any] | list[Any], text: str, corrections: Sequence[Any] = ()) -> Revalidation:
    """Revalidate the forms of ``document`` (a result object, or a bare list of forms) against ``text``
    (``corrections``: the OCR corrections made in it, each a finding of the form that holds it)."""
    forms = document.get("forms", []) if isinstance(document, dict) else document
    if not isinstance(forms, list):
        raise InputError("the result holds no list of forms")
    contracts = [_contract(index, data) for index, data in enumerate(forms)]
    lines = split_lines(text)
    ranges = locate_forms(forms, contracts, lines)
    result = Revalidation(document)
    updated_forms = []
    for index, (data, form, located) in enumerate(zip(forms, contracts, ranges)):
        if located is None:
            located = (0, len(lines) - 1)
            result.notes.append(f"form {index} ({form.project_name or '?'}) was not found among the source's forms: "
                                "validated against the whole document")
        first, last = located
        validation = validate_form(form, SourceText(text, lines, first, last))
        end = lines[last].start + len(lines[last].raw) + 1
        validation.findings.extend(correction_findings(corrections, lines[first].start, end, validation.spans))
        updated_forms.append({**{k: v for k, v in data.items() if k not in RESULT_EXTRAS},
                              "validation": validation.as_dict(),
                              "spans": {p: [list(s) for s in spans] for p, spans in validation.spans.items()},
                              "alignment": validation.alignment, "source_lines": [first + 1, last + 1],
                              **({"extraction": data["extraction"]} if "extraction" in data else {})})
        result.statuses.append((form.project_name, validation.status, validation.as_dict()["findings"]))
    result.document = {**document, "forms": updated_forms} if isinstance(document, dict) else updated_forms
    return result


def _contract(index: int, data: Any):  # type: ignore[no-untyped-def]
    if not isinstance(data, dict):
        raise InputError(f"form {index} is not an object")
    try:
        return parse_form({k: v for k, v in data.items() if k not in RESULT_EXTRAS})
    except ValidationError as exc:
        raise InputError(f"form {index} does not follow the hand-off format: {exc.errors()[0]['msg']} "
                         f"at {'.'.join(str(p) for p in exc.errors()[0]['loc'])}") from exc


def locate_forms(forms: Sequence[Any], contracts: Sequence[Any], lines: list[Line]) -> list[tuple[int, int] | None]:
    """Each form's (first, last) line in the source (0-based): its ``source_lines`` when the result
    records them, else the source form it pairs with; None when neither."""
    recorded = [_recorded_range(data, len(lines)) for data in forms]
    if all(r is not None for r in recorded):
        return recorded
    blocks = split_forms(lines)
    pairs = pair_forms_to_blocks([(c.form_type, key(c.project_name)) for c in contracts],
                                 [(b.form_type, block_name(b)) for b in blocks])
    return [rec if rec is not None else ((blocks[pairs[i]].first_line, blocks[pairs[i]].last_line)
                                         if pairs[i] is not None else None)
            for i, rec in enumerate(recorded)]


def block_name(block: FormBlock) -> str:
    """The comparison key of the project name a source form prints (empty when none)."""
    for line in block.lines:
        if is_project_name_row(line):
            return line.cells[1].key if len(line.cells) > 1 else ""
    return ""


def pair_forms_to_blocks(forms: Sequence[tuple[str, str]], blocks: Sequence[tuple[str, str]]) -> list[int | None]:
    """For each (form_type, name key) of the result, the index of its source form, in order.

    An order-keeping alignment (the longest chain of pairs, as in a diff) where a pair counts 3
    when the names are equal, 2 when one contains the other, 1 when only the type agrees.
    """
    def score(f: tuple[str, str], b: tuple[str, str]) -> int:
        if f[1] and b[1] and f[1] == b[1]:
            return 3
        if f[1] and b[1] and (f[1] in b[1] or b[1] in f[1]):
            return 2
        return 1 if f[0] == b[0] else 0

    n, m = len(forms), len(blocks)
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            s = score(forms[i], blocks[j])
            best[i][j] = max(best[i + 1][j], best[i][j + 1], best[i + 1][j + 1] + s if s else 0)
    pairs: list[int | None] = [None] * n
    i = j = 0
    while i < n and j < m:
        s = score(forms[i], blocks[j])
        if s and best[i][j] == best[i + 1][j + 1] + s:
            pairs[i] = j
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _recorded_range(data: Any, line_count: int) -> tuple[int, int] | None:
    """The form's lines as the result records them (1-based there), None when it does not."""
    span = data.get("source_lines") if isinstance(data, dict) else None
    if isinstance(span, list) and len(span) == 2 and all(isinstance(n, int) for n in span) and span[0] <= span[1]:
        return max(0, span[0] - 1), min(line_count - 1, span[1] - 1)
    return None
