"""The job store: extraction jobs in SQLite, surviving restarts.

A job's input is kept on disk beside the database until the job ends. A job is claimed
atomically (``queued`` → ``running``) by one worker; its result and its ``done`` status are
written in one transaction. A claim records its owner (host and process id); jobs left
``running`` by a process that died are put back in the queue (at start-up and then now and
then), so none is lost; a result is only ever recorded once, by the claim that finished, so
none is done twice. Several service processes may share one store.

Reviewers' corrections make new versions of a result (``result_versions``: version 1, 2, …
beside the extraction's own, version 0), each with its trail entries; a correction reads the
latest version and writes the next in one write transaction, so concurrent ones are applied
one after the other and none is lost. The input of a finished PDF or image job is kept (its
page images are drawn on the review page), with the cell boxes ingestion recorded (``page_boxes``).

A store that cannot be written (disk full, read-only, locked past the busy timeout) raises
:class:`~extractor.errors.StorageUnavailable` and records nothing: a job's input file is only
kept once its row is in; the next call tries again, so the store recovers when space returns.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from extractor.errors import StorageUnavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    source TEXT NOT NULL,
    backend TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claim TEXT,
    owner TEXT,
    result TEXT,
    text TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, created);
CREATE TABLE IF NOT EXISTS result_versions (
    job_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    result TEXT NOT NULL,
    trail TEXT NOT NULL,
    PRIMARY KEY (job_id, version)
);
CREATE TABLE IF NOT EXISTS page_boxes (
    job_id TEXT PRIMARY KEY,
    boxes TEXT NOT NULL
);
"""


OWNER = f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _orphaned(owner: str | None, updated: float, stale_after_s: float) -> bool:
    host, _, pid = (owner or ":").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return int(pid) != os.getpid() and not _alive(int(pid))
    return time.time() - updated > stale_after_s


