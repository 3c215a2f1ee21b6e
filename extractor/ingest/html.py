"""HTML pages (a saved web page, an exported table) → row text, via lxml.

Tables are laid on a grid (``rowspan``/``colspan``: a spanned value stays in its first cell);
``<br>`` inside a cell is a space; entities are decoded by the parser. Text outside tables
(titles, the year, navigation) becomes lines of its own in reading order; a table holding
other tables (page layout) is read through to the tables inside. A page with no table at all
is returned as its text lines, for the text layouts to rebuild; on a page with tables, the text
after the last one (a site's footer) is left out.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from extractor.errors import CorruptInput
from extractor.ingest.rows import cell_text, rows_to_text

MAX_COLUMNS = 256            # a colspan="100000" is not a reason to build a huge grid
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_SKIP = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "caption", "section", "article", "header",
           "footer", "nav", "ul", "ol", "dl", "dt", "dd", "pre", "blockquote", "form", "center", "title", "body",
           "main", "aside", "address", "hr", "br", "figure", "figcaption"}


def decode_html(data: bytes) -> str:
    """The page's text: its BOM, its declared charset, then UTF-8, then GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    declared = _CHARSET.search(data[:4096])
    candidates = [declared.group(1).decode("ascii").lower()] if declared else []
    for encoding in (*candidates, "utf-8", "gb18030"):
        encoding = "gb18030" if encoding in ("gb2312", "gbk", "x-gbk") else encoding
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("gb18030", errors="replace")


def html_of_mht(data: bytes, *, source: str) -> bytes:
    """The page of a saved web archive (.mht, MIME multipart/related): its first text/html part,
    as UTF-8 with a BOM so its own charset declaration is not applied twice."""
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset() or ""
            try:
                text = payload.decode(charset) if charset else decode_html(payload)
            except (LookupError, UnicodeDecodeError):
                text = decode_html(payload)
            return b"\xef\xbb\xbf" + text.encode("utf-8")
    raise CorruptInput("a web archive (.mht) without an HTML page in it", source=source)


def read_html(data: bytes, *, source: str) -> tuple[str, bool]:
    """(row text, whether the page held tables)."""
    import lxml.html
    from lxml import etree

    text = _XML_DECL.sub("", decode_html(data))
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise CorruptInput(f"not a readable HTML page: {exc}", source=source) from exc
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    body = root.find("body")
    rows = list(_walk(body if body is not None else root))
    last = max((n for n, row in enumerate(rows) if isinstance(row, _TableRow)), default=len(rows) - 1)
    return rows_to_text(rows[:last + 1]), any(isinstance(row, _TableRow) for row in rows)


class _TableRow(list):
    """A row read from a table (text after a page's last table is its footer, and is left out)."""


def _walk(element: Any) -> Iterator[list[str]]:
    """Rows in reading order: a line per block of text outside tables, a row per table row."""
    buffer: list[str] = []

    def flush() -> Iterator[list[str]]:
        line = cell_text("".join(buffer))
        buffer.clear()
        for part in line.split("\n") if line else ():
            if part.strip():
                yield [part.strip()]

    if element.text and isinstance(element.tag, str) and element.tag not in _SKIP:
        buffer.append(element.text)
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _SKIP or not tag:
            if child.tail:
                buffer.append(child.tail)
            continue
        if tag == "table" or tag in _BLOCKS:
            yield from flush()
            if tag == "table" and not _has_inner_table(child):
                yield from _grid(child)
            elif tag == "br":
                pass
            else:
                yield from _walk(child)
        else:
            buffer.append(_inline_text(child))
        if child.tail:
            buffer.append(child.tail)
    yield from flush()


def _inline_text(element: Any) -> str:
    return "".join(t for t in element.itertext(tag=None) if t) if element.tag not in _SKIP else ""


def _has_inner_table(table: Any) -> bool:
    return any(inner is not table for inner in table.iter("table"))


def _grid(table: Any) -> list[list[str]]:
    grid: dict[tuple[int, int], str] = {}
    rows = [tr for tr in table.iter("tr") if _nearest_table(tr) is table]
    for r, tr in enumerate(rows):
        c = 0
        for td in tr:
            if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                continue
            while (r, c) in grid:
                c += 1
            rowspan = min(_span(td.get("rowspan")), len(rows) - r)      # a span past the table's end is cut
            colspan = min(_span(td.get("colspan")), MAX_COLUMNS)
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid[(r + dr, c + dc)] = ""
            grid[(r, c)] = cell_text(_cell_text(td))
            c += colspan
    width = max((c for _, c in grid), default=-1) + 1
    return [_TableRow(grid.get((r, c), "") for c in range(width)) for r in range(len(rows))]


def _cell_text(td: Any) -> str:
    parts = []
    for node in td.iter():
        if isinstance(node.tag, str) and node.tag in _SKIP:
            continue
        if node is not td and node.text and isinstance(node.tag, str):
            parts.append(node.text)
        elif node is td and td.text:
            parts.append(td.text)
        if node is not td and node.tail:
            parts.append(node.tail)
    return " ".join("".join(parts).split("\n"))


def _nearest_table(element: Any) -> Any:
    parent = element.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(str(value).strip()), 1000))
    except (TypeError, ValueError):
        return 1
