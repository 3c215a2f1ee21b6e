"""The extraction pipeline, in a fixed order.

1. ingest: bytes → text: decoded, or PDF text layer / OCR   :mod:`extractor.ingest`
   (OCR'd pages: confusions corrected where unique, :mod:`extractor.ingest.confusions`)
2. lay out: text → lines of cells with spans        :mod:`extractor.layout`
3. segment: lines → form blocks, typed              :mod:`extractor.segment`
4. read: each block → a reading (form + provenance)  :mod:`extractor.backends`
5. validate: findings, spans, alignment, status      :mod:`extractor.validate`
6. repair (optional, by the backend): the model's targeted re-ask, the hybrid's model fallback
7. validate again, the forms the repair changed
8. assemble: a :class:`DocumentResult`; each OCR correction inside a form is an ``ocr_corrected``
   finding of that form (:mod:`extractor.validate.ocr`)

Validation happens here and only here, whichever the backend. With ``settings.validate``
off, steps 5-7 are skipped: no findings, no status, no repair (a repair acts on what
validation found), and the spans written are the backend's provenance as read, unconfirmed.

A failure of one form is recorded on the document and the other forms go on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.backends import Backend, ExtractedForm, get_backend
from extractor.backends.base import Reading, read_all, repair_all
from extractor.errors import FormexError, InputTooLarge, NoFormsFound
from extractor.ingest import ingest_bytes
from extractor.ingest.limits import Limits
from extractor.layout import split_lines
from extractor.segment import split_forms
from extractor.settings import Settings
from extractor.textio import read_input_bytes
from extractor.segment import FormBlock
from extractor.validate import FormValidation, SourceText, validate_form
from extractor.validate.ocr import correction_findings


@dataclass
class DocumentResult:
    """The extraction of one source document."""

    source: str
    sha256: str
    encoding: str | None
    text: str
    forms: list[ExtractedForm] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    input_kind: str = "text"
    pages: list[dict[str, Any]] = field(default_factory=list)
    boxes: list[Any] = field(default_factory=list, repr=False)   # where the text sits on the pages (review page)
    input_repaired: bool = False                                # a damaged PDF, read after repair
    warnings: list[str] = field(default_factory=list)           # about the input, one line each
    layout: str = "tsv"
    corrections: list[Any] = field(default_factory=list)       # OCR confusions corrected at ingestion

    def status_counts(self) -> dict[str, int]:
        counts = {"valid": 0, "needs_review": 0, "invalid": 0}
        for f in self.forms:
            if f.validation is not None:
                counts[f.validation.status] += 1
        return counts

    def summary(self) -> dict[str, Any]:
        """What a run needs to count this document, small enough to pass between processes."""
        return {"forms": len(self.forms), "form_errors": self.errors, "statuses": self.status_counts(),
                "pages": len(self.pages), "extractions": [f.extraction for f in self.forms]}

    def to_json(self) -> dict[str, Any]:
        """The hand-off object: ``{"source", "sha256", "forms": [...]}``."""
        return {
            "source": self.source,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "input": {"kind": self.input_kind, "layout": self.layout, "pages": self.pages,
                      **({"repaired": True} if self.input_repaired else {}),
                      **({"warnings": self.warnings} if self.warnings else {}),
                      **({"ocr_corrections": [c.as_dict() for c in self.corrections]} if self.corrections else {})},
            "backend": self.forms[0].backend if self.forms else None,
            "forms": [f.to_json() for f in self.forms],
            "errors": self.errors,
        }


def extract_text(text: str, *, source: str = "<text>", settings: Settings | None = None,
                 backend: Backend | None = None, encoding: str | None = "utf-8", sha256: str | None = None) -> DocumentResult:
    """Extract every form of one document's text."""
    settings = settings or Settings()
    backend = backend or get_backend(settings)
    digest = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    result = DocumentResult(source=source, sha256=digest, encoding=encoding, text=text)
    blocks = split_forms(split_lines(text))
    if not blocks:
        raise NoFormsFound("no 财政项目支出绩效自评表 or 绩效目标申报表 found in the text", source=source)
    for block, outcome in zip(blocks, process_blocks(backend, blocks, text, validate=settings.validate)):
        if isinstance(outcome, FormexError):
            result.errors.append({**outcome.as_dict(), "lines": [block.first_line + 1, block.last_line + 1]})
        else:
            result.forms.append(outcome)
    return result


