"""What a batch is made of: files, folders, zip archives and glob patterns → input items.

A file is taken by its name (the document suffixes below) or, whatever its name, by its first
bytes (a PDF, an image, an office file or a web page); a zip is opened as an archive of documents
unless it is itself an office document (an .xlsx or .docx is a zip too).

Files may also be URLs of an fsspec filesystem (``s3://bucket/scans/``, see :mod:`extractor.storage`),
except zip archives. Every item knows where its result goes (a path relative to the output folder, fixed before
anything runs, so a rerun writes the same places). A zip entry with an unsafe path (absolute,
``..``), a link, an encrypted entry, one bigger than the size limit or packed far tighter than
any document (a zip bomb) is refused, not read; an archive with more entries than the limit is
refused whole, from the count its end record declares, before its directory is loaded.
"""

from __future__ import annotations

import glob
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from extractor.errors import ConfigError, CorruptInput, InputError, InputNotFound, InputTooLarge, UnsafeInput
from extractor.ingest.limits import Limits
from extractor.storage import as_path, is_local, is_url
from extractor.textio import read_input_bytes

SUFFIXES = (".txt", ".md", ".text", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp",
            ".xlsx", ".xlsm", ".xls", ".et", ".ods", ".docx", ".doc", ".wps", ".odt", ".rtf", ".html", ".htm", ".mht")
DOCUMENT_KINDS = ("pdf", "image", "ole2", "zip", "rtf", "html")   # kinds worth reading whatever the file is called
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
PAGE_NAME = re.compile(r"^(?P<prefix>.*?)[-_ .]*(?:p|page|第)?[-_ ]*(?P<number>\d{1,4})页?$", re.IGNORECASE)


@dataclass(frozen=True)
class InputItem:
    """One document to extract: a file, or an entry of a zip archive."""

    source: str                   # as shown to people: "scans/a.pdf" or "box.zip!2023/a.pdf"
    result_name: str              # result path relative to the output folder, without ".json"
    path: Path
    member: str | None = None     # the entry, when ``path`` is a zip archive
    pages: tuple[Path, ...] = ()  # page images of one document, read as one (``path`` is the first)

    def read(self, max_bytes: int) -> bytes:
        if self.pages:
            from extractor.ingest.pdf import images_to_pdf

            return images_to_pdf([read_input_bytes(page, max_bytes=max_bytes) for page in self.pages])
        if self.member is None:
            return read_input_bytes(self.path, max_bytes=max_bytes)
        try:
            with zipfile.ZipFile(self.path) as archive:
                info = archive.getinfo(self.member)
                if info.file_size > max_bytes:
                    raise InputTooLarge(f"{info.file_size} bytes unpacked, over the limit of {max_bytes}", source=self.source)
                with archive.open(info) as handle:
                    data = handle.read(max_bytes + 1)
        except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, EOFError, NotImplementedError, zlib.error) as exc:
            raise CorruptInput(f"cannot read the zip entry: {exc}", source=self.source) from exc
        if len(data) > max_bytes:
            raise InputTooLarge(f"over the limit of {max_bytes} bytes unpacked", source=self.source)
        return data


@dataclass(frozen=True)
class Refused:
    """An input that is not read at all, and why."""

    source: str
    error: InputError


def _stem(relative: PurePosixPath) -> str:
    return str(relative.with_suffix("")) if relative.suffix else str(relative)


def _wanted(name: str, head: bytes | None = None) -> bool:
    """A document by its name, or (``head``: its first bytes) by its content whatever its name."""
    if name.lower().endswith(SUFFIXES):
        return True
    if head is None:
        return False
    from extractor.ingest import sniff

    return sniff(head) in DOCUMENT_KINDS


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(2048)
    except OSError:
        return b""


def is_archive(path: Path) -> bool:
    """A zip archive of documents, told by content: a zip that is not itself an office document
    (an .xlsx, .docx or OpenDocument file is a zip holding ``[Content_Types].xml`` or ``mimetype``)."""
    if not path.is_file() or not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist()[:2000])
    except (zipfile.BadZipFile, OSError):
        return path.suffix.lower() == ".zip"
    return "[Content_Types].xml" not in names and "mimetype" not in names


def _declared_entries(path: Path) -> int:
    """The entry count the archive's end record declares (0 when there is none to read)."""
    with path.open("rb") as handle:
        end = zipfile._EndRecData(handle)  # type: ignore[attr-defined]  # stable since Python 2
    return int(end[zipfile._ECD_ENTRIES_TOTAL]) if end else 0  # type: ignore[attr-defined]


def _from_zip(path: Path, limits: Limits) -> tuple[list[InputItem], list[Refused]]:
    items, refused = [], []
    try:
        limits.check_zip_entries(_declared_entries(path), str(path))
        archive = zipfile.ZipFile(path)
    except InputError as exc:
        return [], [Refused(str(path), exc)]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return [], [Refused(str(path), CorruptInput(f"not a readable zip archive: {exc}", source=str(path)))]
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            source = f"{path}!{info.filename}"
            member = PurePosixPath(info.filename.replace("\\", "/"))
            mode = info.external_attr >> 16
            reason = None
            if member.is_absolute() or ".." in member.parts or ":" in info.filename:
                reason = UnsafeInput("unsafe path in the archive (absolute or ..)", source=source)
            elif stat.S_ISLNK(mode):
                reason = UnsafeInput("a link inside the archive", source=source)
            elif info.flag_bits & 0x1:
                reason = UnsafeInput("an encrypted zip entry", source=source)
            else:
                try:
                    limits.check_zip_entry(info.file_size, info.compress_size, source)
                except InputError as exc:
                    reason = exc
            if reason is not None:
                refused.append(Refused(source, reason))
            elif _wanted(info.filename) or _wanted(info.filename, _member_head(archive, info)):
                items.append(InputItem(source, f"{path.stem}/{_stem(member)}", path, info.filename))
    if not items and not refused:           # said, not silently skipped
        refused.append(Refused(str(path), InputError(f"the archive holds no file formex reads ({', '.join(SUFFIXES)})",
                                                     source=str(path))))
    return items, refused


