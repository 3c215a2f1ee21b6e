"""A streaming .xlsx writer: rows go to temporary files as they come and are zipped on close.

openpyxl builds each cell through an element tree (over 100 µs a cell without lxml); a batch of
tens of thousands of forms has millions of cells. This writer formats SpreadsheetML text
directly: inline strings, numbers, a few styles (bold, red and amber fills), cell comments (with
their VML shapes), column widths, a frozen header and an autofilter. Time and memory grow with
the rows and nothing else: rows and comments stream to temporary files, whatever their number.

Rows are rendered apart from the sheet (:class:`RowFormat`, in whichever process holds the
values: a batch's workers) with their row number left as :data:`ROW`; the sheet numbers them as
they are added in order (:meth:`StreamSheet.add`). Most rows go through a template made once per
row shape; the strings of a form are checked once for what needs escaping."""

from __future__ import annotations

import bisect
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any, Callable, Sequence

from openpyxl.utils import get_column_letter

try:
    from isal import isal_zlib as _isal      # ISA-L's deflate: ~4x zlib's speed on sheet XML, compressing as well
except ImportError:                         # (a platform without its wheel: zlib)
    _isal = None

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
STYLE_IDS = {None: 0, "bold": 1, "error": 2, "warning": 3}
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPECIAL = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
ROW = "\x01"          # the row number's place in a rendered row: a character no cell text keeps
_ROW = ROW.encode()
BUFFER = 1 << 20       # bytes written at a time: a few writes per thousand forms, not one per form
ZLIB_LEVEL, ISAL_LEVEL = 1, 1     # the fastest of each (ISA-L's 0 has no match search: a third larger)

STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFF4B6B6"/><bgColor indexed="64"/></patternFill></fill><fill><patternFill patternType="solid"><fgColor rgb="FFFBE3A6"/><bgColor indexed="64"/></patternFill></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="0" fontId="0" fillId="2" borderId="0" xfId="0" applyFill="1"/><xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""

VML_HEAD = """<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">
<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{n}"/></o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>
"""
def vml_shape(id: int, w: int, h: int, c1: int, r0: int, c3: int, r4: int, row: int, col: int) -> str:
    """A comment's note shape (an f-string: a template's ``format()`` costs 6x as much)."""
    return (f'<v:shape id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
            f'margin-top:1.5pt;width:{w}pt;height:{h}pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" '
            f'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            f'<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left">'
            f'</div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f'<x:Anchor>{c1}, 15, {r0}, 2, {c3}, 15, {r4}, 16</x:Anchor><x:AutoFill>False</x:AutoFill>'
            f'<x:Row>{row}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>\n')


def escape(text: str) -> str:
    """Text for XML: markup characters escaped, characters XML cannot hold dropped."""
    if _SPECIAL.search(text) is None:
        return text
    text = _ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


PLAIN, ESCAPE, CELLS = 0, 1, 2     # how rows' strings go into cells: as they are, escaped, cell by cell


def text_kind(strings: list[str], joined: str | None = None, printable: bool | None = None) -> int:
    """How these strings go into cells, found in one pass over all of them (``joined``: the strings
    joined by a space, and whether that is printable, where the caller has them): :data:`PLAIN` (as
    they are), :data:`ESCAPE` (``&``, ``<`` or ``]]>`` to escape) or :data:`CELLS` (characters XML
    cannot hold, or space at either end, which needs ``xml:space``: cell by cell)."""
    if joined is None:
        joined = " ".join(strings)
    if printable is None:
        printable = joined.isprintable()
    if not printable and _ILLEGAL.search(joined) is not None:     # (printable: nothing XML cannot hold)
        return CELLS
    if list(map(str.strip, strings)) != strings:
        return CELLS
    return ESCAPE if "<" in joined or "&" in joined or "]]>" in joined else PLAIN


def _shape(values: Sequence[Any]) -> tuple[type, ...]:
    return tuple(map(type, values))


def _escaped(values: Sequence[Any]) -> list[Any]:
    """The values with their strings escaped, all in one pass (strings of kind :data:`ESCAPE`)."""
    at = [i for i, value in enumerate(values) if type(value) is str]
    values = list(values)
    texts = "\x00".join([values[i] for i in at]).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for i, text in zip(at, texts.split("\x00")):
        values[i] = text
    return values


def _escapes_otherwise(values: Sequence[Any], kind: int) -> bool:
    """Whether :func:`escape` writes these values' strings otherwise than the rows of ``kind`` do."""
    joined = " ".join([value for value in values if type(value) is str])
    return '"' in joined or (kind == PLAIN and ">" in joined)


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


_NONE, _TEMPLATES = type(None), 4096       # templates kept per sheet: more than the row shapes a batch has
_MISSING: Any = object()


