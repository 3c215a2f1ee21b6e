"""The extraction pipeline, in a fixed order.

1. read: bytes → text (encoding detected)          :mod:`extractor.textio`
2. lay out: text → lines of cells with spans        :mod:`extractor.layout`
3. segment: lines → form blocks, typed              :mod:`extractor.segment`
4. extract: each block → a form (one backend call)  :mod:`extractor.backends`
5. validate: findings, spans, alignment, status      :mod:`extractor.validate`
6. assemble: a :class:`DocumentResult`

A failure of one form is recorded on the document and the other forms go on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.backends import Backend, ExtractedForm, get_backend
from extractor.backends.base import extract_all
from extractor.errors import FormexError, NoFormsFound
from extractor.layout import split_lines
from extractor.segment import split_forms
from extractor.settings import Settings
from extractor.textio import decode_bytes, read_text_file
from extractor.validate import SourceText, validate_form


@dataclass
class DocumentResult:
    """The extraction of one source document."""

    source: str
    sha256: str
    encoding: str
    text: str
    forms: list[ExtractedForm] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def invalid_forms(self) -> int:
        return sum(1 for f in self.forms if f.validation is not None and f.validation.status == "invalid")

    def status_counts(self) -> dict[str, int]:
        counts = {"valid": 0, "needs_review": 0, "invalid": 0}
        for f in self.forms:
            if f.validation is not None:
                counts[f.validation.status] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        """The hand-off object: ``{"source", "sha256", "forms": [...]}``."""
        return {
            "source": self.source,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "backend": self.forms[0].backend if self.forms else None,
            "forms": [f.to_json() for f in self.forms],
            "errors": self.errors,
        }


def extract_text(text: str, *, source: str = "<text>", settings: Settings | None = None,
                 backend: Backend | None = None, encoding: str = "utf-8", sha256: str | None = None) -> DocumentResult:
    """Extract every form of one document's text."""
    settings = settings or Settings()
    backend = backend or get_backend(settings)
    digest = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    result = DocumentResult(source=source, sha256=digest, encoding=encoding, text=text)
    lines = split_lines(text)
    blocks = split_forms(lines)
    if not blocks:
        raise NoFormsFound("no 财政项目支出绩效自评表 or 绩效目标申报表 found in the text", source=source)
    for block, extracted in zip(blocks, extract_all(backend, blocks, text)):
        if isinstance(extracted, FormexError):
            result.errors.append({**extracted.as_dict(), "lines": [block.first_line + 1, block.last_line + 1]})
            continue
        if settings.validate and extracted.validation is None:
            extracted.validation = validate_form(extracted.form, SourceText.of_lines(text, block.lines))
        result.forms.append(extracted)
    return result


def extract_bytes(data: bytes, *, source: str, settings: Settings | None = None, backend: Backend | None = None) -> DocumentResult:
    decoded = decode_bytes(data, source=source)
    return extract_text(decoded.text, source=source, settings=settings, backend=backend,
                        encoding=decoded.encoding, sha256=decoded.sha256)


def extract_file(path: str | Path, *, settings: Settings | None = None, backend: Backend | None = None) -> DocumentResult:
    """Extract one OCR text file. Raises an :class:`~extractor.errors.InputError` if it cannot be used."""
    settings = settings or Settings()
    path = Path(path)
    decoded = read_text_file(path, max_bytes=settings.max_input_bytes)
    return extract_text(decoded.text, source=str(path), settings=settings, backend=backend,
                        encoding=decoded.encoding, sha256=decoded.sha256)
