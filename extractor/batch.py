"""Batch runs over archives that never lose work and account for every input.

- one JSON per document under the output folder, written atomically (temp file + rename) with
  ordinary file modes (0644 under umask 022); compact JSON unless ``pretty``;
- resumable: after a result is written, a marker named by the input's sha256 records it
  (``OUTDIR/.formex/done/<sha256>.json``); an input whose content already has a result is
  skipped, so a killed run, rerun, leaves no result missing and none duplicated;
- every input is accounted for: extracted, skipped as done, failed (``errors.jsonl``, with its
  reason; the batch goes on) or a duplicate of an earlier input (``duplicates.jsonl``, naming the
  file whose content it repeats and that file's result);
- ``forms.jsonl`` (every form of this run's inputs, one per line) is streamed as documents finish,
  and ``flagged.jsonl`` lists each form that needs review or is invalid with its findings' codes:
  memory stays flat however many documents run;
- parallel workers (processes) for the parser; the model backends run in one process, where
  their calls are already concurrent and one token budget and cache are shared.

The work on one document is :func:`extract_document` (any engine can call it), and the output
side is :class:`BatchOutput`.
"""

from __future__ import annotations

import json
import os
import queue
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from extractor import progress
from extractor.atomic import AtomicWriter, write_atomically
from extractor.backends import Backend, get_backend
from extractor.errors import BudgetExhausted, FormexError, InternalError, WorkerCrashed
from extractor.export_tables import render_exports
from extractor.inputs import InputItem, Refused
from extractor.lifeline import die_with_parent
from extractor.log import get_logger
from extractor.pipeline import extract_bytes
from extractor.runstats import RunStats
from extractor.settings import Settings
from extractor.storage import as_path

__all__ = ["Batch", "BatchOutput", "BatchSummary", "extract_document", "write_atomically"]

STATE_DIR = ".formex/done"
ERRORS_FILE = "errors.jsonl"
FORMS_FILE = "forms.jsonl"
FLAGGED_FILE = "flagged.jsonl"
DUPLICATES_FILE = "duplicates.jsonl"
log = get_logger("batch")
SHOWN = 20                    # flagged forms and duplicates kept in memory for the printed summary


@dataclass
class BatchSummary:
    inputs: int = 0
    extracted: int = 0
    skipped: int = 0
    failed: int = 0
    duplicates: int = 0
    pages: int = 0
    forms_listed: int = 0     # lines in forms.jsonl: this run's forms and those of inputs done before
    flagged_forms: int = 0    # of those, forms that need review or are invalid
    flagged_codes: Counter = field(default_factory=Counter)
    flagged_shown: list[dict[str, Any]] = field(default_factory=list)
    duplicates_shown: list[dict[str, Any]] = field(default_factory=list)
    run: RunStats = field(default_factory=RunStats)
    errors: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: str | None = None
    reading: str | None = None   # the document and page being read, when a worker reports one

    @property
    def flagged(self) -> int:
        return self.run.statuses["invalid"] + self.run.statuses["needs_review"]

    @property
    def handled(self) -> int:
        return self.extracted + self.failed + self.skipped + self.duplicates


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps(document: dict[str, Any], *, pretty: bool = False) -> str:
    if pretty:
        return json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    return _compact(document) + "\n"


def serialise(document: dict[str, Any], *, pretty: bool = False) -> tuple[bytes, bytes, list[dict[str, Any]]]:
    """A result's file (UTF-8), its forms.jsonl lines (UTF-8) and its flagged forms. Each form is
    serialised and encoded once, for both the result file (compact) and its forms.jsonl line."""
    forms = [_compact(form).encode() for form in document.get("forms") or []]
    if pretty:
        data = dumps(document, pretty=True).encode()
    else:
        data = b"{%s}\n" % b",".join([b'"forms":[%s]' % b",".join(forms) if key == "forms"
                                      else f"{_compact(key)}:{_compact(value)}".encode() for key, value in document.items()])
    return data, listing_lines(document, forms), flagged_forms(document)


def listing_lines(document: dict[str, Any], forms: list[bytes]) -> bytes:
    """A result's lines for forms.jsonl (UTF-8), from its forms already serialised (compact, UTF-8):
    each form's own text after its ``{``, copied once."""
    prefix = f'{{"source":{_compact(document.get("source"))},"sha256":{_compact(document.get("sha256"))},"form_index":'
    start = prefix.encode()
    pieces: list[Any] = []
    for index, form in enumerate(forms):
        if form == b"{}":
            pieces.extend((start, b"%d}\n" % index))
        else:
            pieces.extend((start, b"%d," % index, memoryview(form)[1:], b"\n"))
    return b"".join(pieces)