def process_blocks(backend: Backend, blocks: list[FormBlock], text: str, *,
                   validate: bool = True) -> list[ExtractedForm | FormexError]:
    """Steps 4-8 for the forms of one document: read, validate, repair, validate again, assemble."""
    readings = read_all(backend, blocks, text)
    read = [r for r in readings if isinstance(r, Reading)]
    if not validate or not read:
        return [r if isinstance(r, FormexError) else assemble(r, None) for r in readings]
    sources = {id(r.block): SourceText.of_lines(text, r.block.lines) for r in read}

    def check(reading: Reading) -> FormValidation:
        source = sources.get(id(reading.block)) or SourceText.of_lines(text, reading.block.lines)
        return validate_reading(reading, source)

    first = [check(r) for r in read]
    repaired = repair_all(backend, list(zip(read, first)), text, check)
    final = iter([assemble(after, validation if after is before else check(after))
                  for before, after, validation in zip(read, repaired, first)])
    return [r if isinstance(r, FormexError) else next(final) for r in readings]


def validate_reading(reading: Reading, source: SourceText) -> FormValidation:
    """The validators on one reading: its provenance is confirmed, its regions reused, and the
    block's column map of its head row (read once per block, by the parser as a rule) passed on
    where it is the one the validators would read: the same lines, head row and form type."""
    block, regions = reading.block, reading.regions
    same = (reading.form.form_type == block.form_type and tuple(source.lines) == block.lines
            and (regions.head_at if regions is not None else block.table_head) == block.table_head)
    return validate_form(reading.form, source, provenance=reading.provenance, regions=regions,
                         columns=block.head_columns if same else None)


def assemble(reading: Reading, validation: FormValidation | None) -> ExtractedForm:
    """The form as it is written out: validated spans, or the provenance when validation was off."""
    spans = validation.spans if validation is not None else reading.provenance
    return ExtractedForm(reading.form, reading.backend, reading.block.first_line, reading.block.last_line,
                         spans=dict(spans), validation=validation, extraction=reading.extraction, extra=reading.extra)


def extract_bytes(data: bytes, *, source: str, settings: Settings | None = None, backend: Backend | None = None) -> DocumentResult:
    """Extract one input given as bytes: OCR text (any layout), a PDF, an image, a workbook, a Word
    document or a web page."""
    settings = settings or Settings()
    if len(data) > settings.max_input_bytes:
        raise InputTooLarge(f"the input is {len(data)} bytes, over the limit of {settings.max_input_bytes}", source=source)
    ingested = ingest_bytes(data, source=source, ocr_dpi=settings.ocr_dpi, limits=Limits.of(settings),
                            correct_ocr=settings.ocr_corrections)
    result = extract_text(ingested.text, source=source, settings=settings, backend=backend,
                          encoding=ingested.encoding, sha256=ingested.sha256)
    note_corrections(result, ingested.corrections)
    result.input_kind, result.pages, result.boxes = ingested.kind, ingested.pages, ingested.boxes
    result.input_repaired, result.warnings = ingested.repaired, ingested.warnings
    result.layout = ingested.layout
    return result


def note_corrections(result: DocumentResult, corrections: list[Any]) -> None:
    """The OCR corrections ingestion made: kept on the result, and a finding on each form that holds one."""
    result.corrections = list(corrections)
    if not corrections:
        return
    starts = [*line_starts(result.text), len(result.text) + 1]
    for form in result.forms:
        if form.validation is not None:
            start, end = starts[form.first_line], starts[form.last_line + 1]
            form.validation.findings.extend(correction_findings(corrections, start, end, form.validation.spans))


def line_starts(text: str) -> list[int]:
    """The offset of every line of ``text``."""
    starts, at = [0], text.find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def extract_file(path: str | Path, *, settings: Settings | None = None, backend: Backend | None = None) -> DocumentResult:
    """Extract one input file. Raises an :class:`~extractor.errors.InputError` if it cannot be used."""
    settings = settings or Settings()
    path = Path(path)
    data = read_input_bytes(path, max_bytes=settings.max_input_bytes)
    return extract_bytes(data, source=str(path), settings=settings, backend=backend)
