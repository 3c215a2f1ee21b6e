"""Excel workbooks (.xlsx via openpyxl, .xls via xlrd) → row text.

Every visible sheet holding a form is read in order; hidden rows, columns and sheets are
skipped; merged ranges keep their value in their first cell; numbers are read as the sheet
displays them (``#,##0.00`` → ``6,881.38``, ``0.00%`` → ``95.53%``), never recomputed.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

from extractor.errors import CorruptInput, EncryptedInput
from extractor.ingest.limits import open_zip
from extractor.ingest.rows import holds_form, rows_to_text

_QUOTED = re.compile(r'"([^"]*)"')
_BRACKETS = re.compile(r"\[[^\]]*\]")
_DATE_TOKENS = re.compile(r"yyyy|yy|mm|m|dd|d|hh|h|ss|s", re.I)


def display(value: Any, number_format: str | None) -> str:
    """A cell value as the sheet shows it, for the common number formats of fiscal tables."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (dt.datetime, dt.date)):
        return _date(value, number_format or "")
    if not isinstance(value, (int, float)):
        return str(value)
    fmt = (number_format or "General").strip()
    if fmt in ("General", "@", ""):
        return _general(value)
    sections = fmt.split(";")
    section = sections[1] if value < 0 and len(sections) > 1 else sections[0]
    if value == 0 and len(sections) > 2:
        section = sections[2]
    negative_written = value < 0 and len(sections) > 1
    section = _BRACKETS.sub("", section)
    literal = _QUOTED.sub(lambda m: m.group(1), section)
    literal = re.sub(r"_.", "", literal).replace("\\", "").replace("*", "")
    numeric = re.search(r"[#0?,.]*[#0?][#0?,.]*", literal)
    if not numeric:
        return literal.strip() or _general(value)
    pattern = numeric.group(0)
    number = abs(value) if negative_written else value
    if "%" in literal:
        number = number * 100
    whole, _, fraction = pattern.partition(".")
    decimals = sum(1 for ch in fraction if ch in "0#?")
    text = f"{number:,.{decimals}f}" if "," in whole else f"{number:.{decimals}f}"
    if number == 0 and "0" not in pattern:        # "#" and "?" show nothing for a zero (会计专用: "-")
        text = ""
    if decimals and "0" not in fraction:          # "#.##": optional decimals
        text = text.rstrip("0").rstrip(".")
    return (literal[:numeric.start()] + text + literal[numeric.end():]).strip()


def _general(value: float | int) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.10g}" if abs(value) < 1e15 else repr(value)


def _date(value: dt.date, fmt: str) -> str:
    fmt = _BRACKETS.sub("", _QUOTED.sub(lambda m: m.group(1), fmt)).replace("\\", "")
    if not re.search(r"[yd]", fmt, re.I):
        return value.strftime("%Y-%m-%d") if not isinstance(value, dt.datetime) or not (value.hour or value.minute) \
            else value.strftime("%Y-%m-%d %H:%M")
    parts = {"yyyy": f"{value.year:04d}", "yy": f"{value.year % 100:02d}", "mm": f"{value.month:02d}",
             "m": str(value.month), "dd": f"{value.day:02d}", "d": str(value.day)}
    return _DATE_TOKENS.sub(lambda m: parts.get(m.group(0).lower(), m.group(0)), fmt).strip()


def read_xlsx(data: bytes, *, source: str, max_bytes: int) -> str:
    """Row text of every visible sheet of an .xlsx workbook that holds a form."""
    import openpyxl

    archive = open_zip(data, source=source, max_bytes=max_bytes)
    archive.close()
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise CorruptInput(f"not a readable Excel workbook: {exc}", source=source) from exc
    except Exception as exc:  # openpyxl raises bare exceptions on malformed parts
        raise CorruptInput(f"not a readable Excel workbook: {type(exc).__name__}: {exc}", source=source) from exc
    sheets = [_sheet_text(ws) for ws in book.worksheets if ws.sheet_state == "visible"]
    return _join_sheets(sheets)


def _join_sheets(sheets: list[str]) -> str:
    wanted = [s for s in sheets if holds_form(s)] or sheets
    return "\n\n".join(s for s in wanted if s)


def _sheet_text(ws: Any) -> str:
    """The sheet's rows. Only cells that hold a value are visited (``ws._cells``: a sheet styled
    down to row 1,048,576 is not walked cell by cell), then laid on the grid they span."""
    hidden_cols = set()
    for dims in ws.column_dimensions.values():
        if dims.hidden and dims.min and dims.max:
            hidden_cols.update(range(dims.min, dims.max + 1))
    hidden_rows = {r for r, dims in ws.row_dimensions.items() if dims.hidden}
    covered = set()
    for merged in ws.merged_cells.ranges:
        if merged.size["rows"] * merged.size["columns"] <= 100_000:
            covered.update((r, c) for r in range(merged.min_row, merged.max_row + 1)
                           for c in range(merged.min_col, merged.max_col + 1) if (r, c) != (merged.min_row, merged.min_col))
    values: dict[tuple[int, int], str] = {}
    for (r, c), cell in ws._cells.items():
        if cell.value is None or r in hidden_rows or c in hidden_cols or (r, c) in covered:
            continue
        text = display(cell.value, cell.number_format)
        if text:
            values[(r, c)] = text
    if not values:
        return ""
    columns = [c for c in range(1, max(c for _, c in values) + 1) if c not in hidden_cols]
    rows = [[values.get((r, c), "") for c in columns] for r in range(1, max(r for r, _ in values) + 1) if r not in hidden_rows]
    return rows_to_text(rows)


def read_xls(data: bytes, *, source: str) -> str:
    """Row text of a legacy .xls workbook (BIFF, via xlrd)."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=False)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise EncryptedInput("a password-protected Excel workbook", source=source) from exc
        raise CorruptInput(f"not a readable .xls workbook: {exc}", source=source) from exc
    except Exception as exc:  # xlrd raises assorted errors on damaged BIFF
        raise CorruptInput(f"not a readable .xls workbook: {type(exc).__name__}: {exc}", source=source) from exc
    sheets = []
    for sheet in book.sheets():
        if getattr(sheet, "visibility", 0):
            continue
        sheets.append(_xls_sheet_text(book, sheet))
    return _join_sheets(sheets)


def _xls_sheet_text(book: Any, sheet: Any) -> str:
    import xlrd

    covered = set()
    for r0, r1, c0, c1 in sheet.merged_cells:
        covered.update((r, c) for r in range(r0, r1) for c in range(c0, c1) if (r, c) != (r0, c0))
    hidden_cols = {c for c, info in sheet.colinfo_map.items() if info.hidden}
    rows = []
    for r in range(sheet.nrows):
        info = sheet.rowinfo_map.get(r)
        if info is not None and info.hidden:
            continue
        cells = []
        for c in range(sheet.ncols):
            if c in hidden_cols:
                continue
            if (r, c) in covered:
                cells.append("")
                continue
            cell = sheet.cell(r, c)
            fmt = book.format_map.get(book.xf_list[cell.xf_index].format_key) if cell.xf_index is not None else None
            fmt_str = fmt.format_str if fmt is not None else None
            if cell.ctype == xlrd.XL_CELL_DATE:
                value: Any = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
            elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                value = None
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                value = bool(cell.value)
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                value = xlrd.error_text_from_code.get(cell.value, "#ERR")
            else:
                value = cell.value
            cells.append(display(value, fmt_str))
        rows.append(cells)
    return rows_to_text(rows)
