"""A streaming .xlsx writer: rows go to temporary files as they come and are zipped on close.

openpyxl builds each cell through an element tree (over 100 µs a cell without lxml); a batch of
tens of thousands of forms has millions of cells. This writer formats SpreadsheetML text
directly: inline strings, numbers, a few styles (bold, red and amber fills), cell comments (with
their VML shapes), column widths, a frozen header and an autofilter. Time and memory grow with
the rows and nothing else: rows and comments stream to temporary files, whatever their number.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any, Sequence

from openpyxl.utils import get_column_letter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
STYLE_IDS = {None: 0, "bold": 1, "error": 2, "warning": 3}
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPECIAL = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')

STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFF4B6B6"/><bgColor indexed="64"/></patternFill></fill><fill><patternFill patternType="solid"><fgColor rgb="FFFBE3A6"/><bgColor indexed="64"/></patternFill></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="0" fontId="0" fillId="2" borderId="0" xfId="0" applyFill="1"/><xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""

VML_HEAD = """<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">
<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{n}"/></o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>
"""
VML_SHAPE = ('<v:shape id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
             'margin-top:1.5pt;width:{w}pt;height:{h}pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" '
             'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
             '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left">'
             '</div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
             '<x:Anchor>{c1}, 15, {r0}, 2, {c3}, 15, {r4}, 16</x:Anchor><x:AutoFill>False</x:AutoFill>'
             '<x:Row>{row}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>\n')


def escape(text: str) -> str:
    """Text for XML: markup characters escaped, characters XML cannot hold dropped."""
    if _SPECIAL.search(text) is None:
        return text
    text = _ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class Styled:
    """A value with a style (``bold``, ``error``, ``warning``) and optionally a comment."""

    __slots__ = ("value", "style", "comment")

    def __init__(self, value: Any, style: str | None = None, comment: str | None = None) -> None:
        self.value, self.style, self.comment = value, style, comment


def _cell(ref: str, value: Any, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>' if style else ""
    if value is True or value is False:
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            return f'<c r="{ref}"{s} t="inlineStr"><is><t>{value}</t></is></c>'
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = escape(str(value))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


class StreamSheet:
    def __init__(self, number: int, title: str, widths: Sequence[float], frozen_rows: int = 1) -> None:
        self.number, self.title, self.widths, self.frozen_rows = number, title, list(widths), frozen_rows
        self.letters = [get_column_letter(i + 1) for i in range(len(widths))]
        self.rows = 0
        self._data: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._comments: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._shapes: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.comments = 0

    def append(self, values: Sequence[Any]) -> None:
        self.rows += 1
        row = self.rows
        parts = [f'<row r="{row}">']
        letters = self.letters
        for i, value in enumerate(values):
            kind = type(value)
            if value is None:
                continue
            letter = letters[i] if i < len(letters) else get_column_letter(i + 1)
            if kind is str and value and not (value[0].isspace() or value[-1].isspace()):   # the common cases first
                parts.append(f'<c r="{letter}{row}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            elif kind is int or (kind is float and value - value == 0):
                parts.append(f'<c r="{letter}{row}"><v>{value!r}</v></c>')
            elif kind is Styled:
                parts.append(_cell(f"{letter}{row}", value.value, STYLE_IDS[value.style]))
                if value.comment:
                    self._comment(f"{letter}{row}", row - 1, i, value.comment)
            else:
                parts.append(_cell(f"{letter}{row}", value))
        parts.append("</row>")
        self._data.write("".join(parts))

    def _comment(self, ref: str, row: int, col: int, text: str) -> None:
        self.comments += 1
        self._comments.write(f'<comment ref="{ref}" authorId="0"><text><t xml:space="preserve">{escape(text)}</t>'
                             f'</text></comment>')
        lines = text.count("\n") + 1
        self._shapes.write(VML_SHAPE.format(id=1024 * self.number + self.comments, w=240, h=min(400, 14 * lines + 16),
                                            c1=col + 1, r0=max(0, row - 1), c3=col + 4, r4=row + lines + 2,
                                            row=row, col=col))

    def write_to(self, book: zipfile.ZipFile) -> None:
        last = f"{self.letters[-1]}{max(1, self.rows)}"
        cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(self.widths, 1))
        pane = (f'<pane ySplit="{self.frozen_rows}" topLeftCell="A{self.frozen_rows + 1}" activePane="bottomLeft" '
                f'state="frozen"/><selection pane="bottomLeft" activeCell="A{self.frozen_rows + 1}" '
                f'sqref="A{self.frozen_rows + 1}"/>') if self.frozen_rows else ""
        head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
                f'<dimension ref="A1:{last}"/><sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>')
        tail = f'</sheetData><autoFilter ref="A1:{last}"/>'
        tail += '<legacyDrawing r:id="rId2"/></worksheet>' if self.comments else "</worksheet>"
        with book.open(f"xl/worksheets/sheet{self.number}.xml", "w", force_zip64=True) as raw:
            raw.write(head.encode())
            _copy(self._data, raw)
            raw.write(tail.encode())
        if not self.comments:
            return
        with book.open(f"xl/comments{self.number}.xml", "w", force_zip64=True) as raw:
            raw.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN}"><authors>'
                      f'<author>formex</author></authors><commentList>'.encode())
            _copy(self._comments, raw)
            raw.write(b"</commentList></comments>")
        with book.open(f"xl/drawings/vmlDrawing{self.number}.vml", "w", force_zip64=True) as raw:
            raw.write(VML_HEAD.format(n=self.number).encode())
            _copy(self._shapes, raw)
            raw.write(b"</xml>")
        book.writestr(f"xl/worksheets/_rels/sheet{self.number}.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL}">'
            f'<Relationship Id="rId1" Type="{REL}/comments" Target="../comments{self.number}.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/vmlDrawing" Target="../drawings/vmlDrawing{self.number}.vml"/>'
            f'</Relationships>'))

    def close(self) -> None:
        for handle in (self._data, self._comments, self._shapes):
            handle.close()


def _copy(source: IO[str], target: IO[bytes]) -> None:
    source.seek(0)
    while chunk := source.read(1 << 20):
        target.write(chunk.encode())


class StreamBook:
    """Sheets added with :meth:`sheet`, rows appended to them, then :meth:`save`."""

    def __init__(self) -> None:
        self.sheets: list[StreamSheet] = []

    def sheet(self, title: str, widths: Sequence[float]) -> StreamSheet:
        sheet = StreamSheet(len(self.sheets) + 1, title, widths)
        self.sheets.append(sheet)
        return sheet

    def save(self, path: Path) -> None:
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
                book.writestr("[Content_Types].xml", self._content_types())
                book.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                              f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
                              f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
                book.writestr("xl/workbook.xml", self._workbook())
                book.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
                book.writestr("xl/styles.xml", STYLES)
                for sheet in self.sheets:
                    sheet.write_to(book)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
            for sheet in self.sheets:
                sheet.close()

    def _content_types(self) -> str:
        ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        parts = [f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>',
                 f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>']
        for sheet in self.sheets:
            parts.append(f'<Override PartName="/xl/worksheets/sheet{sheet.number}.xml" ContentType="{ct}.worksheet+xml"/>')
            if sheet.comments:
                parts.append(f'<Override PartName="/xl/comments{sheet.number}.xml" ContentType="{ct}.comments+xml"/>')
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/'
                f'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                f'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                f'<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>'
                f'{"".join(parts)}</Types>')

    def _workbook(self) -> str:
        sheets = "".join(f'<sheet name="{escape(s.title)}" sheetId="{s.number}" r:id="rId{s.number}"/>' for s in self.sheets)
        names = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{s.number - 1}" hidden="1">'
                        f"'{escape(s.title)}'!$A$1:${s.letters[-1]}${max(1, s.rows)}</definedName>" for s in self.sheets)
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
                f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets>'
                f'<definedNames>{names}</definedNames></workbook>')

    def _workbook_rels(self) -> str:
        rels = "".join(f'<Relationship Id="rId{s.number}" Type="{REL}/worksheet" Target="worksheets/sheet{s.number}.xml"/>'
                       for s in self.sheets)
        styles = f'<Relationship Id="rId{len(self.sheets) + 1}" Type="{REL}/styles" Target="styles.xml"/>'
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL}">'
                f"{rels}{styles}</Relationships>")
