"""Where a batch reads and writes: local paths, or URLs of an fsspec filesystem.

``s3://bucket/scans/``, ``gs://...``, ``memory://...`` become :class:`upath.UPath` objects, which
the batch uses like :class:`pathlib.Path`; plain paths and ``file://`` URLs stay ``Path``. Object
storage needs ``pip install 'formex[storage]'`` (in ``formex[ray]`` too) and the filesystem's own
package (``s3fs`` for ``s3://``, ``gcsfs`` for ``gs://``), with its usual credentials.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from extractor.errors import ConfigError

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_url(raw: str) -> bool:
    return bool(_URL.match(raw))


def as_path(raw: str | Path) -> Any:
    """A ``Path`` for a local path or ``file://`` URL, a ``UPath`` for any other URL."""
    if isinstance(raw, Path) or not is_url(raw):
        return Path(raw)
    if raw.startswith("file://"):
        return Path(raw[len("file://"):])
    try:
        from upath import UPath
    except ImportError as exc:
        raise ConfigError(f"{raw.split('://')[0]}:// paths need pip install 'formex[storage]'") from exc
    try:
        path = UPath(raw)
        path.fs                                  # the filesystem's package: s3:// without s3fs fails here
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"cannot use {raw}: {exc}") from exc
    return path


def is_local(path: Any) -> bool:
    return isinstance(path, Path)
