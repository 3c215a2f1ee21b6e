"""Reviewers' corrections over HTTP: each one a new result version, revalidated at once, with a trail
that names the API key; the queue lists a form until it is valid or confirmed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import SELF_EVALUATION
from tests.service_helpers import KEY, Server

WRONG_TOTAL = SELF_EVALUATION.replace("总分\t\t\t\t\t100.00\t94.55", "总分\t\t\t\t\t100.00\t90.55")
ALICE, BOB = "alice-secret-1", "bob-secret-2"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("corrections"), api_keys=[f"alice:{ALICE}", f"bob:{BOB}", "plain-key", KEY])
    running.start()
    yield running
    running.stop()


def _job(server, text=WRONG_TOTAL) -> str:
    with server.client(key=ALICE) as client:
        return client.post("/v1/extractions", json={"text": text, "source": "wrong_total.txt"}).headers["x-formex-job"]


def _codes(result) -> set[str]:
    return {f["code"] for f in result["forms"][0]["validation"]["findings"]}


def test_a_corrected_total_is_revalidated_and_handed_off_with_its_review(server):
    job = _job(server)
    with server.client(key=ALICE) as client:
        assert "total_score_mismatch" in _codes(client.get(f"/v1/jobs/{job}/result").json())
        response = client.patch(f"/v1/jobs/{job}/result",
                                json=[{"op": "replace", "path": "/forms/0/total_score", "value": 94.55}])
        assert response.status_code == 200 and response.headers["x-formex-result-version"] == "1"
        handed = client.get(f"/v1/jobs/{job}/result").json()
        assert handed == response.json()
        assert handed["forms"][0]["total_score"] == 94.55
        assert "total_score_mismatch" not in _codes(handed)
        assert handed["review"]["status"] == "reviewed" and handed["review"]["reviewer"] == "alice"
        assert handed["review"]["corrected_fields"] == ["forms[0].total_score"]
        assert client.get(f"/v1/jobs/{job}/result?version=0").json()["forms"][0]["total_score"] == 90.55
        [entry] = client.get(f"/v1/jobs/{job}/trail").json()["trail"]
        assert (entry["path"], entry["original"], entry["value"], entry["reviewer"], entry["version"]) == \
               ("total_score", 90.55, 94.55, "alice", 1)
        assert entry["at"].endswith("+00:00")


def test_field_edits_and_a_plain_key_work_too(server):
    job = _job(server)
    with server.client(key="plain-key") as client:
        response = client.patch(f"/v1/jobs/{job}/result",
                                json={"edits": [{"form": 0, "path": "indicators[1].actual", "value": "90.00(%)"}]})
        assert response.status_code == 200
        assert response.json()["forms"][0]["indicators"][1]["actual"] == "90.00(%)"
        assert response.json()["review"]["reviewer"].startswith("key-")


def test_a_correction_with_a_wrong_key_is_401(server):
    job = _job(server)
    with server.client(key="alice:" + ALICE) as wrong, server.client(key=None) as anonymous:
        for client in (wrong, anonymous):
            response = client.patch(f"/v1/jobs/{job}/result", json=[{"op": "replace", "path": "/forms/0/grade", "value": "优"}])
            assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"
    with server.client(key=ALICE) as client:
        assert "review" not in client.get(f"/v1/jobs/{job}/result").json()          # nothing was stored


@pytest.mark.parametrize("body", [
    [{"op": "replace", "path": "/forms/0/no_such_field", "value": 1}],
    [{"op": "replace", "path": "/forms/0/indicators/99/score", "value": 1}],
    [{"op": "replace", "path": "/forms/7/total_score", "value": 1}],
    [{"op": "replace", "path": "/forms/0/validation", "value": {}}],
    {"edits": [{"form": 0, "path": "funds.total.nope", "value": 1}]},
    [{"op": "replace", "path": "/forms/0/total_score", "value": "not a number"}],
    [{"op": "test", "path": "/forms/0/total_score", "value": 1.0}],
    [{"op": "move", "path": "/forms/0/total_score", "from": "/forms/0/total_weight"}],
])
def test_a_correction_to_a_path_that_does_not_exist_is_a_422_problem(server, body):
    job = _job(server)
    with server.client(key=ALICE) as client:
        response = client.patch(f"/v1/jobs/{job}/result", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
        assert client.get(f"/v1/jobs/{job}/trail").json()["trail"] == []          # all or nothing


def test_two_concurrent_corrections_are_both_kept_in_order(server):
    job = _job(server)
    edits = [(ALICE, "indicators[0].actual", "81.00(人)"), (BOB, "indicators[1].actual", "89.00(%)")] * 4

    def send(edit):
        key, path, value = edit
        with server.client(key=key) as client:
            response = client.patch(f"/v1/jobs/{job}/result", json={"edits": [{"form": 0, "path": path, "value": value}]})
            return response.status_code, int(response.headers["x-formex-result-version"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(send, edits))
    assert sorted(version for _, version in outcomes) == list(range(1, 9))     # one version each, none lost
    assert {status for status, _ in outcomes} == {200}
    with server.client(key=ALICE) as client:
        trail = client.get(f"/v1/jobs/{job}/trail").json()["trail"]
        latest = client.get(f"/v1/jobs/{job}/result").json()
    assert [e["version"] for e in trail] == list(range(1, 9))
    assert sorted(e["reviewer"] for e in trail) == ["alice"] * 4 + ["bob"] * 4
    assert latest["review"]["version"] == 8
    assert [r["actual"] for r in latest["forms"][0]["indicators"][:2]] == ["81.00(人)", "89.00(%)"]
    assert latest["review"]["corrected_fields"] == sorted(latest["review"]["corrected_fields"], key=lambda p: [
        e["path"] for e in trail].index(p.split(".", 1)[1]))


def test_the_queue_lists_a_form_until_it_is_confirmed(server):
    job = _job(server)
    with server.client(key=BOB) as client:
        queued = client.get("/v1/review", params={"code": "total_score_mismatch"}).json()["queue"]
        assert any(e["job"] == job and e["form"] == 0 and e["counts"]["error"] >= 1 for e in queued)
        created = [e["created"] for e in queued]
        assert created == sorted(created)                                           # oldest first
        assert not any(e["job"] == job for e in client.get("/v1/review", params={"code": "grade_mismatch"}).json()["queue"])
        page = client.get("/review", params={"key": BOB, "severity": "error"})
        assert page.status_code == 200 and f'data-job="{job}"' in page.text
        response = client.patch(f"/v1/jobs/{job}/result", json=[{"op": "test", "path": "/forms/0/total_score", "value": 90.55}])
        assert response.status_code == 200 and response.json()["review"]["status"] == "reviewed"
        assert response.json()["forms"][0]["total_score"] == 90.55                  # confirmed, not changed
        assert not any(e["job"] == job for e in client.get("/v1/review").json()["queue"])
