"""Job workers: threads that claim queued jobs and run each in a child process, so that a job
over its time limit can be stopped (the process is killed) without harming the service."""

from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any

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
        conn.send({"result": result.to_json(), "text": result.text})
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
                self.store.finish(job.id, token, result=outcome["result"], text=outcome["text"])
