"""Render the eval set's documents into the formats archives hold them in.

Each renderer takes a document's OCR text (one table row per line, tab-separated) and returns
the bytes of the same forms as a user would receive them:

- ``xlsx``: one sheet per form, numbers stored as numbers with their display format
  (``#,##0.00``, ``0.00%``, dates), level labels and the fund-unit cell merged down their rows,
  values merged across the empty cells beside them, a hidden column and a hidden row of junk,
  and a sheet of notes that holds no form;
- ``docx``: title and year as paragraphs, each form's table with ``gridSpan`` / ``vMerge``;
- ``html``: a saved web page, navigation around the tables, ``rowspan`` / ``colspan``,
  ``<br>`` inside long cells, entities;
- ``pipes``: markdown ``|`` rows; ``cells``: one cell per line; ``flat``: the whole document on
  one line, cells separated by single spaces; ``glued``: the same with no separator at all
  (a document-sharing site's text preview).

The gold labels are the same as for the text: the renderers only change the shape.

    python -m eval.render_formats OUTDIR FORMAT     # every document → OUTDIR/<name>.<ext>
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import io
import re
from pathlib import Path

from extractor.framework import resolve_label

FORMATS = ("xlsx", "docx", "html", "pipes", "cells", "flat", "glued")
SUFFIX = {"xlsx": "xlsx", "docx": "docx", "html": "html", "pipes": "md", "cells": "txt", "flat": "txt", "glued": "txt"}
_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+(\.\d+)?$")
_PERCENT = re.compile(r"^-?\d+(\.\d+)?%$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def rows_of(text: str) -> list[list[str]]:
    """The document as rows of stripped cells, trailing empty cells dropped."""
    rows = []
    for raw in text.split("\n"):
        cells = [c.strip() for c in raw.split("\t")]
        while cells and not cells[-1]:
            cells.pop()
        rows.append(cells)
    return rows


def tables_of(text: str) -> list[list[list[str]]]:
    """Runs of rows between blank lines: a title, a year, a table."""
    groups: list[list[list[str]]] = [[]]
    for row in rows_of(text):
        if not row:
            if groups[-1]:
                groups.append([])
            continue
        groups[-1].append([c.lstrip("# ") if i == 0 else c for i, c in enumerate(row)])
    return [g for g in groups if g]


def forms_of(text: str) -> list[list[list[str]]]:
    """The document's rows cut at each form's title (one sheet per form in the workbook)."""
    forms: list[list[list[str]]] = [[]]
    for row in rows_of(text):
        title = "".join(row)
        if ("绩效自评表" in title or "绩效目标申报表" in title) and len(title) < 40 and any(
                "项目名称" in "".join(r) for r in forms[-1]):
            forms.append([])
        forms[-1].append([c.lstrip("# ") if i == 0 else c for i, c in enumerate(row)])
    return [f for f in forms if any(f)]


def _merges(rows: list[list[str]]) -> list[tuple[int, int, int, int]]:
    """(row0, col0, row1, col1) inclusive: level labels and the fund-unit cell down the empty
    cells below them; other values across the empty cells to their right."""
    taken: set[tuple[int, int]] = set()
    merges = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if not value or (r, c) in taken or len(row) < 2:
                continue
            down = r
            if resolve_label(value) is not None or value.startswith("项目资金"):
                while _free_below(rows, down + 1, c, taken):
                    down += 1
            right = c
            if down == r and not _NUMBER.match(value):
                while right + 1 < len(row) and not row[right + 1] and (r, right + 1) not in taken:
                    right += 1
            if down > r or right > c:
                merges.append((r, c, down, right))
                taken.update((i, j) for i in range(r, down + 1) for j in range(c, right + 1))
    return merges


def _free_below(rows: list[list[str]], r: int, c: int, taken: set[tuple[int, int]]) -> bool:
    """Row ``r`` of the same table leaves column ``c`` empty and starts no new parent on its left."""
    return (r < len(rows) and len(rows[r]) > 1 and not _at(rows, r, c) and (r, c) not in taken
            and not (c and _at(rows, r, c - 1)))


def _at(rows: list[list[str]], r: int, c: int) -> str:
    return rows[r][c] if 0 <= c < len(rows[r]) else ""


def render_xlsx(text: str) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for n, form_rows in enumerate(forms_of(text), start=1):
        sheet = book.create_sheet(f"表{n}")
        rows = [form_rows[0], ["隐藏行：草稿数据", "999.99"], *form_rows[1:]]
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value:
                    _put(sheet.cell(row=r, column=c), value)
        for r0, c0, r1, c1 in _merges(rows):
            sheet.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
        sheet.row_dimensions[2].hidden = True
        junk = max((len(r) for r in rows), default=1) + 1
        sheet.cell(row=1, column=junk, value="内部备注：不打印")
        sheet.column_dimensions[openpyxl.utils.get_column_letter(junk)].hidden = True
    notes = book.create_sheet("填表说明")
    notes.cell(row=1, column=1, value="本表由单位填报，金额单位见表头。")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _put(cell, value: str) -> None:  # noqa: ANN001 (openpyxl cell)
    """Numbers as numbers with the format that displays them as printed; text as text."""
    if _NUMBER.match(value) and not (value.lstrip("-").startswith("0") and len(value.split(".")[0].lstrip("-")) > 1):
        decimals = len(value.split(".", 1)[1]) if "." in value else 0
        cell.value = float(value.replace(",", "")) if decimals else int(value.replace(",", ""))
        cell.number_format = ("#,##0" if "," in value else "0") + ("." + "0" * decimals if decimals else "")
    elif _PERCENT.match(value):
        digits = value[:-1]
        decimals = len(digits.split(".", 1)[1]) if "." in digits else 0
        cell.value = round(float(digits) / 100, decimals + 4)
        cell.number_format = "0" + ("." + "0" * decimals if decimals else "") + "%"
    elif _DATE.match(value):
        year, month, day = map(int, _DATE.match(value).groups())  # type: ignore[union-attr]
        cell.value = dt.datetime(year, month, day)
        cell.number_format = "yyyy-mm-dd"
    else:
        cell.value = value
        cell.data_type = "s"


def _docx_table(rows: list[list[str]]) -> str:
    """A ``w:tbl`` written directly (python-docx's merge is quadratic): merged cells as
    ``gridSpan`` across and ``vMerge`` restart / continue down, as Word writes them."""
    from docx.oxml.ns import nsdecls

    width = max(len(r) for r in rows)
    spans = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in _merges(rows)}
    below: dict[tuple[int, int], int] = {}          # (row, col) continued from above → its gridSpan
    skip: set[tuple[int, int]] = set()
    for (r0, c0), (r1, c1) in spans.items():
        skip.update((r, c) for r in range(r0, r1 + 1) for c in range(c0 + 1, c1 + 1))
        below.update({(r, c0): c1 - c0 + 1 for r in range(r0 + 1, r1 + 1)})
    grid = "".join('<w:gridCol w:w="1200"/>' for _ in range(width))
    parts = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/><w:tblLook w:val="04A0"/></w:tblPr>'
             f"<w:tblGrid>{grid}</w:tblGrid>"]
    for r in range(len(rows)):
        parts.append("<w:tr>")
        for c in range(width):
            if (r, c) in skip:
                continue
            if (r, c) in below:
                span = below[(r, c)]
                parts.append(f'<w:tc><w:tcPr>{_cell_width(span)}{_grid_span(span)}<w:vMerge/></w:tcPr><w:p/></w:tc>')
                continue
            r1, c1 = spans.get((r, c), (r, c))
            merge = '<w:vMerge w:val="restart"/>' if r1 > r else ""
            value = html.escape(_at(rows, r, c), quote=False)
            run = f'<w:r><w:t xml:space="preserve">{value}</w:t></w:r>' if value else ""
            parts.append(f"<w:tc><w:tcPr>{_cell_width(c1 - c + 1)}{_grid_span(c1 - c + 1)}{merge}</w:tcPr><w:p>{run}</w:p></w:tc>")
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    return "".join(parts)


def _cell_width(span: int) -> str:
    return f'<w:tcW w:w="{1200 * span}" w:type="dxa"/>'


def _grid_span(span: int) -> str:
    return f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""


def render_docx(text: str) -> bytes:
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    for group in tables_of(text):
        table_rows = [r for r in group if len(r) > 1]
        start = group.index(table_rows[0]) if table_rows else len(group)
        for row in group[:start]:
            document.add_paragraph(row[0] if row else "")
        if not table_rows:
            continue
        rows = group[start:]
        width = max(len(r) for r in rows)
        document.element.body.insert(len(document.element.body) - 1, parse_xml(_docx_table(rows)))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


NAV = ('<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/xxgk">信息公开</a></li>'
       '<li><a href="/czyjs">财政预决算</a></li></ul><span>当前位置：首页 &gt; 信息公开 &gt; 预决算公开</span></div>')
FOOTER = '<div class="footer"><p>主办单位：某区人民政府办公室 &nbsp; 备案号：沪ICP备00000000号</p><script>var a = "<td>1</td>";</script></div>'


def render_html(text: str) -> bytes:
    parts = ['<!DOCTYPE html><html><head><meta charset="utf-8"><title>绩效自评公开</title>'
             '<style>td{border:1px solid #000}</style></head><body>', NAV, '<div class="content">']
    for group in tables_of(text):
        table_rows = [r for r in group if len(r) > 1]
        if not table_rows:
            parts += [f"<p>{_html_text(row[0])}</p>" for row in group if row]
            continue
        start = group.index(table_rows[0])
        parts += [f"<h3>{_html_text(row[0])}</h3>" for row in group[:start] if row]
        rows = group[start:]
        covered: dict[tuple[int, int], bool] = {}
        spans = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in _merges(rows)}
        for (r0, c0), (rs, cs) in spans.items():
            covered.update({(r0 + i, c0 + j): True for i in range(rs) for j in range(cs) if i or j})
        width = max(len(r) for r in rows)
        parts.append('<table cellspacing="0">')
        for r, row in enumerate(rows):
            cells = []
            for c in range(width):
                if covered.get((r, c)):
                    continue
                rs, cs = spans.get((r, c), (1, 1))
                attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
                cells.append(f"<td{attrs}>{_html_text(_at(rows, r, c), wrap=True)}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</table>")
    parts += ["</div>", FOOTER, "</body></html>"]
    return "\n".join(parts).encode("utf-8")


def _html_text(value: str, wrap: bool = False) -> str:
    escaped = html.escape(value, quote=False).replace(" ", "&nbsp;", 1) if " " in value[:1] else html.escape(value, quote=False)
    if wrap and len(value) > 40:
        cut = next((i for i in range(30, len(value)) if "\u4e00" <= value[i] <= "\u9fff" and "\u4e00" <= value[i - 1] <= "\u9fff"), None)
        if cut is not None:
            return html.escape(value[:cut], quote=False) + "<br/>" + html.escape(value[cut:], quote=False)
    return escaped


def render_pipes(text: str) -> bytes:
    lines = []
    for group in tables_of(text):
        table_rows = [r for r in group if len(r) > 1]
        for n, row in enumerate(group):
            if len(row) <= 1 and (not table_rows or n < group.index(table_rows[0])):
                lines.append(row[0] if row else "")
                continue
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
            if table_rows and row is table_rows[0]:
                lines.append("|" + "---|" * len(row))
        lines.append("")
    return "\n".join(lines).encode("utf-8")


def render_cells(text: str) -> bytes:
    return "\n".join(c for row in rows_of(text) for c in row if c).encode("utf-8")


def render_flat(text: str) -> bytes:
    return " ".join(c.lstrip("# ") for row in rows_of(text) for c in row if c).encode("utf-8")


def render_glued(text: str) -> bytes:
    return "".join(c.lstrip("# ") for row in rows_of(text) for c in row if c).encode("utf-8")


RENDERERS = {"xlsx": render_xlsx, "docx": render_docx, "html": render_html, "pipes": render_pipes,
             "cells": render_cells, "flat": render_flat, "glued": render_glued}


def render(text: str, fmt: str) -> bytes:
    return RENDERERS[fmt](text)


def main(argv: list[str] | None = None) -> None:
    from eval.dataset import DATA_DIR, load_cases

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("format", choices=FORMATS)
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    for case in load_cases(args.data):
        path = args.outdir / f"{case.name}.{SUFFIX[args.format]}"
        path.write_bytes(render(case.text_path.read_text(encoding="utf-8"), args.format))
        print(path)


if __name__ == "__main__":
    main()
