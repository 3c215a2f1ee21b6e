"""Re-validate a hand-off result against its source document (after a person edited it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from extractor.backends.base import RESULT_EXTRAS
from extractor.errors import InputError
from extractor.ingest import read_source_text
from extractor.layout import split_lines
from extractor.settings import Settings
from extractor.validate import SourceText, validate_form
from schemas.forms import parse_form


def revalidate_document(document: dict[str, Any] | list[Any], source_path: Path, *, settings: Settings):
    """Returns the document with fresh validation and a list of (project_name, status, findings) per form."""
    forms = document.get("forms", []) if isinstance(document, dict) else document
    if not isinstance(forms, list):
        raise InputError("the result holds no list of forms")
    text = read_source_text(source_path, settings)
    lines = split_lines(text)
    statuses = []
    updated_forms = []
    for index, data in enumerate(forms):
        contract = {k: v for k, v in data.items() if k not in RESULT_EXTRAS}
        try:
            form = parse_form(contract)
        except ValidationError as exc:
            raise InputError(f"form {index} does not follow the hand-off format: {exc.errors()[0]['msg']} "
                             f"at {'.'.join(str(p) for p in exc.errors()[0]['loc'])}") from exc
        first, last = _line_range(data, len(lines))
        validation = validate_form(form, SourceText(text, lines, first, last))
        updated_forms.append({**contract, "validation": validation.as_dict(),
                              "spans": {p: [list(s) for s in spans] for p, spans in validation.spans.items()},
                              "alignment": validation.alignment, "source_lines": [first + 1, last + 1],
                              **({"extraction": data["extraction"]} if "extraction" in data else {})})
        statuses.append((form.project_name, validation.status, validation.as_dict()["findings"]))
    updated = {**document, "forms": updated_forms} if isinstance(document, dict) else updated_forms
    return updated, statuses


def _line_range(data: dict[str, Any], line_count: int) -> tuple[int, int]:
    """The form's lines (1-based in the result); the whole document when the result does not say."""
    span = data.get("source_lines")
    if isinstance(span, list) and len(span) == 2 and all(isinstance(n, int) for n in span):
        return max(0, span[0] - 1), min(line_count - 1, span[1] - 1)
    return 0, line_count - 1
