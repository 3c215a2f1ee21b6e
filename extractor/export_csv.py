"""CSV files of a batch's results, for spreadsheets and scripts: ``forms.csv``, ``indicators.csv``
and ``findings.csv`` in one folder, UTF-8 with a BOM (so Excel reads the Chinese right).

The columns are the workbook's (:mod:`extractor.export_tables`): the header row holds the form's
printed labels; the field path of each column is in the workbook's header comments and in
:data:`extractor.export_tables.FORM_COLUMNS`. Rows stream to the files one form at a time.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import IO, Any, Callable, Iterable, NamedTuple

from extractor.export_tables import FINDING_COLUMNS, FORM_COLUMNS, INDICATOR_COLUMNS, Column, FormRows
from extractor.xlsx_stream import BUFFER

FILES = {"forms": "forms.csv", "indicators": "indicators.csv", "findings": "findings.csv"}


class CsvPart(NamedTuple):
    """Some forms' lines of the three files, as UTF-8."""

    forms: bytes
    indicators: bytes
    findings: bytes
    count: int


def _lines(rows: Iterable[list[Any]]) -> str:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue()


_NONE, _MISSING = type(None), object()


def _plain(text: str, printable: bool) -> bool:
    """No field of the text needs quoting: none holds what the csv module quotes (``,"\\r\\n``) or
    refuses (NUL); ``printable``: the text is (so it holds no line break and no NUL)."""
    if "," in text or '"' in text:
        return False
    return printable or not ("\n" in text or "\r" in text or "\x00" in text)


class LineFormat:
    """CSV lines of one table, as the csv module writes them (``csv.writer``, its default dialect):
    rows whose strings need no quoting go through a template made once per row shape; any other
    rows through the csv module."""

    def __init__(self) -> None:
        self._templates: dict[tuple[type, ...], Callable[[list[Any]], str] | None] = {}

    def lines(self, rows: list[list[Any]], plain: bool, shapes: Iterable[tuple[type, ...]] | None = None) -> str:
        """The rows' lines; ``plain``: no string in them needs quoting; ``shapes``: each row's
        ``tuple(map(type, row))``, where the caller has them."""
        if plain:
            out = []
            for row, shape in zip(rows, shapes or (tuple(map(type, row)) for row in rows)):
                render = self._templates.get(shape, _MISSING)
                if render is _MISSING:
                    render = self._template(shape)
                if render is None:
                    break
                out.append(render(row))
            else:
                return "".join(out)
        return _lines(rows)

    def _template(self, shape: tuple[type, ...]) -> Callable[[list[Any]], str] | None:
        """An f-string made once per shape (only the fields' places go into its source): str and int
        as ``str()``, float as ``repr()``, None empty, as the csv module writes them; None for other types."""
        fields: list[str] | None = []
        for i, kind in enumerate(shape):
            if kind is str or kind is int:
                fields.append(f"{{v[{i}]}}")
            elif kind is float:
                fields.append(f"{{v[{i}]!r}}")
            elif kind is _NONE:
                fields.append("")
            else:
                fields = None
                break
        render = None
        if fields is not None and len(fields) > 1:
            render = eval("lambda v: f'" + ",".join(fields) + "\\r\\n'")     # noqa: S307 (field places only)
        if len(self._templates) < 4096:
            self._templates[shape] = render
        return render


FORMS, INDICATORS, FINDINGS = LineFormat(), LineFormat(), LineFormat()


def render(forms: list[FormRows]) -> CsvPart:
    """The CSV lines of these forms (done where the document was extracted)."""
    form_lines, indicator_lines, finding_lines = [], [], []
    for rows in forms:
        form_shape, indicator_shapes, finding_shapes = rows.shapes
        form_lines.append(FORMS.lines([rows.form], _plain(rows.form_text, rows.form_printable), (form_shape,)))
        plain = _plain(rows.row_text, rows.row_printable)
        indicator_lines.append(INDICATORS.lines(rows.indicators, plain, indicator_shapes))
        if rows.findings:
            finding_lines.append(FINDINGS.lines(rows.findings, plain, finding_shapes))
    return CsvPart("".join(form_lines).encode(), "".join(indicator_lines).encode(), "".join(finding_lines).encode(),
                   len(forms))


class CsvWriter:
    """Add each document's :class:`CsvPart` in input order, then :meth:`close`."""

    kind = "csv"

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.forms = self._open(FILES["forms"], FORM_COLUMNS)
        self.indicators = self._open(FILES["indicators"], INDICATOR_COLUMNS)
        self.findings = self._open(FILES["findings"], FINDING_COLUMNS)
        self.count = 0

    def _open(self, name: str, columns: tuple[Column, ...]) -> IO[bytes]:
        handle = open(self.folder / name, "wb", buffering=BUFFER)
        handle.write(codecs.BOM_UTF8 + _lines([[c.label for c in columns]]).encode())
        return handle

    def add(self, part: CsvPart | tuple[Any, ...]) -> None:
        """A :class:`CsvPart`, or its fields in a plain tuple (as a batch's workers send it)."""
        forms, indicators, findings, count = part
        self.forms.write(forms)
        self.indicators.write(indicators)
        if findings:
            self.findings.write(findings)
        self.count += count

    def close(self) -> int:
        for handle in (self.forms, self.indicators, self.findings):
            handle.close()
        return self.count


def write_csv(forms: Iterable[FormRows], folder: Path) -> int:
    """Write the three CSV files; returns the number of forms written."""
    writer = CsvWriter(folder)
    try:
        for rows in forms:
            writer.add(render([rows]))
    finally:
        writer.close()
    return writer.count
