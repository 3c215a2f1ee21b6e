"""Word documents (.docx, via python-docx's XML tree) → row text.

The body is read in order: each paragraph is a line, each table row a line. Cells spanning
columns (``gridSpan``) keep their text in their first column; cells merged down rows
(``vMerge`` continued) are empty below the first; rows with leading skipped columns
(``gridBefore``) are padded. A table nested in a cell is read as rows of its own, after the
row that holds it.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any, Iterator

from extractor.errors import CorruptInput
from extractor.ingest.limits import open_zip
from extractor.ingest.rows import rows_to_text

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(data: bytes, *, source: str, max_bytes: int) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    open_zip(data, source=source, max_bytes=max_bytes).close()
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise CorruptInput(f"not a readable Word document: {exc}", source=source) from exc
    except Exception as exc:  # python-docx/lxml raise assorted errors on malformed parts
        raise CorruptInput(f"not a readable Word document: {type(exc).__name__}: {exc}", source=source) from exc
    return rows_to_text(_blocks(document.element.body))


def _blocks(parent: Any) -> Iterator[list[str]]:
    for child in parent.iterchildren():
        if child.tag == W + "p":
            yield [_text(child)]
        elif child.tag == W + "tbl":
            yield from _table(child)
        elif child.tag == W + "sdt":
            content = child.find(W + "sdtContent")
            if content is not None:
                yield from _blocks(content)


def _table(table: Any) -> Iterator[list[str]]:
    for tr in _children(table, "tr"):
        row: list[str] = []
        nested: list[Any] = []
        before = _val(tr.find(f"{W}trPr/{W}gridBefore"))
        row.extend([""] * int(before or 0))
        for tc in _children(tr, "tc"):
            span = int(_val(tc.find(f"{W}tcPr/{W}gridSpan")) or 1)
            vmerge = tc.find(f"{W}tcPr/{W}vMerge")
            continued = vmerge is not None and _val(vmerge) in (None, "continue")
            texts = []
            for block in _children(tc, "p", "tbl"):
                if block.tag == W + "tbl":
                    nested.append(block)
                elif text := _text(block):
                    texts.append(text)
            row.append("" if continued else " ".join(texts))
            row.extend([""] * (span - 1))
        yield row
        for inner in nested:
            yield from _table(inner)


def _children(parent: Any, *names: str) -> Iterator[Any]:
    """Direct children with these tags, looking through content controls (``w:sdt``, ``w:customXml``)."""
    wanted = {W + name for name in names}
    for child in parent.iterchildren():
        if child.tag in wanted:
            yield child
        elif child.tag in (W + "sdt", W + "customXml", W + "sdtContent"):
            yield from _children(child, *names)


def _val(element: Any) -> str | None:
    return None if element is None else element.get(W + "val")


def _text(paragraph: Any) -> str:
    parts = []
    for node in paragraph.iter(W + "t", W + "tab", W + "br", W + "cr", W + "delText"):
        if node.tag == W + "t":
            parts.append(node.text or "")
        elif node.tag in (W + "tab", W + "br", W + "cr"):
            parts.append(" ")
    return "".join(parts).strip()
