"""Job workers: threads that claim queued jobs and run each in a child process, so that a job
over its time limit can be stopped (the process is killed) without harming the service."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool

from extractor.backends import Backend, get_backend
from extractor.errors import FormexError, InputLost, InternalError, JobTimeout, WorkerCrashed
from extractor.log import get_logger
from extractor.pipeline import extract_bytes
from extractor.service.jobs import JobStore
from extractor.settings import Settings

log = get_logger("service")
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["extractor.pipeline", "extractor.backends.rules"])


def _run_job(conn: Any, data: bytes, source: str, settings: Settings) -> None:
    """In the child process: extract, send back the result and its text, or the error."""
    try:
        result = extract_bytes(data, source=source, settings=settings)
        conn.send({"result": result.to_json(), "text": result.text, "boxes": result.boxes})
    except FormexError as exc:
        conn.send({"error": exc.as_dict()})
    except Exception as exc:  # a bug: report it as the job's error, never crash the worker
        log.debug("internal error in a job on %s", source, exc_info=exc)
        conn.send({"error": InternalError.from_exception(exc).as_dict()})
    finally:
        conn.close()


def run_in_child(data: bytes, source: str, settings: Settings, timeout_s: float) -> dict[str, Any]:
    receive, send = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(target=_run_job, args=(send, data, source, settings), daemon=True)
    process.start()
    send.close()
    try:
        if receive.poll(timeout_s):
            try:
                return receive.recv()
            except EOFError:
                pass
            return {"error": WorkerCrashed("the job's process died (out of memory?)", source=source).as_dict()}
        return {"error": JobTimeout(f"the job ran over its time limit of {timeout_s:.0f} s", source=source).as_dict()}
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receive.close()


class JobWorkers:
    """``service.job_workers`` threads working through the queue."""

    def __init__(self, store: JobStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._backends: dict[str, Backend] = {}
        self._lock = threading.Lock()

    def backend_for(self, settings: Settings) -> Backend:
        """One backend per backend name for answers given at once (a run shares budget and cache)."""
        with self._lock:
            if settings.backend not in self._backends:
                self._backends[settings.backend] = get_backend(settings)
            return self._backends[settings.backend]

    def start(self) -> None:
        for n in range(self.settings.service.job_workers):
            thread = threading.Thread(target=self._loop, name=f"formex-job-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        last_sweep = 0.0
        while not self._stop.is_set():
            if time.monotonic() - last_sweep > 10:       # jobs of processes that died
                self.store.requeue_orphans(stale_after_s=self.settings.service.job_timeout_s * 2 + 60)
                last_sweep = time.monotonic()
            claimed = self.store.claim_next()
            if claimed is None:
                self._wake.wait(timeout=1.0)
                self._wake.clear()
                continue
            job, token = claimed
            try:
                data = self.store.input_of(job.id)
            except OSError as exc:
                self.store.finish(job.id, token, error=InputLost(str(exc), source=job.source).as_dict())
                continue
            outcome = run_in_child(data, job.source, self.settings.with_(backend=job.backend),
                                   self.settings.service.job_timeout_s)
            if "error" in outcome:
                self.store.finish(job.id, token, error=outcome["error"])
            else:
                self.store.finish(job.id, token, result=outcome["result"], text=outcome["text"],
                                  boxes=outcome.get("boxes"))


# ---- synchronous answers, off the event loop

_child_backends: dict[str, Backend] = {}


def serialise(result: Any) -> str:
    """A result's JSON text, made once: the answer's body and the stored result are this string."""
    return json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":"))


def _answer_in_child(data: bytes, source: str, settings: Settings) -> tuple[str, str]:
    backend = _child_backends.get(settings.backend)
    if backend is None:
        backend = _child_backends[settings.backend] = get_backend(settings)
    result = extract_bytes(data, source=source, settings=settings, backend=backend)
    return serialise(result), result.text


class SyncAnswers:
    """Requests answered at once, never on the event loop (``/healthz`` and other requests go on).

    The parser runs in a pool of processes, so it does not share the loop's interpreter lock;
    the model backends run in a thread, where their calls wait on the network and one backend
    (one token budget, one cache) serves every request.
    """

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes or min(4, os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.processes, mp_context=_CONTEXT)
            return self._pool

    async def answer(self, data: bytes, source: str, settings: Settings,
                     backend_for: Callable[[Settings], Backend]) -> tuple[str, str]:
        """The result's JSON text and the document text its spans point into."""
        if settings.backend != "rules":
            backend = backend_for(settings)

            def here() -> tuple[str, str]:
                result = extract_bytes(data, source=source, settings=settings, backend=backend)
                return serialise(result), result.text
            return await run_in_threadpool(here)
        pool = self._executor()
        try:   # submit from a thread: the pool starts its processes there, not on the event loop
            future = await run_in_threadpool(pool.submit, _answer_in_child, data, source, settings)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise WorkerCrashed("the process answering this request died (out of memory?)", source=source) from exc

    def warm(self) -> None:
        """Start the processes now (in a thread of their own), so that the first request does not wait."""
        def start() -> None:
            pool = self._executor()
            for future in [pool.submit(os.getpid) for _ in range(self.processes)]:
                future.result()
        threading.Thread(target=start, name="formex-sync-warm", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
