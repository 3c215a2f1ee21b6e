"""The service under storage faults and broken workers, in-process (faults injected into its
SQLite connection and file writes; no disk is filled)."""

from __future__ import annotations

import errno
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from extractor.service import worker as worker_module
from extractor.service.app import create_app
from extractor.service.jobs import JobStore
from extractor.settings import LLMSettings, ServiceSettings, Settings
from tests.conftest import SELF_EVALUATION

KEY = "fault-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


class FaultyDB:
    """A SQLite connection that raises what ``fault(sql)`` returns (None: run the statement)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.fault = lambda sql: None

    def execute(self, sql, *args):  # type: ignore[no-untyped-def]
        error = self.fault(sql)
        if error is not None:
            raise error
        return self.db.execute(sql, *args)

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(self.db, name)


def service(tmp_path: Path, **llm: object) -> tuple[TestClient, JobStore, FaultyDB]:
    settings = Settings(service=ServiceSettings(api_keys=(KEY,), job_db=str(tmp_path / "jobs.sqlite"), job_timeout_s=60),
                        llm=LLMSettings(**llm))
    app = create_app(settings)
    store: JobStore = app.state.store
    faulty = FaultyDB(store._db)
    store._db = faulty  # type: ignore[assignment]
    return TestClient(app), store, faulty


def wait_for(client: TestClient, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", headers=AUTH).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise TimeoutError(f"job {job_id} is still {job['status']}")


def submit(client: TestClient):  # type: ignore[no-untyped-def]
    return client.post("/v1/extractions?mode=async", json={"text": SELF_EVALUATION, "source": "a.txt"}, headers=AUTH)


def test_the_job_worker_survives_a_locked_database_and_finishes_the_job(tmp_path):
    client, store, db = service(tmp_path)
    locked = {"claims": 0, "finishes": 0}

    def fault(sql: str):  # type: ignore[no-untyped-def]
        for kind, needle in (("claims", "status = 'running', claim"), ("finishes", "SET status = ?, result")):
            if needle in sql and locked[kind] < 3:
                locked[kind] += 1
                return sqlite3.OperationalError("database is locked")
        return None

    with client:
        db.fault = fault
        job_id = submit(client).json()["id"]
        assert wait_for(client, job_id)["status"] == "done"
        assert locked == {"claims": 3, "finishes": 3}
        assert client.get("/healthz").json()["status"] == "ok"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_healthz_reports_a_dead_worker(tmp_path, monkeypatch):
    client, store, db = service(tmp_path)
    with client:
        monkeypatch.setattr(store, "claim_next", lambda: (_ for _ in ()).throw(SystemExit()))  # the thread ends
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and client.get("/healthz").status_code == 200:
            time.sleep(0.1)
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "unhealthy" and health.json()["workers"][0]["state"] == "dead"


def test_healthz_reports_a_stuck_worker(tmp_path, monkeypatch):
    client, store, db = service(tmp_path)
    release = threading.Event()
    monkeypatch.setattr(worker_module, "IDLE_BEAT_S", 0.5)
    with client:
        monkeypatch.setattr(store, "claim_next", lambda: release.wait(30) and None)   # a hung call
        time.sleep(1.5)
        health = client.get("/healthz")
        release.set()
        assert health.status_code == 503
        assert health.json()["workers"][0]["stuck"] is True


def test_readyz_gives_the_queue_depth_and_the_oldest_queued_jobs_age(tmp_path, monkeypatch):
    client, store, db = service(tmp_path)
    with client:
        assert client.get("/readyz").json() == {"status": "ready", "queue_depth": 0, "oldest_queued_age_s": None}
        monkeypatch.setattr(store, "claim_next", lambda: None)                           # nothing is taken
        submit(client)
        time.sleep(0.3)
        submit(client)
        ready = client.get("/readyz").json()
        assert ready["queue_depth"] == 2 and ready["oldest_queued_age_s"] >= 0.3


@pytest.mark.parametrize("fault", ["disk_full", "read_only"])
def test_a_store_that_cannot_be_written_gets_503_records_nothing_and_recovers(tmp_path, monkeypatch, fault):
    client, store, db = service(tmp_path)
    with client:
        if fault == "disk_full":
            original = Path.write_bytes

            def full(self, data):  # type: ignore[no-untyped-def]
                if self.parent == store.inputs:
                    raise OSError(errno.ENOSPC, "No space left on device")
                return original(self, data)
            monkeypatch.setattr(Path, "write_bytes", full)
            db.fault = lambda sql: sqlite3.OperationalError("database or disk is full") if sql.startswith("INSERT") else None
        else:
            db.fault = lambda sql: (sqlite3.OperationalError("attempt to write a readonly database")
                                    if sql.startswith("INSERT") else None)
        for request in (lambda: submit(client),
                        lambda: client.post("/v1/extractions", json={"text": SELF_EVALUATION}, headers=AUTH)):
            response = request()
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"].endswith("/storage_unavailable")
            assert "\n" not in response.json()["detail"]
        assert store.counts() == {}
        assert list(store.inputs.iterdir()) == []
        db.fault = lambda sql: None                                                     # space comes back
        monkeypatch.undo()
        response = submit(client)
        assert response.status_code == 202
        assert wait_for(client, response.json()["id"])["status"] == "done"


def test_a_model_job_without_an_api_key_is_refused_at_submission(tmp_path):
    client, store, db = service(tmp_path, base_url="https://api.example.com/v1", api_key=None)
    with client:
        for backend in ("llm", "hybrid"):
            response = client.post("/v1/extractions", json={"text": SELF_EVALUATION, "backend": backend}, headers=AUTH)
            assert response.status_code == 422
            assert response.json()["type"].endswith("/missing_api_key")
            assert "OPENAI_API_KEY" in response.json()["detail"]
        assert store.counts() == {}
