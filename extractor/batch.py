"""Batch runs over archives that never lose work.

- one JSON per document under the output folder, written atomically (temp file + rename);
- resumable: after a result is written, a marker named by the input's sha256 records it
  (``OUTDIR/.formex/done/<sha256>.json``); an input whose content already has a result is
  skipped, so a killed run, rerun, leaves no result missing and none duplicated;
- a broken input (corrupt, encrypted, empty, oversized, unsafe zip entry) is recorded in
  ``errors.jsonl`` with its reason, and the batch goes on;
- ``forms.jsonl`` (every form of every result, one per line) is rebuilt from the results at
  the end of each run, and optionally an Excel workbook;
- parallel workers (processes) for the parser; the model backends run in one process, where
  their calls are already concurrent and one token budget and cache are shared.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any, Callable, Iterator

from extractor.backends import Backend, get_backend
from extractor.errors import BudgetExhausted, FormexError, InternalError, WorkerCrashed
from extractor.log import get_logger
from extractor.inputs import InputItem, Refused
from extractor.pipeline import extract_bytes
from extractor.runstats import RunStats
from extractor.settings import Settings
from extractor.storage import as_path

STATE_DIR = ".formex/done"
ERRORS_FILE = "errors.jsonl"
FORMS_FILE = "forms.jsonl"
log = get_logger("batch")


def write_atomically(path: Path, text: str) -> None:
    """Write a whole file or nothing: a temp file in the same folder, then a rename (on object
    storage, :mod:`extractor.storage`, one upload, which stores an object whole or not at all)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not isinstance(path, Path):
        path.write_text(text, encoding="utf-8")
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class BatchSummary:
    inputs: int = 0
    extracted: int = 0
    skipped: int = 0
    failed: int = 0
    pages: int = 0
    run: RunStats = field(default_factory=RunStats)
    errors: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: str | None = None

    @property
    def flagged(self) -> int:
        return self.run.statuses["invalid"] + self.run.statuses["needs_review"]


# --- the work on one document (runs in a worker process, or in-process) ---------------------

_worker_backend: Backend | None = None
_worker_settings: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _worker_backend, _worker_settings
    _worker_settings, _worker_backend = settings, get_backend(settings)


def extract_outcome(data: bytes, source: str, settings: Settings, backend: Backend) -> dict[str, Any]:
    """Extract one document: ``{"ok": True, "summary", "document": JSON text}`` or
    ``{"ok": False, "error"}``. A failure of the input is data, never an exception."""
    try:
        result = extract_bytes(data, source=source, settings=settings, backend=backend)
    except FormexError as exc:
        return {"ok": False, "error": exc.as_dict()}
    except Exception as exc:  # a bug fails this input only; its traceback goes to the debug log
        log.debug("internal error on %s", source, exc_info=exc)
        return {"ok": False, "error": InternalError.from_exception(exc).as_dict()}
    return {"ok": True, "summary": result.summary(),
            "document": json.dumps(result.to_json(), ensure_ascii=False, indent=1) + "\n"}


def _extract_one(data: bytes, source: str, target: str, settings: Settings | None = None,
                 backend: Backend | None = None) -> dict[str, Any]:
    """Extract one document and write its result; a compact summary goes back to the batch."""
    outcome = extract_outcome(data, source, settings or _worker_settings, backend or _worker_backend)
    if outcome["ok"]:
        write_atomically(as_path(target), outcome.pop("document"))
    return outcome


# --- the batch ----------------------------------------------------------------------------------

