"""Read OCR text files in the encodings Chinese archives really use.

UTF-8 (with or without BOM), UTF-16 (with BOM, or without one when the NUL pattern
shows it), GB18030 (a superset of GBK and GB2312). Anything else is a clear
:class:`~extractor.errors.InputError`, never a traceback.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path

from extractor.errors import BinaryInput, EmptyInput, InputError, InputNotFound, InputTooLarge, UndecodableInput


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    sha256: str = ""


def decode_bytes(data: bytes, *, source: str | None = None) -> DecodedText:
    """Decode raw bytes to text, or raise an InputError that says why not."""
    if not data.strip():
        raise EmptyInput("the file is empty", source=source)
    digest = hashlib.sha256(data).hexdigest()
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _checked(_decode(data, encoding, source), encoding, source, digest)
    utf16 = _sniff_utf16(data)
    if utf16:
        return _checked(_decode(data, utf16, source), utf16, source, digest)
    if b"\x00" in data:
        raise BinaryInput("the file is binary, not text (NUL bytes)", source=source)
    for encoding in ("utf-8", "gb18030"):
        try:
            return _checked(data.decode(encoding), encoding, source, digest)
        except UnicodeDecodeError:
            continue
    raise UndecodableInput("the text is neither UTF-8, UTF-16 nor GB18030/GBK", source=source)


def read_input_bytes(path: Path, *, max_bytes: int) -> bytes:
    """The bytes of one input file, or an InputError (missing, oversized, unreadable)."""
    source = str(path)
    if not path.is_file():
        raise InputNotFound(f"no such file: {path}", source=source)
    size = path.stat().st_size
    if size > max_bytes:
        raise InputTooLarge(f"the file is {size} bytes, over the limit of {max_bytes}", source=source)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", source=source) from exc


def read_text_file(path: Path, *, max_bytes: int) -> DecodedText:
    """Read and decode one text file."""
    return decode_bytes(read_input_bytes(path, max_bytes=max_bytes), source=str(path))


def _sniff_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: NUL bytes present, and one byte order decodes to plausible text."""
    if b"\x00" not in data[:8192] or len(data) % 2:
        return None
    best, best_share = None, 0.0
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            sample = data[:8192].decode(encoding)
        except UnicodeDecodeError:
            continue
        share = sum(_plausible(ch) for ch in sample) / max(1, len(sample))
        if share > best_share:
            best, best_share = encoding, share
    return best if best_share >= 0.9 else None


def _plausible(ch: str) -> bool:
    code = ord(ch)
    return ch in "\t\n\r" or 32 <= code < 127 or 0x3000 <= code <= 0x9FFF or 0xFF00 <= code <= 0xFFEF or 0x2000 <= code <= 0x22FF


def _decode(data: bytes, encoding: str, source: str | None) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UndecodableInput(f"the text is not valid {encoding}", source=source) from exc


def _checked(text: str, encoding: str, source: str | None, digest: str) -> DecodedText:
    if not text.strip():
        raise EmptyInput("the file holds only whitespace", source=source)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(8, len(text) // 100):
        raise BinaryInput("the file is binary, not text (control characters)", source=source)
    return DecodedText(text=text.replace("\r\n", "\n").replace("\r", "\n"), encoding=encoding, sha256=digest)
