"""formex's logging: one ``formex`` logger, a child per module (``formex.batch``, ``formex.llm``).

The library only logs; it never configures handlers. The edges do: the CLI's ``-v`` (info:
retries, skipped inputs) and ``-vv`` (debug: tracebacks of internal errors) through
:func:`configure`. Without it, warnings and errors reach stderr through Python's last-resort handler.
"""

from __future__ import annotations

import logging
import sys

ROOT = "formex"


def get_logger(name: str) -> logging.Logger:
    """The child logger ``formex.<name>``."""
    return logging.getLogger(f"{ROOT}.{name}")


def configure(verbosity: int = 0) -> None:
    """Log to stderr: warnings, ``-v`` info, ``-vv`` debug. Idempotent (one handler)."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    root = logging.getLogger(ROOT)
    root.setLevel(level)
    if not any(getattr(h, "_formex", False) for h in root.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler._formex = True  # type: ignore[attr-defined]
        root.addHandler(handler)


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (a test runner may swap it)."""

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # type: ignore[no-untyped-def]
        pass