def listing(document: dict[str, Any]) -> tuple[bytes, list[dict[str, Any]]]:
    """A result's lines for forms.jsonl, and its flagged forms."""
    return listing_lines(document, [_compact(form).encode() for form in document.get("forms") or []]), \
        flagged_forms(document)


def flagged_forms(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The forms that need review or are invalid, each with its findings' codes: why."""
    flagged = []
    for index, form in enumerate(document.get("forms") or []):
        validation = form.get("validation") or {}
        if validation.get("status") in ("needs_review", "invalid"):
            codes = Counter(f.get("code") for f in validation.get("findings", ()) if f.get("severity") != "info")
            flagged.append({"source": document.get("source"), "form_index": index,
                            "project_name": form.get("project_name"), "status": validation["status"],
                            "codes": dict(codes)})
    return flagged


# --- the work on one document (runs in a worker process, or in-process) ---------------------

_worker_backend: Backend | None = None
_worker_settings: Settings | None = None


def _init_worker(settings: Settings, pages: Any = None, parent_pid: int | None = None) -> None:
    """A worker process: it dies with the batch, has its backend, one onnxruntime thread for OCR
    (the workers are as many as the cores), and sends page reports to the batch."""
    global _worker_backend, _worker_settings
    if parent_pid is not None:
        die_with_parent(parent_pid)      # a SIGKILLed batch leaves no worker behind
    from extractor.ingest.ocr import OcrOptions, configure

    configure(OcrOptions(threads=1))
    _worker_settings, _worker_backend = settings, get_backend(settings)
    if pages is not None:
        pages.cancel_join_thread()     # page reports are progress only: never wait on them to exit
        progress.listen_pages(lambda source, page, count: pages.put((source, page, count)))


def extract_outcome(data: bytes, source: str, settings: Settings, backend: Backend, *, pretty: bool = False,
                    exports: Sequence[str] = ()) -> dict[str, Any]:
    """Extract one document: ``{"ok": True, "summary", "document": its result's JSON text, "lines":
    its forms.jsonl lines (both UTF-8), "flagged"}`` (and with ``exports``, its part of each export:
    :func:`~extractor.export_tables.render_exports`), or
    ``{"ok": False, "error"}``. A failure of the input is data, never an exception; small enough
    to pass between processes."""
    try:
        result = extract_bytes(data, source=source, settings=settings, backend=backend)
    except FormexError as exc:
        return {"ok": False, "error": exc.as_dict()}
    except Exception as exc:  # a bug fails this input only; its traceback goes to the debug log
        log.debug("internal error on %s", source, exc_info=exc)
        return {"ok": False, "error": InternalError.from_exception(exc).as_dict()}
    document = result.to_json()
    text, lines, flagged = serialise(document, pretty=pretty)
    outcome = {"ok": True, "summary": result.summary(), "document": text, "lines": lines, "flagged": flagged}
    if exports:
        outcome["exports"] = render_exports(document, exports)
    return outcome


def extract_document(data: bytes, source: str, target: str, settings: Settings | None = None,
                     backend: Backend | None = None, *, pretty: bool = False,
                     exports: Sequence[str] = ()) -> dict[str, Any]:
    """Extract one document and write its result to ``target`` (:func:`extract_outcome`)."""
    outcome = extract_outcome(data, source, settings or _worker_settings, backend or _worker_backend,
                              pretty=pretty, exports=exports)
    if outcome["ok"]:
        write_atomically(as_path(target), outcome.pop("document"))
    return outcome


_extract_one = extract_document    # the name earlier callers used


# --- the output side -----------------------------------------------------------------------------

class BatchOutput:
    """Everything a batch writes besides the results: markers, forms.jsonl and flagged.jsonl
    (streamed, committed at the end), errors.jsonl, duplicates.jsonl, and the exports' rows.

    Exports (``sinks``: the workbook and CSV writers, anything with a ``kind`` and ``add(part)``) get
    each document's part, rendered where it was extracted, in input order while the batch runs:
    every input position is settled once (with its parts, or with none when it failed or repeats
    another input), and parts wait only for the positions before them still in a worker."""

    def __init__(self, outdir: Path, summary: BatchSummary, sinks: Sequence[Any] = ()) -> None:
        self.outdir = outdir
        self.state = outdir / STATE_DIR
        self.summary = summary
        self._remove_stale_temp_files()
        self.state.mkdir(parents=True, exist_ok=True)
        self.forms = AtomicWriter(outdir / FORMS_FILE, binary=True)
        self.flagged = AtomicWriter(outdir / FLAGGED_FILE)
        self.duplicates = AtomicWriter(outdir / DUPLICATES_FILE)
        self._results: list[tuple[int, str]] = []      # (input position, result name) of each result
        self.sinks = list(sinks)
        self.kinds = tuple(sink.kind for sink in self.sinks)
        self._ready: dict[int, dict[str, Any] | None] = {}   # settled positions waiting for earlier ones
        self._next = 0

    def marker(self, digest: str) -> Path:
        return self.state / f"{digest}.json"

    def done(self, digest: str) -> dict[str, Any] | None:
        """The marker of content done earlier, when its result is still there."""
        marker = self.marker(digest)
        if not marker.is_file():
            return None
        try:
            record = json.loads(marker.read_text(encoding="utf-8"))
            return record if (self.outdir / record["result"]).is_file() else None
        except (ValueError, KeyError, OSError):
            return None

    def extracted(self, position: int, item: InputItem, digest: str, outcome: dict[str, Any]) -> None:
        summary = outcome["summary"]
        write_atomically(self.marker(digest), json.dumps(
            {"result": f"{item.result_name}.json", "source": item.source}, ensure_ascii=False))
        self.summary.extracted += 1
        self.summary.pages += summary["pages"]
        self.summary.run.add_summary(summary)
        for error in summary["form_errors"]:
            self.summary.errors.append({**error, "source": item.source})
        self._list(position, f"{item.result_name}.json", outcome["lines"], outcome["flagged"])
        self.settle(position, outcome.get("exports"))

    def skipped(self, position: int, record: dict[str, Any],
                same_content_as: tuple[InputItem, str] | None = None) -> None:
        """Content done by an earlier run: its forms are listed again from its result. The input is
        skipped as done, or, when an earlier run read that content from another file, a duplicate."""
        if same_content_as is None:
            self.summary.skipped += 1
        else:
            self.duplicate(same_content_as[0], same_content_as[1], record["result"])
        try:
            document = json.loads((self.outdir / record["result"]).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            self.settle(position)
            return
        self._list(position, record["result"], *listing(document))
        self.settle(position, render_exports(document, self.kinds) if self.sinks else None)

    def duplicate(self, item: InputItem, first: str, result: str | None) -> None:
        entry = {"source": item.source, "same_content_as": first, "result": result}
        self.summary.duplicates += 1
        self.duplicates.write(json.dumps(entry, ensure_ascii=False) + "\n")
        if len(self.summary.duplicates_shown) < SHOWN:
            self.summary.duplicates_shown.append(entry)

    def failed(self, source: str, error: dict[str, Any]) -> None:
        self.summary.failed += 1
        self.summary.errors.append({**error, "source": source})

    def settle(self, position: int, parts: dict[str, Any] | None = None) -> None:
        """Input ``position`` is done with (its exports' parts, or None); pass on every part now in order."""
        if not self.sinks:
            return
        self._ready[position] = parts
        while self._next in self._ready:
            parts = self._ready.pop(self._next)
            if parts:
                for sink in self.sinks:
                    sink.add(parts[sink.kind])
            self._next += 1

    def _list(self, position: int, result: str, lines: bytes, flagged: list[dict[str, Any]]) -> None:
        self._results.append((position, result))
        self.forms.write(lines)
        self.summary.forms_listed += lines.count(b"\n")
        for entry in flagged:
            self.flagged.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self.summary.flagged_forms += 1
            self.summary.flagged_codes.update(entry["codes"])
            if len(self.summary.flagged_shown) < SHOWN:
                self.summary.flagged_shown.append(entry)

    def close(self) -> None:
        for writer in (self.forms, self.flagged, self.duplicates):
            writer.commit()
        write_atomically(self.outdir / ERRORS_FILE,
                         "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in self.summary.errors))

    def abandon(self) -> None:
        for writer in (self.forms, self.flagged, self.duplicates):
            writer.discard()

    def result_names(self) -> list[str]:
        """The results of this run's inputs, in input order."""
        return [name for _, name in sorted(self._results)]

    def _remove_stale_temp_files(self) -> None:
        if self.outdir.is_dir():
            for stale in self.outdir.rglob(".*.tmp"):
                stale.unlink(missing_ok=True)


# --- the batch ----------------------------------------------------------------------------------

class Batch:
    """One run over a list of items into an output folder."""

    def __init__(self, outdir: Path, settings: Settings, *, workers: int = 1, backend: Backend | None = None,
                 on_progress: Callable[[BatchSummary, int], None] | None = None,
                 on_document: Callable[[str, dict[str, Any]], None] | None = None, pretty: bool = False,
                 sinks: Sequence[Any] = ()) -> None:
        self.outdir = outdir
        self.settings = settings
        self.workers = max(1, workers) if settings.backend == "rules" else 1
        self.backend = backend
        self.pretty = pretty
        self.sinks = sinks
        self.on_progress = on_progress or (lambda summary, total: None)
        self.on_document = on_document or (lambda source, summary: None)
        self.summary = BatchSummary()
        self.output: BatchOutput | None = None
        self._first: dict[str, tuple[str, str | None]] = {}   # digest → (first input's source, its result)
        self._failure: dict[str, dict[str, Any]] = {}          # digest → its error, when it failed
        self._waiting: list[tuple[InputItem, str]] = []        # copies of content still in flight
        self._total = 0

    def run(self, items: list[InputItem], refused: list[Refused]) -> BatchSummary:
        started = time.perf_counter()
        self.output = BatchOutput(self.outdir, self.summary, self.sinks)
        self.summary.inputs = self._total = len(items) + len(refused)
        try:
            for bad in refused:
                self.output.failed(bad.source, bad.error.as_dict())
            self._dispatch(items, self._total)
            self._settle_copies()
        except BaseException:
            self.output.abandon()
            raise
        self.output.close()
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    def results(self) -> Iterator[dict[str, Any]]:
        """The result documents of this run's inputs, in input order, read one at a time."""
        assert self.output is not None, "run() first"
        for name in self.output.result_names():
            try:
                yield json.loads((self.outdir / name).read_text(encoding="utf-8"))
            except (ValueError, OSError):
                continue

    # ---- scheduling

    def _dispatch(self, items: list[InputItem], total: int) -> None:
        """Run every job :meth:`_jobs` yields and :meth:`_finish` each (engines override this)."""
        if self.workers > 1 and len(items) < self.workers:
            self._run_pages_spread(items)
        elif self.workers > 1:
            self._run_pool(items)
        else:
            self._run_here(items)

    def _jobs(self, items: list[InputItem]) -> Iterator[tuple[int, InputItem, bytes, str]]:
        """Items still to do, read and hashed here. Content done by an earlier run is skipped (its
        forms listed again), content seen earlier in this run is a duplicate of its first input."""
        output = self.output
        assert output is not None
        for position, item in enumerate(items):
            try:
                data = item.read(self.settings.max_input_bytes)
            except FormexError as exc:
                output.failed(item.source, exc.as_dict())
                output.settle(position)
                self._progress()
                continue
            digest = sha256(data).hexdigest()
            if digest in self._first:
                output.settle(position)          # a copy: its forms are exported once, with the first
                self._copy(item, digest)
                continue
            record = output.done(digest)
            if record is not None:
                first = record.get("source", item.source)
                self._first[digest] = (first, record["result"])
                output.skipped(position, record, same_content_as=None if first == item.source else (item, first))
                self._progress()
                continue
            self._first[digest] = (item.source, f"{item.result_name}.json")
            yield position, item, data, digest

    def _copy(self, item: InputItem, digest: str) -> None:
        """A later input with content seen before: accounted at once when the first copy is done,
        or once it is (it may still be in a worker)."""
        if digest in self._failure or self._settled(digest):
            self._account_copy(item, digest)
        else:
            self._waiting.append((item, digest))

    def _settled(self, digest: str) -> bool:
        return self.output is not None and self.output.marker(digest).is_file()

    def _account_copy(self, item: InputItem, digest: str) -> None:
        first, result = self._first[digest]
        if digest in self._failure:
            error = self._failure[digest]
            self.output.failed(item.source, {**error, "message": f"{error['message']} (same content as {first})"})
        else:
            self.output.duplicate(item, first, result)
        self._progress()

    def _settle_copies(self) -> None:
        for item, digest in self._waiting:
            self._account_copy(item, digest)
        self._waiting.clear()

    def _run_here(self, items: list[InputItem]) -> None:
        backend = self.backend or get_backend(self.settings)
        progress.listen_pages(self._page)
        try:
            for position, item, data, digest in self._jobs(items):
                if getattr(backend, "budget_exhausted", False):
                    self.summary.stopped_early = "token budget spent"
                    self._finish(position, item, digest, {"ok": False, "error": BudgetExhausted(
                        "not sent: the token budget is spent").as_dict()})
                    continue
                outcome = extract_document(data, item.source, str(self._target(item)), self.settings, backend,
                                           pretty=self.pretty, exports=self.output.kinds)
                self._finish(position, item, digest, outcome)
        finally:
            progress.listen_pages(None)

    def _run_pool(self, items: list[InputItem]) -> None:
        import multiprocessing

        pages = multiprocessing.Queue()       # workers report the page they are reading
        pending: dict[Future, tuple[int, InputItem, str]] = {}
        pool = self._pool(pages)
        try:
            for position, item, data, digest in self._jobs(items):
                while len(pending) >= self.workers * 2:
                    pool = self._collect(pending, pool, pages)
                future = pool.submit(extract_document, data, item.source, str(self._target(item)), pretty=self.pretty,
                                     exports=self.output.kinds)
                pending[future] = (position, item, digest)
            while pending:
                pool = self._collect(pending, pool, pages)
        finally:
            self._drain(pages)
            pool.shutdown(wait=True, cancel_futures=True)
            pages.close()
            pages.join_thread()

    def _run_pages_spread(self, items: list[InputItem]) -> None:
        """Fewer documents than workers: each is read here in turn, its scanned pages OCR'd by the
        workers several at once (a long scan alone would otherwise keep one worker busy)."""
        from extractor.ingest.ocr import PagePool, pages_spread_over

        with pages_spread_over(PagePool(lambda: self._pool(None), ahead=self.workers * 2)):
            self._run_here(items)

    def _pool(self, pages: Any) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, initializer=_init_worker, initargs=(self.settings, pages, os.getpid()))

    def _collect(self, pending: dict[Future, tuple[int, InputItem, str]], pool: ProcessPoolExecutor,
                 pages: Any) -> ProcessPoolExecutor:
        done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
        self._drain(pages)
        broken = False
        for future in done:
            position, item, digest = pending.pop(future)
            try:
                outcome = future.result()
            except BrokenProcessPool:
                broken = True
                outcome = {"ok": False, "error": WorkerCrashed("the worker process died (out of memory?) "
                                                                "while reading this input").as_dict()}
            except Exception as exc:  # a bug must not lose the rest of the batch
                log.debug("internal error on %s", item.source, exc_info=exc)
                outcome = {"ok": False, "error": InternalError.from_exception(exc).as_dict()}
            self._finish(position, item, digest, outcome)
        if broken:
            pool.shutdown(wait=False, cancel_futures=True)
            for future, (position, item, digest) in list(pending.items()):
                pending.pop(future)
                self._finish(position, item, digest, {"ok": False, "error": WorkerCrashed(
                    "lost with a crashed worker; rerun to retry").as_dict()})
            pool = self._pool(pages)
        return pool

    def _drain(self, pages: Any) -> None:
        latest = None
        try:
            while True:
                latest = pages.get_nowait()
        except (queue.Empty, OSError, ValueError):
            pass
        if latest is not None:
            self._page(*latest)

    def _page(self, source: str, page: int, count: int) -> None:
        self.summary.reading = f"{source} page {page}/{count}"
        self._progress()

    # ---- bookkeeping

    def _target(self, item: InputItem) -> Path:
        return self.outdir / f"{item.result_name}.json"

    def _finish(self, position: int, item: InputItem, digest: str, outcome: dict[str, Any], total: int = 0) -> None:
        assert self.output is not None
        if not outcome["ok"]:
            self._failure[digest] = outcome["error"]
            self.output.failed(item.source, outcome["error"])
            self.output.settle(position)
        else:
            self.output.extracted(position, item, digest, outcome)
            self.on_document(item.source, outcome["summary"])
        self.summary.reading = None
        self._progress()

    def _progress(self) -> None:
        self.on_progress(self.summary, self._total)