class Batch:
    """One run over a list of items into an output folder."""

    def __init__(self, outdir: Path, settings: Settings, *, workers: int = 1, backend: Backend | None = None,
                 on_progress: Callable[[BatchSummary, int], None] | None = None,
                 on_document: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.outdir = outdir
        self.settings = settings
        self.workers = max(1, workers) if settings.backend == "rules" else 1
        self.backend = backend
        self.on_progress = on_progress or (lambda summary, total: None)
        self.on_document = on_document or (lambda source, summary: None)
        self.state = outdir / STATE_DIR
        self.summary = BatchSummary()
        self._first_source: dict[str, str] = {}            # digest → the input that carried it first
        self._failure: dict[str, dict[str, Any]] = {}       # digest → its error, when it failed
        self._duplicates: list[tuple[InputItem, str]] = []

    def run(self, items: list[InputItem], refused: list[Refused]) -> BatchSummary:
        started = time.perf_counter()
        self.state.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temp_files()
        self.summary.inputs = len(items) + len(refused)
        for bad in refused:
            self._failed(bad.source, bad.error.as_dict())
        total = self.summary.inputs
        self._dispatch(items, total)
        self._settle_duplicates(total)
        self._write_errors()
        self._write_forms_jsonl()
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    # ---- scheduling

    def _dispatch(self, items: list[InputItem], total: int) -> None:
        """Run every job :meth:`_jobs` yields and :meth:`_finish` each (engines override this)."""
        if self.workers > 1:
            self._run_pool(items, total)
        else:
            self._run_here(items, total)

    def _jobs(self, items: list[InputItem]) -> Iterator[tuple[InputItem, bytes, str]]:
        """Items still to do, read and hashed here; content already done is skipped, and content
        seen earlier in this run waits for the first copy's outcome."""
        for item in items:
            try:
                data = item.read(self.settings.max_input_bytes)
            except FormexError as exc:
                self._failed(item.source, exc.as_dict())
                continue
            digest = sha256(data).hexdigest()
            if digest in self._first_source:
                self._duplicates.append((item, digest))
                continue
            self._first_source[digest] = item.source
            if self._done(digest):
                self.summary.skipped += 1
                continue
            yield item, data, digest

    def _settle_duplicates(self, total: int) -> None:
        """A copy of a document fails as its first copy did, or is skipped as done."""
        for item, digest in self._duplicates:
            first = self._first_source[digest]
            if digest in self._failure:
                error = self._failure[digest]
                self._failed(item.source, {**error, "message": f"{error['message']} (same content as {first})"})
            else:
                self.summary.skipped += 1
            self.on_progress(self.summary, total)

    def _run_here(self, items: list[InputItem], total: int) -> None:
        backend = self.backend or get_backend(self.settings)
        for item, data, digest in self._jobs(items):
            if getattr(backend, "budget_exhausted", False):
                self.summary.stopped_early = "token budget spent"
                self._failed(item.source, BudgetExhausted("not sent: the token budget is spent").as_dict())
                continue
            outcome = _extract_one(data, item.source, str(self._target(item)), self.settings, backend)
            self._finish(item, digest, outcome, total)

    def _run_pool(self, items: list[InputItem], total: int) -> None:
        pending: dict[Future, tuple[InputItem, str]] = {}
        pool = ProcessPoolExecutor(self.workers, initializer=_init_worker, initargs=(self.settings,))
        try:
            for item, data, digest in self._jobs(items):
                while len(pending) >= self.workers * 2:
                    pool = self._collect(pending, pool, total)
                pending[pool.submit(_extract_one, data, item.source, str(self._target(item)))] = (item, digest)
            while pending:
                pool = self._collect(pending, pool, total)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _collect(self, pending: dict[Future, tuple[InputItem, str]], pool: ProcessPoolExecutor,
                 total: int) -> ProcessPoolExecutor:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        broken = False
        for future in done:
            item, digest = pending.pop(future)
            try:
                outcome = future.result()
            except BrokenProcessPool:
                broken = True
                outcome = {"ok": False, "error": WorkerCrashed("the worker process died (out of memory?) "
                                                                "while reading this input").as_dict()}
            except Exception as exc:  # a bug must not lose the rest of the batch
                log.debug("internal error on %s", item.source, exc_info=exc)
                outcome = {"ok": False, "error": InternalError.from_exception(exc).as_dict()}
            self._finish(item, digest, outcome, total)
        if broken:
            pool.shutdown(wait=False, cancel_futures=True)
            for future, (item, _digest) in list(pending.items()):
                pending.pop(future)
                self._failed(item.source, WorkerCrashed("lost with a crashed worker; rerun to retry").as_dict())
            pool = ProcessPoolExecutor(self.workers, initializer=_init_worker, initargs=(self.settings,))
        return pool

    # ---- bookkeeping

    def _target(self, item: InputItem) -> Path:
        return self.outdir / f"{item.result_name}.json"

    def _marker(self, digest: str) -> Path:
        return self.state / f"{digest}.json"

    def _done(self, digest: str) -> bool:
        marker = self._marker(digest)
        if not marker.is_file():
            return False
        try:
            return (self.outdir / json.loads(marker.read_text(encoding="utf-8"))["result"]).is_file()
        except (ValueError, KeyError, OSError):
            return False

    def _finish(self, item: InputItem, digest: str, outcome: dict[str, Any], total: int) -> None:
        if not outcome["ok"]:
            self._failure[digest] = outcome["error"]
            self._failed(item.source, outcome["error"])
        else:
            summary = outcome["summary"]
            write_atomically(self._marker(digest), json.dumps(
                {"result": f"{item.result_name}.json", "source": item.source}, ensure_ascii=False))
            self.summary.extracted += 1
            self.summary.pages += summary["pages"]
            self.summary.run.add_summary(summary)
            for error in summary["form_errors"]:
                self.summary.errors.append({**error, "source": item.source})
            self.on_document(item.source, summary)
        self.on_progress(self.summary, total)

    def _failed(self, source: str, error: dict[str, Any]) -> None:
        self.summary.failed += 1
        self.summary.errors.append({**error, "source": source})

    def _remove_stale_temp_files(self) -> None:
        for stale in self.outdir.rglob(".*.tmp"):
            stale.unlink(missing_ok=True)

    def _write_errors(self) -> None:
        lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in self.summary.errors)
        write_atomically(self.outdir / ERRORS_FILE, lines)

    def results(self) -> Iterator[dict[str, Any]]:
        """Every result document the output folder holds, in a stable order."""
        for marker in sorted(self.state.glob("*.json")):
            try:
                name = json.loads(marker.read_text(encoding="utf-8"))["result"]
                yield json.loads((self.outdir / name).read_text(encoding="utf-8"))
            except (ValueError, KeyError, OSError):
                continue

    def _write_forms_jsonl(self) -> None:
        lines = []
        for document in self.results():
            for index, form in enumerate(document["forms"]):
                lines.append(json.dumps({"source": document["source"], "sha256": document["sha256"],
                                         "form_index": index, **form}, ensure_ascii=False) + "\n")
        write_atomically(self.outdir / FORMS_FILE, "".join(lines))