class RowFormat:
    """Rows of one sheet as SpreadsheetML, with their row number left as :data:`ROW` (the batch
    numbers them when it writes them in order; :meth:`StreamSheet.add`).

    A row whose strings need no care (:func:`text_kind`) and whose numbers are finite goes through a
    template made once per shape (the type of each cell: a text, a number, empty), so a row costs
    one call, not one per cell; any other row is written cell by cell."""

    def __init__(self, columns: int) -> None:
        self.letters = [get_column_letter(i + 1) for i in range(columns)]
        self._templates: dict[tuple[type, ...], Callable[[Sequence[Any]], str | None] | None] = {}

    def texts(self, rows: Sequence[Sequence[Any]], kind: int = PLAIN,
              shapes: Sequence[tuple[type, ...]] | None = None) -> list[str]:
        """Rows of values whose strings are of ``kind`` (:func:`text_kind`, found by the caller);
        ``shapes``: each row's ``tuple(map(type, row))``, where the caller has them."""
        if kind == CELLS:
            return [self.row(values)[0] for values in rows]
        templates, out = self._templates, []
        for values, shape in zip(rows, shapes or map(_shape, rows)):
            render = templates.get(shape, _MISSING)
            if render is _MISSING:
                render = self._template(shape)
            text = None if render is None else render(_escaped(values) if kind == ESCAPE else values)
            out.append(self.row(values)[0] if text is None else text)
        return out

    def text(self, values: Sequence[Any], kind: int = PLAIN, shape: tuple[type, ...] | None = None) -> str:
        """One row (:meth:`texts`)."""
        if kind == CELLS:
            return self.row(values)[0]
        if shape is None:
            shape = tuple(map(type, values))
        render = self._templates.get(shape, _MISSING)
        if render is _MISSING:
            render = self._template(shape)
        text = None if render is None else render(_escaped(values) if kind == ESCAPE else values)
        return self.row(values)[0] if text is None else text

    def _template(self, shape: tuple[type, ...]) -> Callable[[Sequence[Any]], str | None] | None:
        """A row shape's template: a function that puts a row's values into its markup (an f-string
        made once per shape: only the markup and the column letters go into its source), or returns
        None where a float of the row is not finite (it has no number form: such rows go cell by
        cell); None where a cell's type has no template (the row goes cell by cell)."""
        cells, floats = [], []
        for i, (letter, kind) in enumerate(zip(self.letters, shape)):
            if kind is str:
                cells.append(f'<c r="{letter}{ROW}" t="inlineStr"><is><t>{{v[{i}]}}</t></is></c>')
            elif kind is int:
                cells.append(f'<c r="{letter}{ROW}"><v>{{v[{i}]}}</v></c>')
            elif kind is float:
                cells.append(f'<c r="{letter}{ROW}"><v>{{v[{i}]!r}}</v></c>')
                floats.append(f"v[{i}]")
            elif kind is not _NONE:
                cells = None
                break
        render = None
        if cells is not None and len(shape) <= len(self.letters):
            markup = f'<row r="{ROW}">{"".join(cells)}</row>'.replace(ROW, "\\x01")
            source = f"f'{markup}'"
            if floats:      # x * 0 == 0 for a finite x only (a sum too large to be finite goes cell by cell too)
                source = f"{source} if ({' + '.join(floats)}) * 0 == 0 else None"
            render = eval(f"lambda v: {source}")     # noqa: S307 (markup and column letters only)
        if len(self._templates) < _TEMPLATES:
            self._templates[shape] = render
        return render

    def styled(self, values: Sequence[Any], styles: dict[int, tuple[str, str]], kind: int = PLAIN,
               shape: tuple[type, ...] | None = None) -> str:
        """A row of values whose cells at ``styles``' columns get a style (their comments are the
        caller's): the plain row with the style put into those cells; an empty one is put in before
        the next cell on its right, as :meth:`row` writes it (rightmost first, so that each finds
        its right neighbour in place). A row with an empty styled cell and a text that :func:`escape`
        writes otherwise (``"``, or ``>`` left as it is) is written cell by cell, as it always was."""
        if kind == CELLS or max(styles) >= len(self.letters) or (
                any(values[col] is None for col in styles) and _escapes_otherwise(values, kind)):
            return self.row([Styled(v, *styles[i]) if i in styles else v for i, v in enumerate(values)])[0]
        text = self.text(values, kind, shape)
        present = [i for i, value in enumerate(values) if value is not None]
        for col in sorted(styles, reverse=True):
            ref = f'<c r="{self.letters[col]}{ROW}"'
            style = STYLE_IDS[styles[col][0]]
            if values[col] is not None:
                text = text.replace(ref, f'{ref} s="{style}"', 1)
                continue
            right = next((i for i in present if i > col), None)
            at = text.index(f'<c r="{self.letters[right]}{ROW}"') if right is not None else len(text) - len("</row>")
            text = f'{text[:at]}{ref} s="{style}"/>{text[at:]}'
            bisect.insort(present, col)
        return text

    def row(self, values: Sequence[Any]) -> tuple[str, list[tuple[int, str]]]:
        """Any row, cell by cell (styled cells too); with the comments of its cells (column, text)."""
        parts = [f'<row r="{ROW}">']
        comments = []
        for i, value in enumerate(values):
            if value is None:
                continue
            letter = self.letters[i] if i < len(self.letters) else get_column_letter(i + 1)
            if type(value) is Styled:
                parts.append(_cell(f"{letter}{ROW}", value.value, STYLE_IDS[value.style]))
                if value.comment:
                    comments.append((i, value.comment))
            else:
                parts.append(_cell(f"{letter}{ROW}", value))
        parts.append("</row>")
        return "".join(parts), comments


