"""The command line's exit codes come from the error tree; what went wrong is logged, not lost."""

from __future__ import annotations

from click.testing import CliRunner

from eval.dataset import DATA_DIR
from extractor.cli import main
from extractor.errors import APIError, BudgetExhausted, ConfigError, ModelError, exit_code_for
from extractor.testing import FakeOpenAIServer, error, raw_content

SEED = sorted((DATA_DIR / "seeds").glob("*.txt"))[1]


def extract_with_model(server, tmp_path, *extra):
    config = tmp_path / "fast.toml"
    config.write_text("[llm]\ntransport_attempts = 2\nbackoff_initial_s = 0.01\nbackoff_max_s = 0.02\n", encoding="utf-8")
    return CliRunner().invoke(main, [*extra, "extract", str(SEED), "--backend", "llm", "--base-url", server.url,
                                     "--model", "fake-model", "--cache-path", "off", "--config", str(config)])


def test_exit_codes_follow_the_error_tree():
    assert exit_code_for([]) == 0
    assert exit_code_for(["empty_input", "no_forms_found"]) == 1
    assert exit_code_for([ConfigError.code]) == 2
    assert exit_code_for([ModelError.code, "corrupt_input"]) == 3
    assert exit_code_for([APIError.code, ConfigError.code]) == 4
    assert exit_code_for([BudgetExhausted.code, APIError.code]) == 5
    assert exit_code_for(["something_unknown"]) == 1


def test_an_api_that_refuses_the_key_exits_2(tmp_path):
    with FakeOpenAIServer(default=error(401, "bad key")) as server:
        result = extract_with_model(server, tmp_path)
    assert result.exit_code == 2, result.output
    assert "refused the API key" in result.stderr and "Traceback" not in result.output


def test_an_api_that_keeps_failing_exits_4_and_its_retries_are_logged_with_v(tmp_path):
    with FakeOpenAIServer() as server:                  # 500 to everything
        result = extract_with_model(server, tmp_path, "-v")
    assert result.exit_code == 4, result.output
    assert "INFO formex.llm: retrying" in result.stderr and "attempt 1 of 2 failed" in result.stderr


def test_retries_are_not_logged_without_v(tmp_path):
    with FakeOpenAIServer() as server:
        result = extract_with_model(server, tmp_path)
    assert result.exit_code == 4 and "retrying" not in result.stderr


def test_a_model_that_never_answers_in_schema_exits_3(tmp_path):
    with FakeOpenAIServer(default=raw_content("no JSON here")) as server:
        result = extract_with_model(server, tmp_path)
    assert result.exit_code == 3, result.output


def test_an_internal_error_fails_one_input_with_one_line_and_its_traceback_at_debug(tmp_path, monkeypatch):
    import extractor.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(extractor.pipeline, "extract_bytes", broken)
    quiet = CliRunner().invoke(main, ["extract", str(SEED)])
    assert quiet.exit_code == 1
    assert "RuntimeError: a bug" in quiet.stderr and "Traceback" not in quiet.stderr
    loud = CliRunner().invoke(main, ["-vv", "extract", str(SEED)])
    assert "DEBUG formex.cli: internal error on" in loud.stderr and "Traceback" in loud.stderr
