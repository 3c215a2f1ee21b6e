"""CSV files of a batch's results, for spreadsheets and scripts: ``forms.csv``, ``indicators.csv``
and ``findings.csv`` in one folder, UTF-8 with a BOM (so Excel reads the Chinese right).

The columns are the workbook's (:mod:`extractor.export_tables`): the header row holds the form's
printed labels; the field path of each column is in the workbook's header comments and in
:data:`extractor.export_tables.FORM_COLUMNS`. Rows stream to the files one form at a time.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

from extractor.export_tables import FINDING_COLUMNS, FORM_COLUMNS, INDICATOR_COLUMNS, Column, FormRows

FILES = {"forms": "forms.csv", "indicators": "indicators.csv", "findings": "findings.csv"}


class CsvWriter:
    """Add forms one at a time, then :meth:`close`."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._handles = []
        self.forms = self._open(FILES["forms"], FORM_COLUMNS)
        self.indicators = self._open(FILES["indicators"], INDICATOR_COLUMNS)
        self.findings = self._open(FILES["findings"], FINDING_COLUMNS)
        self.count = 0

    def _open(self, name: str, columns: tuple[Column, ...]):  # type: ignore[no-untyped-def]
        handle = open(self.folder / name, "w", encoding="utf-8-sig", newline="")
        self._handles.append(handle)
        writer = csv.writer(handle)
        writer.writerow([c.label for c in columns])
        return writer

    def add(self, rows: FormRows) -> None:
        self.forms.writerow(rows.form)
        self.indicators.writerows(rows.indicators)
        self.findings.writerows(rows.findings)
        self.count += 1

    def close(self) -> int:
        for handle in self._handles:
            handle.close()
        return self.count


def write_csv(forms: Iterable[FormRows], folder: Path) -> int:
    """Write the three CSV files; returns the number of forms written."""
    writer = CsvWriter(folder)
    try:
        for rows in forms:
            writer.add(rows)
    finally:
        writer.close()
    return writer.count