@contextmanager
def _storage(what: str) -> Iterator[None]:
    """SQLite and file system errors, as one error of the store."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise StorageUnavailable(f"the job store cannot {what}: {exc}") from exc


@dataclass(frozen=True)
class Job:
    id: str
    status: str
    source: str
    backend: str
    created: float
    updated: float
    attempts: int
    error: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "status": self.status, "source": self.source, "backend": self.backend,
                                "created": self.created, "updated": self.updated, "attempts": self.attempts}
        if self.error:
            data["error"] = self.error
        return data


class JobStore:
    """Thread-safe access to the jobs table and the stored inputs."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.inputs = self.path.parent / f"{self.path.stem}-inputs"
        self.inputs.mkdir(exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def create(self, data: bytes, *, source: str, backend: str) -> Job:
        """A queued job: its input on disk, then its row; if either fails, neither is left."""
        job_id = uuid.uuid4().hex
        tmp, kept = self.inputs / f".{job_id}.tmp", self.inputs / job_id
        now = time.time()
        try:
            with _storage("keep the job's input"):
                tmp.write_bytes(data)
                tmp.replace(kept)
            with _storage("record the job"), self._lock:
                self._db.execute("INSERT INTO jobs (id, status, source, backend, created, updated) "
                                 "VALUES (?, 'queued', ?, ?, ?, ?)", (job_id, source, backend, now, now))
        except StorageUnavailable:
            tmp.unlink(missing_ok=True)
            kept.unlink(missing_ok=True)
            raise
        return Job(job_id, "queued", source, backend, now, now, 0, None)

    def get(self, job_id: str) -> Job | None:
        with _storage("read the job"), self._lock:
            row = self._db.execute("SELECT id, status, source, backend, created, updated, attempts, error FROM jobs "
                                   "WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        return Job(*row[:7], json.loads(row[7]) if row[7] else None)

    def result(self, job_id: str, version: int | None = None) -> dict[str, Any] | None:
        """The latest version of a done job's result (or the one asked for; 0 is the extraction's)."""
        with _storage("read the result"), self._lock:
            row = self._latest(job_id) if version is None else self._version(job_id, version)
        return json.loads(row[1]) if row and row[1] else None

    def _latest(self, job_id: str) -> tuple[int, str] | None:
        row = self._db.execute("SELECT version, result FROM result_versions WHERE job_id = ? ORDER BY version DESC "
                               "LIMIT 1", (job_id,)).fetchone()
        return row or self._version(job_id, 0)

    def _version(self, job_id: str, version: int) -> tuple[int, str] | None:
        if version == 0:
            row = self._db.execute("SELECT 0, result FROM jobs WHERE id = ? AND status = 'done'", (job_id,)).fetchone()
        else:
            row = self._db.execute("SELECT version, result FROM result_versions WHERE job_id = ? AND version = ?",
                                   (job_id, version)).fetchone()
        return row if row and row[1] else None

    def correct(self, job_id: str, change: Callable[[dict[str, Any], int], tuple[dict[str, Any], list[Any]]]
                ) -> tuple[int, dict[str, Any]]:
        """Apply ``change(latest result, next version) → (result, trail)`` and store it as the next
        version, in one write transaction (concurrent corrections queue here, none lost)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                latest = self._latest(job_id)
                if latest is None:
                    raise LookupError(job_id)
                version = latest[0] + 1
                result, trail = change(json.loads(latest[1]), version)
                self._db.execute("INSERT INTO result_versions (job_id, version, result, trail) VALUES (?, ?, ?, ?)",
                                 (job_id, version, json.dumps(result, ensure_ascii=False),
                                  json.dumps(trail, ensure_ascii=False)))
                self._db.execute("UPDATE jobs SET updated = ? WHERE id = ?", (time.time(), job_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return version, result

    def trail(self, job_id: str) -> list[dict[str, Any]]:
        """Every correction of a job's result, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT trail FROM result_versions WHERE job_id = ? ORDER BY version",
                                    (job_id,)).fetchall()
        return [entry for (trail,) in rows for entry in json.loads(trail)]

    def done_results(self) -> Iterator[tuple[Job, dict[str, Any]]]:
        """Every done job (oldest first) with the latest version of its result, for the review queue."""
        with self._lock:
            ids = [row[0] for row in self._db.execute("SELECT id FROM jobs WHERE status = 'done' ORDER BY created")]
        for job_id in ids:
            job, result = self.get(job_id), self.result(job_id)
            if job is not None and result is not None:
                yield job, result

    def boxes(self, job_id: str) -> list[Any]:
        """The cell boxes ingestion recorded (PDFs and images), see :mod:`extractor.ingest.boxes`."""
        with self._lock:
            row = self._db.execute("SELECT boxes FROM page_boxes WHERE job_id = ?", (job_id,)).fetchone()
        return json.loads(row[0]) if row else []

    def page_source(self, job_id: str) -> bytes | None:
        """The kept input of a done PDF or image job (None for text)."""
        try:
            return (self.inputs / job_id).read_bytes()
        except OSError:
            return None

    def text(self, job_id: str) -> str | None:
        """The document text the result's spans point into."""
        with _storage("read the text"), self._lock:
            row = self._db.execute("SELECT text FROM jobs WHERE id = ? AND status = 'done'", (job_id,)).fetchone()
        return row[0] if row else None

    def record_done(self, *, source: str, backend: str, result: dict[str, Any] | str, text: str) -> str:
        """A job answered at once: stored as done, so its result and review page stay available.
        ``result`` may come serialised already (the JSON text the answer sends)."""
        job_id = uuid.uuid4().hex
        now = time.time()
        with _storage("record the result"), self._lock:
            self._db.execute("INSERT INTO jobs (id, status, source, backend, created, updated, attempts, result, text) "
                             "VALUES (?, 'done', ?, ?, ?, ?, 1, ?, ?)",
                             (job_id, source, backend, now, now,
                              result if isinstance(result, str) else json.dumps(result, ensure_ascii=False), text))
        return job_id

    def input_of(self, job_id: str) -> bytes:
        return (self.inputs / job_id).read_bytes()

    def claim_next(self) -> tuple[Job, str] | None:
        """The oldest queued job, now ``running`` under a fresh claim token, or None."""
        token = uuid.uuid4().hex
        with _storage("claim a job"), self._lock:
            row = self._db.execute("UPDATE jobs SET status = 'running', claim = ?, owner = ?, attempts = attempts + 1, "
                                   "updated = ? WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY created "
                                   "LIMIT 1) RETURNING id", (token, OWNER, time.time())).fetchone()
        if row is None:
            return None
        return self.get(row[0]), token  # type: ignore[return-value]

    def finish(self, job_id: str, token: str, *, result: dict[str, Any] | None = None, text: str | None = None,
               error: dict[str, Any] | None = None, boxes: list[Any] | None = None) -> bool:
        """Record the outcome, only if this claim still owns the job. True if recorded."""
        status = "done" if error is None else "failed"
        with _storage("record the outcome"), self._lock:
            changed = self._db.execute(
                "UPDATE jobs SET status = ?, result = ?, text = ?, error = ?, claim = NULL, updated = ? "
                "WHERE id = ? AND status = 'running' AND claim = ?",
                (status, json.dumps(result, ensure_ascii=False) if result is not None else None, text,
                 json.dumps(error, ensure_ascii=False) if error is not None else None, time.time(), job_id, token)).rowcount
            if changed and boxes:
                self._db.execute("INSERT OR REPLACE INTO page_boxes (job_id, boxes) VALUES (?, ?)",
                                 (job_id, json.dumps(boxes)))
        if changed and not boxes:            # a page image job keeps its input for the review page
            try:
                (self.inputs / job_id).unlink(missing_ok=True)
            except OSError:
                pass                        # a leftover input file is harmless; the row says done
        return bool(changed)

    def requeue_orphans(self, *, stale_after_s: float) -> int:
        """Running jobs whose process is gone go back to the queue: on this host, a dead process
        id; elsewhere, no news for ``stale_after_s``."""
        with _storage("requeue orphaned jobs"), self._lock:
            running = self._db.execute("SELECT id, owner, updated FROM jobs WHERE status = 'running'").fetchall()
            orphans = [job_id for job_id, owner, updated in running if _orphaned(owner, updated, stale_after_s)]
            for job_id in orphans:
                self._db.execute("UPDATE jobs SET status = 'queued', claim = NULL, owner = NULL, updated = ? "
                                 "WHERE id = ? AND status = 'running'", (time.time(), job_id))
        return len(orphans)

    def counts(self) -> dict[str, int]:
        with _storage("count jobs"), self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        return {status: count for status, count in rows}

    def queue(self) -> tuple[int, float | None]:
        """How many jobs wait, and the age in seconds of the oldest (None when none waits)."""
        with _storage("read the queue"), self._lock:
            depth, oldest = self._db.execute("SELECT COUNT(*), MIN(created) FROM jobs WHERE status = 'queued'").fetchone()
        return depth, (time.time() - oldest if oldest is not None else None)
