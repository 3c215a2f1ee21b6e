"""Files written whole or not at all: a temp file in the same folder, then a rename.

The temp file is made by :func:`tempfile.mkstemp` (mode 0600); before the rename it gets the mode
an ordinary ``open()`` would have given it (0666 less the umask: 0644 under umask 022), so results
are readable by whoever may read the folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    mask = os.umask(0o022)      # reading the umask means setting it; put it back at once
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()


class AtomicWriter:
    """A text file written in pieces (``str``, or UTF-8 ``bytes`` when ``binary``), that appears under
    its name only on :meth:`commit`. On object storage (:mod:`extractor.storage`) the pieces go to a
    local temp file, uploaded whole on commit."""

    def __init__(self, path: Path, *, binary: bool = False) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.local = isinstance(path, Path)
        folder = path.parent if self.local else None
        fd, self.tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        os.fchmod(fd, FILE_MODE)
        self.handle: IO[Any] = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8")

    def write(self, text: str | bytes) -> None:
        self.handle.write(text)

    def commit(self) -> None:
        self.handle.close()
        if self.local:
            os.replace(self.tmp, self.path)
            return
        try:
            with open(self.tmp, "rb") as source, self.path.open("wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
        finally:
            Path(self.tmp).unlink(missing_ok=True)

    def discard(self) -> None:
        self.handle.close()
        Path(self.tmp).unlink(missing_ok=True)


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write a whole file (text, or text already encoded as UTF-8) or nothing."""
    writer = AtomicWriter(path, binary=isinstance(text, bytes))
    try:
        writer.write(text)
        writer.commit()
    except BaseException:
        writer.discard()
        raise
