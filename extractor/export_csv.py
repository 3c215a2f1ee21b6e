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


PLAIN, QUOTE, MODULE = 0, 1, 2     # rows' strings: none to quote, some to quote, a line break or NUL (the csv module)


def _need(text: str, printable: bool) -> int:
    """What rows whose strings are joined in ``text`` need: :data:`PLAIN` (no string holds what the
    csv module quotes: ``,"\\r\\n``), :data:`QUOTE` (some hold ``,`` or ``"``) or :data:`MODULE` (a line
    break or NUL: the csv module itself); ``printable``: the text is (so it holds neither)."""
    if not printable and ("\n" in text or "\r" in text or "\x00" in text):
        return MODULE
    return QUOTE if "," in text or '"' in text else PLAIN


def _quoted(row: list[Any], strings_at: tuple[int, ...]) -> list[Any]:
    """The row with each of its strings (at ``strings_at``) that holds a ``,`` or ``"`` quoted as the
    csv module quotes it (a string with no line break: :data:`QUOTE`)."""
    quote = [at for at in strings_at if "," in row[at] or '"' in row[at]]
    if not quote:
        return row
    row = list(row)
    for at in quote:
        row[at] = '"' + row[at].replace('"', '""') + '"'
    return row


class LineFormat:
    """CSV lines of one table, as the csv module writes them (``csv.writer``, its default dialect):
    rows go through a template made once per row shape, the strings that need it quoted first;
    rows with a line break or NUL in a string, or a value of a type the templates do not write,
    through the csv module."""

    def __init__(self) -> None:
        self._templates: dict[tuple[type, ...], tuple[Callable[[list[Any]], str], tuple[int, ...]] | None] = {}

    def lines(self, rows: list[list[Any]], need: int, shapes: Iterable[tuple[type, ...]] | None = None) -> str:
        """The rows' lines; ``need``: what their strings need (:func:`_need`); ``shapes``: each
        row's ``tuple(map(type, row))``, where the caller has them."""
        if need == MODULE:
            return _lines(rows)
        out = []
        for row, shape in zip(rows, shapes or (tuple(map(type, row)) for row in rows)):
            template = self._templates.get(shape, _MISSING)
            if template is _MISSING:
                template = self._template(shape)
            if template is None:
                return _lines(rows)
            render, strings_at = template
            out.append(render(_quoted(row, strings_at) if need == QUOTE else row))
        return "".join(out)

    def _template(self, shape: tuple[type, ...]) -> tuple[Callable[[list[Any]], str], tuple[int, ...]] | None:
        """An f-string made once per shape (only the fields' places go into its source): str and int
        as ``str()``, float as ``repr()``, None empty, as the csv module writes them; with the places
        of the strings. None for other types."""
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
        template = None
        if fields is not None and len(fields) > 1:
            render = eval("lambda v: f'" + ",".join(fields) + "\\r\\n'")     # noqa: S307 (field places only)
            template = (render, tuple(i for i, kind in enumerate(shape) if kind is str))
        if len(self._templates) < 4096:
            self._templates[shape] = template
        return template


FORMS, INDICATORS, FINDINGS = LineFormat(), LineFormat(), LineFormat()


def render(forms: list[FormRows]) -> CsvPart:
    """The CSV lines of these forms (done where the document was extracted)."""
    form_lines, indicator_lines, finding_lines = [], [], []
    for rows in forms:
        form_shape, indicator_shapes, finding_shapes = rows.shapes
        form_lines.append(FORMS.lines([rows.form], _need(rows.form_text, rows.form_printable), (form_shape,)))
        need = _need(rows.row_text, rows.row_printable)
        indicator_lines.append(INDICATORS.lines(rows.indicators, need, indicator_shapes))
        if rows.findings:
            finding_lines.append(FINDINGS.lines(rows.findings, need, finding_shapes))
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
