"""The model options of the command line, against the fake OpenAI-compatible server."""

from __future__ import annotations

import json

from click.testing import CliRunner

from eval.dataset import DATA_DIR
from extractor.cli import main
from extractor.testing import FakeOpenAIServer, parser_model

SEEDS = sorted((DATA_DIR / "seeds").glob("*.txt"))


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env)


def model_args(server, cache="off"):
    return ["--base-url", server.url, "--model", "fake-model", "--cache-path", str(cache)]


def test_extract_with_the_llm_backend_records_model_prompt_and_usage(tmp_path):
    with FakeOpenAIServer(default=parser_model()) as server:
        result = run("extract", str(SEEDS[1]), "--backend", "llm", *model_args(server), "-o", str(tmp_path), "--summary")
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / f"{SEEDS[1].stem}.json").read_text(encoding="utf-8"))
    assert document["backend"] == "llm"
    extraction = document["forms"][0]["extraction"]
    assert extraction["model"] == "fake-model" and extraction["prompt_version"] == "v1"
    assert "model: 3 forms sent, 3 API calls" in result.stderr


def test_a_second_run_costs_zero_tokens(tmp_path):
    cache = tmp_path / "cache.sqlite"
    with FakeOpenAIServer(default=parser_model()) as server:
        first = run("extract", str(SEEDS[1]), "--backend", "llm", *model_args(server, cache), "--summary")
        second = run("extract", str(SEEDS[1]), "--backend", "llm", *model_args(server, cache), "--summary")
    assert "3 API calls (0 answered from cache)" in first.stderr
    assert "0 API calls (3 answered from cache), 0 prompt + 0 completion tokens" in second.stderr
    assert len(server.requests) == 3


def test_eval_scores_any_endpoint(tmp_path):
    with FakeOpenAIServer(default=parser_model()) as server:
        result = run("eval", "--backend", "llm", *model_args(server))
    assert result.exit_code == 0, result.output
    assert "model: model=fake-model" in result.stdout
    assert "31 predicted / 31 gold" in result.stdout
    assert "model: 31 forms sent, 31 API calls" in result.stdout


def test_a_spent_budget_stops_the_batch_with_exit_code_5(tmp_path):
    with FakeOpenAIServer(default=parser_model()) as server:
        result = run("extract", *map(str, SEEDS), "--backend", "llm", *model_args(server), "--token-budget", "1",
                     "--concurrency", "1", "-o", str(tmp_path))
    assert result.exit_code == 5
    assert "stopped early: token budget spent" in result.stderr
    assert len(server.requests) == 1


def test_a_config_file_sets_the_model_and_its_price(tmp_path):
    with FakeOpenAIServer(default=parser_model()) as server:
        config = tmp_path / "formex.toml"
        config.write_text(f'backend = "llm"\n[llm]\nbase_url = "{server.url}"\nmodel = "priced"\ncache_path = "off"\n'
                          '[llm.prices.priced]\ninput = 1.0\noutput = 2.0\n', encoding="utf-8")
        result = run("extract", str(SEEDS[1]), "--config", str(config), "--summary")
    assert result.exit_code == 0, result.output
    assert "~$0.0" in result.stderr
    assert json.loads(result.stdout)["forms"][0]["extraction"]["usage"]["cost_usd"] > 0


def test_configuration_mistakes_are_usage_errors_not_tracebacks(tmp_path):
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[llm\n", encoding="utf-8")
    cases = [
        (["--backend", "llm", "--base-url", "https://api.example.com/v1"], {"OPENAI_API_KEY": ""}, "OPENAI_API_KEY"),
        (["--config", str(bad_toml)], {}, "not valid TOML"),
        (["--backend", "llm", "--base-url", "ftp://x"], {}, "http(s) URL"),
        (["--backend", "llm", "--base-url", "http://127.0.0.1:9/v1", "--prompt-version", "v99"], {}, "no prompt version"),
    ]
    for args, env, message in cases:
        result = run("extract", str(SEEDS[1]), *args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output


def test_a_model_result_can_be_revalidated_and_keeps_its_extraction_record(tmp_path):
    with FakeOpenAIServer(default=parser_model()) as server:
        run("extract", str(SEEDS[1]), "--backend", "llm", *model_args(server), "-o", str(tmp_path))
    result_path = tmp_path / f"{SEEDS[1].stem}.json"
    checked = run("validate", str(result_path), "--source", str(SEEDS[1]), "-o", str(tmp_path / "checked.json"))
    assert checked.exit_code == 0, checked.output
    forms = json.loads((tmp_path / "checked.json").read_text(encoding="utf-8"))["forms"]
    assert forms[0]["extraction"]["model"] == "fake-model"