def _member_head(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as handle:
            return handle.read(2048)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        return b""


def discover(arguments: list[str] | tuple[str, ...], *, max_bytes: int,
             limits: Limits | None = None) -> tuple[list[InputItem], list[Refused]]:
    """Items for files, folders (recursively), zip archives and glob patterns, in a stable order."""
    limits = limits or Limits(max_bytes=max_bytes)
    items: list[InputItem] = []
    refused: list[Refused] = []
    for raw in arguments:
        if is_url(raw):
            found, bad = _from_url(raw)
            items += found
            refused += bad
            continue
        path = Path(raw)
        if any(ch in raw for ch in "*?[") and not path.exists():
            matches = sorted(Path(p) for p in glob.glob(raw, recursive=True) if Path(p).is_file())
            if not matches:
                refused.append(Refused(raw, InputNotFound(f"no file matches {raw}", source=raw)))
            for match in matches:
                found, bad = _one(match, limits, PurePosixPath(match.name))
                items += found
                refused += bad
        elif path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and (_wanted(p.name) or _wanted(p.name, _head(p)))):
                found, bad = _one(file, limits, PurePosixPath(file.relative_to(path).as_posix()))
                items += found
                refused += bad
        else:
            found, bad = _one(path, limits, PurePosixPath(path.name))
            items += found
            refused += bad
    return _unique_names(group_pages(items)), refused


def group_pages(items: list[InputItem]) -> list[InputItem]:
    """Page images of one document as one item: image files in one folder whose names differ
    only by a page number (``p01.jpg``, ``p02.jpg``; ``scan_1.png``, ``scan_2.png``). A folder
    of pages alone is named after the folder. Other items are left as they are."""
    groups: dict[tuple[Path, str, str], list[tuple[int, InputItem]]] = {}
    for item in items:
        match = PAGE_NAME.match(item.path.stem) if item.member is None else None
        if match and item.path.suffix.lower() in IMAGE_SUFFIXES:
            key = (item.path.parent, match["prefix"], item.path.suffix.lower())
            groups.setdefault(key, []).append((int(match["number"]), item))
    grouped: dict[InputItem, InputItem | None] = {}
    for (folder, prefix, _), members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda pair: pair[0])
        first = members[0][1]
        result_name = first.result_name.rsplit("/", 1)[0] if "/" in first.result_name else folder.name or "pages"
        if prefix.strip() and prefix.lower() not in ("p", "page"):
            result_name = f"{result_name}/{prefix}" if "/" in first.result_name else prefix
        source = f"{first.source} .. {members[-1][1].path.name} ({len(members)} pages)"
        grouped[first] = InputItem(source, result_name, first.path, None, tuple(m.path for _, m in members))
        for _, other in members[1:]:
            grouped[other] = None
    return [grouped.get(item, item) for item in items if grouped.get(item, item) is not None]


def _from_url(raw: str) -> tuple[list[InputItem], list[Refused]]:
    """A file, folder or glob pattern on an fsspec filesystem (``s3://bucket/scans/``); one that
    cannot be listed (no such filesystem package, no access) is refused with the reason."""
    try:
        named = _list_url(raw)
    except ConfigError as exc:
        return [], [Refused(raw, InputError(exc.message, source=raw))]
    except (OSError, ValueError) as exc:
        return [], [Refused(raw, InputError(f"cannot list {raw}: {exc}", source=raw))]
    if named is None:
        return [], [Refused(raw, InputNotFound(f"nothing at {raw}", source=raw))]
    items, refused = [], []
    for path, relative in named:
        if path.suffix.lower() == ".zip":
            refused.append(Refused(str(path), InputError("zip archives are read from local or shared paths only",
                                                         source=str(path))))
        else:
            items.append(InputItem(str(path), _stem(relative), path))
    return items, refused


def _list_url(raw: str) -> list[tuple[Any, PurePosixPath]] | None:
    root = as_path(raw)
    if not is_local(root) and any(ch in raw for ch in "*?["):
        files = [as_path(root.fs.unstrip_protocol(p)) for p in sorted(root.fs.glob(root.path))]
        return [(f, PurePosixPath(f.name)) for f in files if f.is_file()] or None
    if root.is_dir():
        return [(f, PurePosixPath(f.path).relative_to(PurePosixPath(root.path))) for f in sorted(root.rglob("*"))
                if f.is_file() and (_wanted(f.name) or f.suffix.lower() == ".zip")]
    if root.is_file():
        return [(root, PurePosixPath(root.name))]
    return None


def _one(path: Path, limits: Limits, relative: PurePosixPath) -> tuple[list[InputItem], list[Refused]]:
    if path.is_file() and (path.suffix.lower() == ".zip" or is_archive(path)):
        return _from_zip(path, limits)
    return [InputItem(str(path), _stem(relative), path)], []


def _unique_names(items: list[InputItem]) -> list[InputItem]:
    """Two inputs that would write the same result keep their own suffix in the name
    (``a.pdf.json``, ``a.txt.json``); a name still taken gets a counter."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.result_name] = counts.get(item.result_name, 0) + 1
    taken: set[str] = set()
    unique = []
    for item in items:
        name = item.result_name
        if counts[name] > 1:
            name = f"{name}{Path(item.member or item.path.name).suffix}"
        base, n = name, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        unique.append(InputItem(item.source, name, item.path, item.member, item.pages))
    return unique
