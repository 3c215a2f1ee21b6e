"""A progress line for batch runs: documents, pages, forms, flagged, failed, rate, ETA.

On a terminal it redraws one line; elsewhere (CI logs, pipes) it prints a line now and then.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from extractor.batch import BatchSummary


class ProgressLine:
    def __init__(self, stream: TextIO | None = None, *, every_s: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every_s = every_s
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, summary: BatchSummary, total: int) -> None:
        now = time.monotonic()
        finished = summary.extracted + summary.failed + summary.skipped >= total
        if not self.tty and not finished and now - self.last < self.every_s:
            return
        self.last = now
        line = self.render(summary, total, now - self.started)
        if self.tty:
            self.stream.write("\r\x1b[2K" + line + ("\n" if finished else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    @staticmethod
    def render(summary: BatchSummary, total: int, seconds: float) -> str:
        handled = summary.extracted + summary.failed + summary.skipped
        rate = summary.extracted / seconds if seconds > 0 else 0.0
        width = 24
        filled = int(width * handled / total) if total else width
        return (f"[{'#' * filled}{'.' * (width - filled)}] {handled}/{total} documents  "
                f"{summary.pages} pages  {summary.run.forms} forms  {summary.flagged} flagged  "
                f"{summary.failed} failed  {summary.skipped} skipped  {rate:.1f} docs/s{eta(summary, total, seconds)}")


def eta(summary: BatchSummary, total: int, seconds: float) -> str:
    """``  ETA 1h02m`` from the pace of the documents worked on so far (skipped ones cost nothing)."""
    worked = summary.extracted + summary.failed
    left = total - worked - summary.skipped
    if left <= 0 or worked == 0 or seconds <= 0:
        return ""
    remaining = int(left * seconds / worked)
    hours, minutes, secs = remaining // 3600, remaining // 60 % 60, remaining % 60
    return f"  ETA {hours}h{minutes:02d}m" if hours else f"  ETA {minutes}m{secs:02d}s"
