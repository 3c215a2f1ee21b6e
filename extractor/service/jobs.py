"""The job store: extraction jobs in SQLite, surviving restarts.

A job's input is kept on disk beside the database until the job ends. A job is claimed
atomically (``queued`` → ``running``) by one worker; its result and its ``done`` status are
written in one transaction. A claim records its owner (host and process id); jobs left
``running`` by a process that died are put back in the queue (at start-up and then now and
then), so none is lost; a result is only ever recorded once, by the claim that finished, so
none is done twice. Several service processes may share one store.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        job_id = uuid.uuid4().hex
        tmp = self.inputs / f".{job_id}.tmp"
        tmp.write_bytes(data)
        tmp.replace(self.inputs / job_id)
        now = time.time()
        with self._lock:
            self._db.execute("INSERT INTO jobs (id, status, source, backend, created, updated) VALUES (?, 'queued', ?, ?, ?, ?)",
                             (job_id, source, backend, now, now))
        return self.get(job_id)  # type: ignore[return-value]

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute("SELECT id, status, source, backend, created, updated, attempts, error FROM jobs "
                                   "WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        return Job(*row[:7], json.loads(row[7]) if row[7] else None)

    def result(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM jobs WHERE id = ? AND status = 'done'", (job_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def text(self, job_id: str) -> str | None:
        """The document text the result's spans point into."""
        with self._lock:
            row = self._db.execute("SELECT text FROM jobs WHERE id = ? AND status = 'done'", (job_id,)).fetchone()
        return row[0] if row else None

    def record_done(self, *, source: str, backend: str, result: dict[str, Any] | str, text: str) -> str:
        """A job answered at once: stored as done, so its result and review page stay available.
        ``result`` may come serialised already (the JSON text the answer sends)."""
        job_id = uuid.uuid4().hex
        now = time.time()
        with self._lock:
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
        with self._lock:
            row = self._db.execute("UPDATE jobs SET status = 'running', claim = ?, owner = ?, attempts = attempts + 1, "
                                   "updated = ? WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY created "
                                   "LIMIT 1) RETURNING id", (token, OWNER, time.time())).fetchone()
        if row is None:
            return None
        return self.get(row[0]), token  # type: ignore[return-value]

    def finish(self, job_id: str, token: str, *, result: dict[str, Any] | None = None, text: str | None = None,
               error: dict[str, Any] | None = None) -> bool:
        """Record the outcome, only if this claim still owns the job. True if recorded."""
        status = "done" if error is None else "failed"
        with self._lock:
            changed = self._db.execute(
                "UPDATE jobs SET status = ?, result = ?, text = ?, error = ?, claim = NULL, updated = ? "
                "WHERE id = ? AND status = 'running' AND claim = ?",
                (status, json.dumps(result, ensure_ascii=False) if result is not None else None, text,
                 json.dumps(error, ensure_ascii=False) if error is not None else None, time.time(), job_id, token)).rowcount
        if changed:
            (self.inputs / job_id).unlink(missing_ok=True)
        return bool(changed)

    def requeue_orphans(self, *, stale_after_s: float) -> int:
        """Running jobs whose process is gone go back to the queue: on this host, a dead process
        id; elsewhere, no news for ``stale_after_s``."""
        with self._lock:
            running = self._db.execute("SELECT id, owner, updated FROM jobs WHERE status = 'running'").fetchall()
            orphans = [job_id for job_id, owner, updated in running if _orphaned(owner, updated, stale_after_s)]
            for job_id in orphans:
                self._db.execute("UPDATE jobs SET status = 'queued', claim = NULL, owner = NULL, updated = ? "
                                 "WHERE id = ? AND status = 'running'", (time.time(), job_id))
        return len(orphans)

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        return {status: count for status, count in rows}
