"""Ingestion: any input file → the row text the parser reads (one table row per line, tab-separated).

- text (``.txt``/``.md``: OCR output already): decoded as is, see :mod:`extractor.textio`;
- PDF: per page, its text layer if it has one, else OCR (:mod:`extractor.ingest.pdf`);
- images (PNG, JPEG, TIFF incl. multi-page, BMP): OCR (:mod:`extractor.ingest.ocr`);
- Excel (.xlsx, .xls), Word (.docx), HTML: native readers (:mod:`extractor.ingest.xlsx`,
  :mod:`extractor.ingest.docx`, :mod:`extractor.ingest.html`); .doc, .wps, .et, OpenDocument,
  RTF through LibreOffice when installed (:mod:`extractor.ingest.office`).

Text (decoded, or from a reader) is then rebuilt into rows by its layout (tab-separated, ``|``
rows, one cell per line, flattened: :mod:`extractor.ingest.layouts`); ``Ingested.layout`` says
which was found (``table`` for a native table).

Pages that were OCR'd (never a text layer, a text file or a native table) then have their OCR
character confusions corrected where the form's vocabulary or arithmetic makes the correction
unique (:mod:`extractor.ingest.confusions`); ``Ingested.corrections`` keeps each one, with the
text as read.

The kind is told by the file's content (magic bytes, zip members, OLE2 streams), not its name. PDF and OCR text is normalised with
NFKC and look-alike code points are mapped (compatibility ideographs, non-breaking hyphens),
so the same form reads the same whichever way it arrived.

Limits on pages and pixels (:mod:`extractor.ingest.limits`) are checked from what a file
declares, before it is decoded or rendered. A PDF that PyMuPDF had to repair (truncated,
a broken cross-reference table) is read, and says so: ``repaired`` and a warning.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.errors import BinaryInput, CorruptInput, EmptyInput, EncryptedInput, InputTooLarge
from extractor.ingest.boxes import TextBox, located_text
from extractor.ingest.limits import Limits
from extractor.ingest.layouts import rebuild
from extractor.settings import Settings
from extractor.textio import decode_bytes, read_input_bytes

IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"II*\x00", "tiff"),
               (b"MM\x00*", "tiff"), (b"BM", "bmp"))
LOOKALIKES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-",
                            "\u00a0": " ", "\u200b": "", "\ufeff": ""})


@dataclass
class Ingested:
    """One input as text, with how each page was read."""

    text: str
    kind: str                       # "text", "pdf" or "image"
    sha256: str
    encoding: str | None = None
    pages: list[dict[str, Any]] = field(default_factory=list)
    boxes: list[TextBox] = field(default_factory=list)    # (start, end, page, box 0..1): extractor.ingest.boxes
    repaired: bool = False
    warnings: list[str] = field(default_factory=list)
    layout: str = "tsv"
    corrections: list[Any] = field(default_factory=list)   # OcrCorrection: extractor.ingest.confusions


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|table|title|div|p)[\s>/]", re.I | re.S)
_MHT_START = re.compile(rb"^\s*((From|Subject|Date|MIME-Version|Content-Location|X-[\w-]+):[^\n]*\n)*"
                        rb"(MIME-Version:|Content-Type:\s*multipart/related)", re.I)


def sniff(data: bytes) -> str:
    """The input's kind from its content: pdf, image, ole2 (.doc/.xls/.wps/.et), zip (xlsx, docx,
    OpenDocument), rtf, html or text."""
    if data[:1024].lstrip().startswith(b"%PDF"):
        return "pdf"
    for magic, _ in IMAGE_MAGIC:
        if data.startswith(magic):
            return "image"
    if data.startswith(OLE2_MAGIC):
        return "ole2"
    if data.startswith(ZIP_MAGIC):
        return "zip"
    if data.startswith(b"{\\rtf"):
        return "rtf"
    head = data[:2048].lstrip(b"\xef\xbb\xbf")
    if _HTML_START.match(head):
        return "html"
    if _MHT_START.match(head):
        return "mht"
    return "text"


def fold(text: str) -> str:
    """NFKC, then look-alike code points mapped to the ones the parser knows."""
    return unicodedata.normalize("NFKC", text).translate(LOOKALIKES)


def ingest_bytes(data: bytes, *, source: str, ocr_dpi: int = 200, max_pages: int = 200,
                 limits: Limits | None = None, correct_ocr: bool = True) -> Ingested:
    limits = limits or Limits(max_pages=max_pages)
    kind = sniff(data)
    if kind == "text":
        decoded = decode_bytes(data, source=source)      # hashes while decoding
        rebuilt = rebuild(decoded.text)
        return Ingested(rebuilt.text, kind, decoded.sha256, decoded.encoding, layout=rebuilt.layout)
    digest = hashlib.sha256(data).hexdigest()
    if kind in ("ole2", "zip", "rtf", "html", "mht"):
        kind, text = _read_document(data, kind, source=source, max_bytes=limits.max_bytes)
        if not text.strip():
            raise EmptyInput(f"the {kind} document holds no text", source=source)
        rebuilt = rebuild(text)
        return Ingested(rebuilt.text, kind, digest, None, layout="table" if rebuilt.layout == "tsv" else rebuilt.layout)
    repaired = False
    if kind == "pdf":
        from extractor.ingest.pdf import read_pdf

        pages, repaired = read_pdf(data, source=source, dpi=ocr_dpi, limits=limits)
    else:
        pages = _read_image(data, source=source, limits=limits)
    pages = _without_furniture(pages)
    text = fold("\n".join(row for page in pages for row in page.rows))
    boxes = located_text([(page.number, page.cells) for page in pages], fold, text)
    corrections: list[Any] = []
    if correct_ocr and any(page.method == "ocr" for page in pages):
        text, corrections, boxes = _corrected(text, pages, boxes)
    ingested = Ingested(text, kind, digest, None, [page.info() for page in pages], boxes, repaired=repaired,
                        layout="table", corrections=corrections)
    if repaired:
        ingested.warnings.append("the PDF is damaged (truncated or a broken cross-reference table) and was "
                                 "repaired to be read: pages or text may be missing")
        logging.getLogger("formex").warning("%s: %s", source, ingested.warnings[-1])
    return ingested


def _corrected(text: str, pages: list, boxes: list[TextBox]) -> tuple[str, list[Any], list[TextBox]]:
    """The OCR'd pages' confusions corrected (text-layer pages as printed), the boxes moved with them."""
    from extractor.ingest.confusions import correct_ocr_text, shift_offsets

    ocr_lines, first = [], 0
    for page in pages:
        if page.method == "ocr":
            ocr_lines.append(range(first, first + len(page.rows)))
        first += len(page.rows)
    text, corrections = correct_ocr_text(text, ocr_lines)
    if corrections and boxes:
        moved = shift_offsets([(start, end) for start, end, _, _ in boxes], corrections)
        boxes = [(start, end, page, box) for (start, end), (_, _, page, box) in zip(moved, boxes)]
    return text, corrections, boxes


def _read_document(data: bytes, kind: str, *, source: str, max_bytes: int) -> tuple[str, str]:
    """(kind, row text) of an office document or web page."""
    if kind == "html":
        from extractor.ingest.html import read_html

        return "html", read_html(data, source=source)[0]
    if kind == "mht":
        from extractor.ingest.html import read_html, html_of_mht

        return "html", read_html(html_of_mht(data, source=source), source=source)[0]
    if kind == "rtf":
        return _converted(data, "docx", ".rtf", source=source, max_bytes=max_bytes)
    if kind == "ole2":
        return _read_ole2(data, source=source, max_bytes=max_bytes)
    return _read_zip_document(data, source=source, max_bytes=max_bytes)


def _read_zip_document(data: bytes, *, source: str, max_bytes: int) -> tuple[str, str]:
    from extractor.ingest.limits import open_zip

    with open_zip(data, source=source, max_bytes=max_bytes) as archive:
        names = set(archive.namelist())
        mimetype = archive.read("mimetype")[:200].decode("ascii", "replace") if "mimetype" in names else ""
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names:
            return _converted(data, "xlsx", ".xlsb", source=source, max_bytes=max_bytes)
        from extractor.ingest.xlsx import read_xlsx

        return "xlsx", read_xlsx(data, source=source, max_bytes=max_bytes)
    if "word/document.xml" in names:
        from extractor.ingest.docx import read_docx

        return "docx", read_docx(data, source=source, max_bytes=max_bytes)
    if "opendocument.spreadsheet" in mimetype:
        return _converted(data, "xlsx", ".ods", source=source, max_bytes=max_bytes)
    if "opendocument.text" in mimetype:
        return _converted(data, "docx", ".odt", source=source, max_bytes=max_bytes)
    raise BinaryInput("a zip archive, not an office document (archives are read in batch mode: formex extract box.zip -o OUT)",
                      source=source)


def _read_ole2(data: bytes, *, source: str, max_bytes: int) -> tuple[str, str]:
    """A legacy office file (OLE2 compound document): its streams tell what it holds."""
    def has(stream: str) -> bool:       # a directory entry: the name in UTF-16LE, then its NUL
        name = stream.encode("utf-16-le") + b"\x00\x00"
        return name in data

    if has("EncryptedPackage") or has("EncryptionInfo"):
        raise EncryptedInput("a password-protected office file", source=source)
    if not has("WordDocument") and (has("Workbook") or has("Book")):
        from extractor.ingest.office import soffice
        from extractor.ingest.xlsx import read_xls

        try:
            return "xls", read_xls(data, source=source)
        except CorruptInput:
            if soffice() is None:
                raise
        return _converted(data, "xlsx", ".xls", source=source, max_bytes=max_bytes)
    return _converted(data, "docx", ".doc" if has("WordDocument") else ".wps", source=source, max_bytes=max_bytes)


def _converted(data: bytes, target: str, suffix: str, *, source: str, max_bytes: int) -> tuple[str, str]:
    """Read through LibreOffice: converted to .docx or .xlsx, then read natively."""
    from extractor.ingest.office import convert

    converted = convert(data, source=source, target=target, suffix=suffix)
    kind = suffix.lstrip(".")
    if target == "xlsx":
        from extractor.ingest.xlsx import read_xlsx

        return kind, read_xlsx(converted, source=source, max_bytes=max_bytes)
    from extractor.ingest.docx import read_docx

    return kind, read_docx(converted, source=source, max_bytes=max_bytes)


def _without_furniture(pages: list) -> list:
    """Page numbers and running headers/footers dropped (:mod:`extractor.ingest.pages`), from
    the rows and their cells alike."""
    from dataclasses import replace

    from extractor.ingest.pages import furniture

    drops = furniture([page.rows for page in pages])
    return [replace(page, rows=[r for i, r in enumerate(page.rows) if i not in drop],
                    cells=[c for i, c in enumerate(page.cells) if i not in drop] if page.cells else page.cells)
            for page, drop in zip(pages, drops)]


def read_source_text(path: Path, settings: Settings) -> str:
    """The text a result's spans point into, rebuilt from its source document (any kind)."""
    return ingest_source(path, settings).text


