"""The model API key never leaves formex: not in an output file, a log line, a problem document
or the review page, even when the API echoes it back in its error messages (a canary key)."""

from __future__ import annotations

import logging
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from extractor.cli import main
from extractor.service.app import create_app
from extractor.settings import LLMSettings, ServiceSettings, Settings
from extractor.testing import FakeOpenAIServer, answer, error
from tests.conftest import SELF_EVALUATION
from tests.test_llm import parsed_gold

CANARY = "sk-canary-5f0e8a1c9b7d4e2f"
KEY = "service-key"


def echoing(status: int):  # type: ignore[no-untyped-def]
    """An API that puts the caller's key in its error message, as some servers do."""
    return error(status, f"Incorrect API key provided: {CANARY}; request rejected")


def everything_under(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.rglob("*")) if p.is_file())


def test_the_key_is_in_no_output_file_stderr_or_log_line_of_a_batch(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.txt").write_text(SELF_EVALUATION + "\n" * (ord(name) - 96), encoding="utf-8")
    with FakeOpenAIServer([answer(parsed_gold()), echoing(400), echoing(401)]) as server:
        result = CliRunner().invoke(main, ["extract", str(folder), "-o", str(tmp_path / "out"), "--backend", "llm",
                                           "--base-url", server.url, "--cache-path", "off", "--no-progress"],
                                    env={"OPENAI_API_KEY": CANARY})
    assert (tmp_path / "out" / "a.json").is_file()                       # the run did happen
    errors = (tmp_path / "out" / "errors.jsonl").read_text(encoding="utf-8")
    assert "refused" in errors
    assert CANARY not in everything_under(tmp_path / "out")
    assert CANARY not in result.output and CANARY not in result.stderr
    assert CANARY not in caplog.text


def test_the_key_is_in_no_problem_document_response_or_review_page_of_the_service(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with FakeOpenAIServer([answer(parsed_gold()), echoing(400), echoing(403), echoing(500), echoing(500)]) as server:
        settings = Settings(service=ServiceSettings(api_keys=(KEY,), job_db=str(tmp_path / "jobs.sqlite")),
                            llm=LLMSettings(base_url=server.url, api_key=CANARY, cache_path=None, transport_attempts=2,
                                            backoff_initial_s=0.01, backoff_max_s=0.02))
        seen = []
        with TestClient(create_app(settings)) as client:
            auth = {"Authorization": f"Bearer {KEY}"}
            for n in range(4):
                response = client.post("/v1/extractions?mode=sync", headers=auth,
                                       json={"text": SELF_EVALUATION + "\n" * n, "backend": "llm"})
                seen.append(response.text)
                if response.status_code == 200:
                    seen.append(client.get(f"/review/{response.headers['x-formex-job']}", headers=auth).text)
                else:
                    assert response.headers["content-type"] == "application/problem+json"
            seen += [client.get("/healthz").text, client.get("/readyz").text]
    assert "<mark" in seen[1] and sum("refused" in text for text in seen) >= 2    # a form, and both refusals
    assert any("failed 2 times" in text for text in seen)                          # and the 5xx, retried
    assert not [text for text in seen if CANARY in text]
    assert CANARY not in caplog.text
    assert CANARY not in everything_under(tmp_path)
