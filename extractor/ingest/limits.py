"""Limits on the work one input may cause, checked before the work is done.

Every container is measured from what it declares (a zip entry's sizes, an image's width and
height, a TIFF's frame count, a PDF's page count and page size) before anything is unpacked,
decoded or rendered; over a limit, the input is refused with one line (:class:`InputTooLarge`,
or :class:`UnsafeInput` for a zip bomb). The numbers live in :class:`~extractor.settings.Settings`;
:meth:`Limits.of` reads them there, so the edges pass one object down.

An office file (xlsx, docx, odt) is a zip archive too: :func:`open_zip` checks its members'
declared sizes, ratios and encryption before a byte is inflated, so a zip bomb inside a .docx is
refused instead of filling memory.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from extractor.errors import CorruptInput, EncryptedInput, InputTooLarge, UnsafeInput

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How much one input may hold."""

    max_bytes: int = 50 * MIB             # one document, unpacked
    max_pages: int = 200                  # pages of a PDF, frames of a TIFF
    max_pixels: int = 64_000_000          # one page image, decoded or rendered (A3 at 600 dpi: 70 M)
    max_zip_entries: int = 20_000         # entries in one zip archive
    max_zip_ratio: int = 200              # unpacked / packed size of one entry (over 1 MiB unpacked)

    @classmethod
    def of(cls, settings: Any) -> "Limits":
        """The limits a :class:`~extractor.settings.Settings` sets."""
        return cls(settings.max_input_bytes, settings.max_pages, settings.max_pixels,
                   settings.max_zip_entries, settings.max_zip_ratio)

    def check_pages(self, pages: int, source: str, what: str = "pages") -> None:
        if pages > self.max_pages:
            raise InputTooLarge(f"{pages} {what}, more than the limit of {self.max_pages}", source=source)

    def check_pixels(self, width: float, height: float, source: str, where: str = "the image") -> None:
        if width * height > self.max_pixels:
            raise InputTooLarge(f"{where} is {int(width)}×{int(height)} pixels, over the limit of "
                                f"{self.max_pixels:,} pixels", source=source)

    def check_zip_entry(self, unpacked: int, packed: int, source: str) -> None:
        if unpacked > self.max_bytes:
            raise InputTooLarge(f"{unpacked} bytes unpacked, over the limit of {self.max_bytes}", source=source)
        if unpacked > MIB and unpacked > self.max_zip_ratio * max(packed, 1):
            raise UnsafeInput(f"a zip bomb: {packed} bytes unpack to {unpacked} (over {self.max_zip_ratio}×)",
                              source=source)

    def check_zip_entries(self, count: int, source: str) -> None:
        if count > self.max_zip_entries:
            raise InputTooLarge(f"{count} entries in the archive, more than the limit of {self.max_zip_entries}",
                                source=source)


def check_zip(archive: zipfile.ZipFile, *, source: str, max_bytes: int, limits: Limits | None = None) -> None:
    """Raise :class:`UnsafeInput` / :class:`InputTooLarge` / :class:`EncryptedInput` when an office
    file's declared contents are over the limits; read nothing."""
    limits = limits or Limits(max_bytes=max_bytes)
    infos = archive.infolist()
    limits.check_zip_entries(len(infos), source)
    total = packed = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise EncryptedInput("a password-protected (encrypted) archive member", source=source)
        if info.file_size > MIB and info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
            raise UnsafeInput(f"a zip bomb: {info.filename} unpacks {info.file_size // max(1, info.compress_size)}x "
                              f"its size (limit {limits.max_zip_ratio}x)", source=source)
        total += info.file_size
        packed += info.compress_size
    if total > max_bytes:
        raise InputTooLarge(f"{total} bytes unpacked, over the limit of {max_bytes}", source=source)
    if total > MIB and total > limits.max_zip_ratio * max(1, packed):
        raise UnsafeInput(f"a zip bomb: the archive unpacks {total // max(1, packed)}x its size "
                          f"(limit {limits.max_zip_ratio}x)", source=source)


def open_zip(data: bytes, *, source: str, max_bytes: int) -> zipfile.ZipFile:
    """An office file's archive, checked; :class:`CorruptInput` when it is not a readable zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorruptInput(f"not a readable office file (zip): {exc}", source=source) from exc
    check_zip(archive, source=source, max_bytes=max_bytes)
    return archive