def ingest_source(path: Path, settings: Settings) -> Ingested:
    """A result's source document read again: its text, and for PDFs and images the cell boxes."""
    data = read_input_bytes(path, max_bytes=settings.max_input_bytes)
    return ingest_bytes(data, source=str(path), ocr_dpi=settings.ocr_dpi, limits=Limits.of(settings),
                        correct_ocr=settings.ocr_corrections)


def _read_image(data: bytes, *, source: str, limits: Limits) -> list:
    """OCR each frame; the frame count and every frame's size are checked before it is decoded."""
    import numpy as np
    from PIL import Image, ImageSequence, UnidentifiedImageError

    from extractor.ingest.ocr import engine_name, ocr_page_cells
    from extractor.ingest.pdf import PageText
    from extractor.ingest.raster import drop_red
    from extractor.ingest.table import join_rows
    from extractor.progress import page_started

    unreadable = (UnidentifiedImageError, OSError, ValueError, EOFError, SyntaxError)
    try:
        image = Image.open(io.BytesIO(data))
        limits.check_pixels(*image.size, source)
        limits.check_pages(getattr(image, "n_frames", 1), source, "frames")
        count = getattr(image, "n_frames", 1)
        pages = []
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            limits.check_pixels(*frame.size, source, f"frame {number}")
            page_started(source, number, count)
            colour = np.asarray(frame.convert("RGB"))
            started = time.perf_counter()
            cells = ocr_page_cells(drop_red(colour))      # red seals removed before OCR
            pages.append(PageText(number, "ocr", join_rows(cells), time.perf_counter() - started, engine_name(),
                                  cells=cells))   # by name: the positional slot after the engine is the grid
    except Image.DecompressionBombError as exc:     # declared far over any limit: refused by PIL itself
        raise InputTooLarge(f"the image declares more pixels than the limit of {limits.max_pixels:,}",
                            source=source) from exc
    except unreadable as exc:
        raise CorruptInput(f"not a readable image: {exc}", source=source) from exc
    return pages
