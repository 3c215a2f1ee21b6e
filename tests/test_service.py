"""The HTTP service, run for real on loopback and driven with httpx."""

from __future__ import annotations

import socket
import sqlite3
import subprocess

import pytest

from eval.dataset import DATA_DIR
from eval.render import render_scan_pdf, render_text_pdf
from tests.conftest import SELF_EVALUATION
from tests.service_helpers import Server

SEEDS = sorted((DATA_DIR / "seeds").glob("*.txt"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("service"), max_upload_bytes=400_000).start()
    yield running
    running.stop()


def test_health_needs_no_key_and_everything_else_does(server):
    with server.client(key=None) as anonymous, server.client(key="wrong") as wrong:
        assert anonymous.get("/healthz").json()["status"] == "ok"
        for client in (anonymous, wrong):
            response = client.post("/v1/extractions", json={"text": SELF_EVALUATION})
            assert response.status_code == 401
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"].endswith("/unauthorized")
            assert client.get("/v1/schema").status_code == 401


def test_small_text_is_answered_at_once(server):
    with server.client() as client:
        response = client.post("/v1/extractions", json={"text": SEEDS[1].read_text(encoding="utf-8"), "source": "001.txt"})
        assert response.status_code == 200
        document = response.json()
        assert document["source"] == "001.txt" and len(document["forms"]) == 3
        job = client.get(response.headers["location"]).json()
        assert job["status"] == "done"
        assert client.get(f"/v1/jobs/{job['id']}/result").json() == document


def test_an_uploaded_pdf_becomes_a_job_with_a_result_and_a_review_page(server):
    with server.client() as client:
        response = client.post("/v1/extractions", files={"file": ("form.pdf", render_text_pdf(SELF_EVALUATION))})
        assert response.status_code == 202
        job_id = response.json()["id"]
        assert server.wait_for(job_id)["status"] == "done"
        result = client.get(f"/v1/jobs/{job_id}/result").json()
        assert result["input"]["kind"] == "pdf" and result["forms"][0]["project_name"] == "测试项目"
        page = client.get(f"/review/{job_id}")
        assert page.status_code == 200 and 'class="box' in page.text and "测试项目" in page.text   # boxed on its page


def test_the_schema_and_the_openapi_document_are_served(server):
    with server.client() as client:
        assert "SelfEvaluationForm" in str(client.get("/v1/schema").json())
        assert "/v1/extractions" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("request_kwargs, status, code", [
    ({"json": {"text": ""}}, 422, "empty_input"),
    ({"json": {"text": "会议纪要"}}, 422, "no_forms_found"),
    ({"json": {"nope": 1}}, 422, "invalid_request"),
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "invalid_json"),
    ({"content": b"x", "headers": {"content-type": "text/plain"}}, 415, "unsupported_media_type"),
    ({"files": {"file": ("big.txt", b"x" * 500_000)}}, 413, "input_too_large"),
    ({"json": {"text": SELF_EVALUATION, "backend": "magic"}}, 422, "invalid_request"),
])
def test_every_error_is_a_problem_document(server, request_kwargs, status, code):
    with server.client() as client:
        headers = request_kwargs.pop("headers", {})
        response = client.post("/v1/extractions", headers=headers, **request_kwargs)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/" + code) and problem["status"] == status and problem["detail"]


def test_an_unknown_job_is_404_and_a_running_one_409(server):
    with server.client() as client:
        assert client.get("/v1/jobs/does-not-exist").status_code == 404
        job_id = client.post("/v1/extractions", files={"file": ("scan.pdf", render_scan_pdf(SELF_EVALUATION, seed=1))}).json()["id"]
        running = client.get(f"/v1/jobs/{job_id}/result")
        assert running.status_code == 409 and running.json()["type"].endswith("/not_ready")
        assert server.wait_for(job_id)["status"] == "done"


def test_a_job_running_when_the_service_dies_is_done_after_a_restart_exactly_once(tmp_path):
    first = Server(tmp_path).start()
    with first.client() as client:
        job_id = client.post("/v1/extractions", files={"file": ("scan.pdf", render_scan_pdf(SELF_EVALUATION, seed=2))}).json()["id"]
    first.wait_for(job_id, statuses=("running",))
    first.kill()
    second = Server(tmp_path)
    second.port, second.url = first.port, first.url
    second.start()
    try:
        job = second.wait_for(job_id)
        assert job["status"] == "done" and job["attempts"] == 2
        with second.client() as client:
            assert client.get(f"/v1/jobs/{job_id}/result").json()["forms"][0]["project_name"] == "测试项目"
    finally:
        second.stop()
    rows = sqlite3.connect(tmp_path / "jobs.sqlite").execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
    assert rows == [("done", 1)]


def test_a_job_over_its_time_limit_fails_cleanly(tmp_path):
    server = Server(tmp_path, job_timeout_s=0.5).start()
    try:
        with server.client() as client:
            job_id = client.post("/v1/extractions", files={"file": ("scan.pdf", render_scan_pdf(SELF_EVALUATION))}).json()["id"]
            job = server.wait_for(job_id)
            assert job["status"] == "failed" and job["error"]["code"] == "job_timeout"
            problem = client.get(f"/v1/jobs/{job_id}/result")
            assert problem.status_code == 500 and problem.json()["type"].endswith("/job_timeout")
            assert client.get("/healthz").json()["status"] == "ok"
    finally:
        server.stop()


def test_only_jobs_of_dead_processes_are_put_back_in_the_queue(tmp_path):
    from extractor.service.jobs import JobStore

    store = JobStore(tmp_path / "jobs.sqlite")
    job = store.create(b"text", source="a.txt", backend="rules")
    claimed, token = store.claim_next()
    assert claimed.id == job.id and store.claim_next() is None          # one claim per job
    assert store.requeue_orphans(stale_after_s=60) == 0                   # its owner (this process) lives
    dead = _dead_pid()
    store._db.execute("UPDATE jobs SET owner = ? WHERE id = ?", (f"{socket.gethostname()}:{dead}", job.id))
    assert store.requeue_orphans(stale_after_s=60) == 1
    assert store.finish(job.id, token, result={}) is False                # the old claim can no longer record
    again, token2 = store.claim_next()
    assert store.finish(again.id, token2, result={"forms": []}) is True
    assert store.get(job.id).attempts == 2


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid
