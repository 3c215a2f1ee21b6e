"""Legacy and other office files (.doc, .wps, .et, .odt, .ods, .rtf …) through LibreOffice.

``soffice --headless --convert-to`` turns a word-processor file into .docx and a spreadsheet
into .xlsx, which the native readers then read. LibreOffice is optional: without it such a
file gets one line naming the missing tool.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from extractor.errors import CorruptInput, MissingTool

CONVERT_TIMEOUT_S = 120


def soffice() -> str | None:
    """The LibreOffice binary, when installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(data: bytes, *, source: str, target: str, suffix: str) -> bytes:
    """``data`` converted to ``target`` (``docx`` or ``xlsx``) by LibreOffice."""
    binary = soffice()
    if binary is None:
        raise MissingTool(f"reading a {suffix.lstrip('.') or 'legacy office'} file needs LibreOffice (soffice), "
                          "which is not installed (make office)", source=source)
    with tempfile.TemporaryDirectory(prefix="formex-office-") as work:
        folder = Path(work)
        original = folder / f"input{suffix}"
        original.write_bytes(data)
        profile = (folder / "profile").as_uri()
        command = [binary, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", target,
                   "--outdir", str(folder / "out"), str(original)]
        try:
            subprocess.run(command, capture_output=True, timeout=CONVERT_TIMEOUT_S, check=False,
                           env={**os.environ, "HOME": work})
        except subprocess.TimeoutExpired as exc:
            raise CorruptInput(f"LibreOffice did not convert the file within {CONVERT_TIMEOUT_S} s", source=source) from exc
        converted = folder / "out" / f"input.{target}"
        if not converted.is_file():
            raise CorruptInput(f"LibreOffice could not convert the file to .{target} (damaged or password-protected)",
                               source=source)
        return converted.read_bytes()
