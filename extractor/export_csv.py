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
from typing import IO, Any, Iterable, NamedTuple

from extractor.export_tables import FINDING_COLUMNS, FORM_COLUMNS, INDICATOR_COLUMNS, Column, FormRows
from extractor.xlsx_stream import BUFFER

FILES = {"forms": "forms.csv", "indicators": "indicators.csv", "findings": "findings.csv"}


class CsvPart(NamedTuple):
    """Some forms' lines of the three files, as UTF-8."""

    forms: bytes
    indicators: bytes
    findings: bytes
    count: int


def _lines(rows: Iterable[list[Any]]) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode()


def render(forms: list[FormRows]) -> CsvPart:
    """The CSV lines of these forms (done where the document was extracted)."""
    return CsvPart(_lines(rows.form for rows in forms), _lines(row for rows in forms for row in rows.indicators),
                   _lines(row for rows in forms for row in rows.findings), len(forms))


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
        handle.write(codecs.BOM_UTF8 + _lines([[c.label for c in columns]]))
        return handle

    def add(self, part: CsvPart) -> None:
        self.forms.write(part.forms)
        self.indicators.write(part.indicators)
        if part.findings:
            self.findings.write(part.findings)
        self.count += part.count

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
