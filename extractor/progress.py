"""Progress of a batch run: a line with the phase (extracting, writing the workbook, …), documents,
pages, forms, flagged, failed, rate and ETA, and for scans the page being read.

On a terminal it redraws one line; elsewhere (CI logs, pipes) it prints a line now and then.

Ingestion reports each page it starts through :func:`page_started`; whoever runs the documents
(the batch, in its process or in each worker) chooses the listener with :func:`listen_pages`.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Callable, TextIO

if TYPE_CHECKING:
    from extractor.batch import BatchSummary

PageListener = Callable[[str, int, int], None]
_listener: PageListener | None = None


def listen_pages(listener: PageListener | None) -> None:
    """Call ``listener(source, page, pages)`` as each page starts being read (None: nobody)."""
    global _listener
    _listener = listener


def page_started(source: str, page: int, pages: int) -> None:
    if _listener is not None:
        _listener(source, page, pages)


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class ProgressLine:
    def __init__(self, stream: TextIO | None = None, *, every_s: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every_s = every_s
        self.started = time.monotonic()
        self.last = 0.0
        self.phase = "extracting"

    def __call__(self, summary: BatchSummary, total: int) -> None:
        finished = summary.handled >= total
        self._show(lambda seconds: self.render(summary, total, seconds), finished)

    def step(self, phase: str, done: int, total: int, unit: str) -> None:
        """Progress of a later phase (writing the workbook, the CSV files): done of total units."""
        if phase != self.phase:
            self.phase, self.phase_started, self.last = phase, time.monotonic(), 0.0
        started = getattr(self, "phase_started", self.started)

        def line(_seconds: float) -> str:
            elapsed = time.monotonic() - started
            return f"{phase}: {done}/{total} {unit}{_eta(done, total, elapsed)}"
        self._show(line, done >= total)

    def note(self, text: str) -> None:
        """A one-off line: the start of a phase with no steps to count (saving the workbook)."""
        self.stream.write(("\r\x1b[2K" if self.tty else "") + text + "\n")
        self.stream.flush()

    def _show(self, render: Callable[[float], str], finished: bool) -> None:
        now = time.monotonic()
        if not finished and now - self.last < (0.2 if self.tty else self.every_s):
            return
        self.last = now
        line = render(now - self.started)
        if self.tty:
            self.stream.write("\r\x1b[2K" + line + ("\n" if finished else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    @staticmethod
    def render(summary: BatchSummary, total: int, seconds: float) -> str:
        handled = summary.handled
        rate = handled / seconds if seconds > 0 else 0.0
        width = 24
        filled = int(width * handled / total) if total else width
        line = (f"extracting [{'#' * filled}{'.' * (width - filled)}] {handled}/{total} documents  "
                f"{summary.pages} pages  {summary.run.forms} forms  {summary.flagged} flagged  "
                f"{summary.failed} failed  {summary.skipped} skipped  {summary.duplicates} duplicates  "
                f"{rate:.1f} docs/s{eta(summary, total, seconds)}")
        if summary.reading and handled < total:
            line += f"  reading {summary.reading}"
        return line


def eta(summary: BatchSummary, total: int, seconds: float) -> str:
    """``  ETA 1m40s`` from the pace of the documents worked on so far (skipped ones and copies
    cost nothing); ``  done in …`` at the end."""
    worked, left = summary.extracted + summary.failed, total - summary.handled
    if left <= 0:
        return f"  done in {duration(seconds)}"
    if worked == 0 or seconds <= 0:
        return ""
    return f"  ETA {duration(left * seconds / worked)}"


def _eta(done: int, total: int, seconds: float) -> str:
    if done >= total:
        return f"  done in {duration(seconds)}"
    if done == 0 or seconds <= 0:
        return ""
    return f"  ETA {duration(seconds / done * (total - done))}"