class StreamSheet:
    """One sheet: rows rendered by its :attr:`format` (in any process), added in order with
    :meth:`add`, which numbers them; they stream to a temporary file, as do their comments."""

    def __init__(self, number: int, title: str, widths: Sequence[float], frozen_rows: int = 1) -> None:
        self.number, self.title, self.widths, self.frozen_rows = number, title, list(widths), frozen_rows
        self.format = RowFormat(len(widths))
        self.letters = self.format.letters
        self.rows = 0
        self._data: IO[bytes] = tempfile.TemporaryFile("w+b", buffering=BUFFER)
        self._comments: IO[bytes] = tempfile.TemporaryFile("w+b", buffering=BUFFER)
        self._shapes: IO[bytes] = tempfile.TemporaryFile("w+b", buffering=BUFFER)
        self.comments = 0

    def append(self, values: Sequence[Any]) -> None:
        """One row of values (styled ones too), rendered here."""
        text, comments = self.format.row(values)
        self.add([text.encode()], [(0, col, comment) for col, comment in comments])

    def add(self, rows: Sequence[bytes], comments: Sequence[tuple[int, int, str]] = ()) -> None:
        """Rendered rows (UTF-8, :data:`ROW` where their number goes), numbered from the next row;
        ``comments``: (which of these rows, column, text)."""
        first = self.rows + 1
        self._data.write(b"".join([row.replace(_ROW, b"%d" % number) for number, row in enumerate(rows, first)]))
        self.rows += len(rows)
        for offset, col, text in comments:
            self._comment(first + offset, col, text)

    def _comment(self, row: int, col: int, text: str) -> None:
        """A comment on the cell at (1-based) ``row`` and (0-based) ``col``, with its note shape."""
        self.comments += 1
        ref = f"{self.letters[col] if col < len(self.letters) else get_column_letter(col + 1)}{row}"
        self._comments.write(f'<comment ref="{ref}" authorId="0"><text><t xml:space="preserve">{escape(text)}</t>'
                             f'</text></comment>'.encode())
        lines = text.count("\n") + 1
        row -= 1
        self._shapes.write(vml_shape(1024 * self.number + self.comments, 240, min(400, 14 * lines + 16), col + 1,
                                     max(0, row - 1), col + 4, row + lines + 2, row, col).encode())

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
        with _part(book, f"xl/worksheets/sheet{self.number}.xml") as raw:
            raw.write(head.encode())
            _copy(self._data, raw)
            raw.write(tail.encode())
        if not self.comments:
            return
        with _part(book, f"xl/comments{self.number}.xml") as raw:
            raw.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN}"><authors>'
                      f'<author>formex</author></authors><commentList>'.encode())
            _copy(self._comments, raw)
            raw.write(b"</commentList></comments>")
        with _part(book, f"xl/drawings/vmlDrawing{self.number}.vml") as raw:
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


def _part(book: zipfile.ZipFile, name: str) -> IO[bytes]:
    """A part of the book, written in pieces and deflated by ISA-L where it is installed. zipfile
    takes no compressor, so the one of its part writer is swapped before the first byte is written;
    the headers, CRC and sizes stay zipfile's (a zipfile without that attribute keeps its zlib)."""
    raw = book.open(name, "w", force_zip64=True)
    if _isal is not None and getattr(raw, "_compressor", None) is not None:
        raw._compressor = _isal.compressobj(ISAL_LEVEL, _isal.DEFLATED, -15)   # type: ignore[attr-defined]
    return raw


def _copy(source: IO[bytes], target: IO[bytes]) -> None:
    source.seek(0)
    shutil.copyfileobj(source, target, BUFFER)


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
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=ZLIB_LEVEL) as book:
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
