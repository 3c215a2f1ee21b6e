"""Job workers: threads that claim queued jobs and run each in a child process, so that a job
over its time limit can be stopped (the process is killed) without harming the service.

A worker survives its store failing (a lock held past the busy timeout, a full disk): it waits,
with a growing pause, and tries again; an outcome it could not record is kept and recorded
when the store answers. Each worker beats a heartbeat; :meth:`JobWorkers.health` tells a dead
or stuck one (no beat for longer than a job may run) from a working one.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool

from extractor.backends import Backend, get_backend
from extractor.errors import FormexError, InputLost, InternalError, JobTimeout, StorageUnavailable, WorkerCrashed
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


RETRY_MAX_S = 5.0          # the longest pause between tries of a failing store
IDLE_BEAT_S = 30.0         # an idle worker beats at least this often (it waits at most 1 s)


@dataclass
class Beat:
    """What one worker thread is doing, and since when."""

    state: str = "starting"            # starting | idle | running | retrying
    at: float = 0.0                    # time.monotonic() of the last beat
    error: str | None = None           # the store's last error while retrying

    def set(self, state: str, error: str | None = None) -> None:
        self.state, self.at, self.error = state, time.monotonic(), error


class JobWorkers:
    """``service.job_workers`` threads working through the queue."""

    def __init__(self, store: JobStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._beats: dict[str, Beat] = {}
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
            name = f"formex-job-{n}"
            self._beats[name] = Beat(at=time.monotonic())
            thread = threading.Thread(target=self._loop, args=(self._beats[name],), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def health(self) -> tuple[bool, list[dict[str, Any]]]:
        """(every worker alive and not stuck, one line of state per worker)."""
        now = time.monotonic()
        running_limit = self.settings.service.job_timeout_s + 30
        report, healthy = [], bool(self._threads)
        for thread in self._threads:
            beat = self._beats[thread.name]
            age = now - beat.at
            stuck = age > (running_limit if beat.state == "running" else IDLE_BEAT_S)
            alive = thread.is_alive()
            healthy = healthy and alive and not stuck
            report.append({"name": thread.name, "alive": alive, "state": beat.state if alive else "dead",
                           "stuck": stuck, "seconds_since_beat": round(age, 1),
                           **({"last_error": beat.error} if beat.error else {})})
        return healthy, report

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self, beat: Beat) -> None:
        pause = 0.1
        state = {"last_sweep": 0.0}
        while not self._stop.is_set():
            try:
                self._step(beat, state)
                pause = 0.1
            except Exception as exc:  # the store failing, or a bug: never let the worker die
                beat.set("retrying", f"{type(exc).__name__}: {exc}")
                log.warning("job worker: %s; trying again in %.1f s", beat.error, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, RETRY_MAX_S)

    def _step(self, beat: Beat, state: dict[str, float]) -> None:
        """One turn: sweep orphans now and then, claim a job, run it, record its outcome."""
        if time.monotonic() - state["last_sweep"] > 10:       # jobs of processes that died
            self.store.requeue_orphans(stale_after_s=self.settings.service.job_timeout_s * 2 + 60)
            state["last_sweep"] = time.monotonic()
        claimed = self.store.claim_next()
        if claimed is None:
            beat.set("idle")
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            return
        job, token = claimed
        beat.set("running")
        try:
            data = self.store.input_of(job.id)
        except OSError as exc:
            outcome: dict[str, Any] = {"error": InputLost(str(exc), source=job.source).as_dict()}
        else:
            outcome = run_in_child(data, job.source, self.settings.with_(backend=job.backend),
                                   self.settings.service.job_timeout_s)
        self._record(job.id, token, outcome, beat)

    def _record(self, job_id: str, token: str, outcome: dict[str, Any], beat: Beat) -> None:
        """Record an outcome, trying again while the store cannot take it (the work is not redone)."""
        pause = 0.1
        while True:
            try:
                if "error" in outcome:
                    self.store.finish(job_id, token, error=outcome["error"])
                else:
                    self.store.finish(job_id, token, result=outcome["result"], text=outcome["text"],
                                      boxes=outcome.get("boxes"))
                return
            except StorageUnavailable as exc:
                if self._stop.is_set():
                    return                  # the claim stays: the job is requeued after a restart
                beat.set("retrying", exc.message)
                log.warning("job worker: %s; trying again in %.1f s", exc.message, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, RETRY_MAX_S)


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
