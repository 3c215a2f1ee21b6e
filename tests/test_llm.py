"""The model backend against a scripted OpenAI-compatible server on loopback.

Every test goes through the real ``openai`` client and ``instructor``: the fake answers at the
HTTP layer, so schema parsing, instructor's re-asks and formex's transport retries really run.
"""

from __future__ import annotations

import copy
import json
import time

import pytest

from extractor.backends import get_backend
from extractor.backends.llm import LLMBackend
from extractor.errors import APIError, BudgetExhausted, ConfigError, FormexError, ModelError
from extractor.layout import split_lines
from extractor.pipeline import extract_text, process_blocks
from extractor.segment import split_forms
from extractor.settings import LLMSettings, Price, Settings, default_mode
from extractor.testing import FakeOpenAIServer, answer, error, parser_model, raw_content, slow
from tests.conftest import SELF_EVALUATION

FAST = dict(model="fake-model", cache_path=None, backoff_initial_s=0.01, backoff_max_s=0.05, timeout_s=5.0)


def settings_for(server: FakeOpenAIServer, **changes: object) -> LLMSettings:
    return LLMSettings(base_url=server.url, **{**FAST, **changes})  # type: ignore[arg-type]


def parsed_gold() -> dict:
    """What a faithful model would answer for SELF_EVALUATION."""
    from extractor.backends.rules import RulesBackend

    (block,) = split_forms(split_lines(SELF_EVALUATION))
    return RulesBackend().read(block, SELF_EVALUATION).form.model_dump(mode="json")


def extract_one(llm: LLMSettings, text: str = SELF_EVALUATION):
    """One form through the pipeline with the model backend: read, validate, re-ask, validate."""
    (block,) = split_forms(split_lines(text))
    (outcome,) = process_blocks(LLMBackend(llm), [block], text)
    if isinstance(outcome, FormexError):
        raise outcome
    return outcome


def test_a_valid_tool_call_becomes_a_validated_form_with_usage_and_provenance():
    with FakeOpenAIServer([answer(parsed_gold())]) as server:
        extracted = extract_one(settings_for(server))
    request = server.requests[0]
    assert request["tools"][0]["function"]["name"] == "SelfEvaluationForm"       # TOOLS mode by default
    assert "测试项目" in request["messages"][-1]["content"]                        # the form text is sent
    assert extracted.form.project_name == "测试项目"
    assert extracted.validation.status == "valid"
    assert extracted.extraction["model"] == "fake-model" and extracted.extraction["prompt_version"] == "v1"
    assert extracted.extraction["usage"]["api_calls"] == 1
    assert extracted.extraction["usage"]["prompt_tokens"] > 0


def test_malformed_json_is_reasked_then_accepted():
    with FakeOpenAIServer([raw_content('{"project_name": "测试项目", '), answer(parsed_gold())]) as server:
        extracted = extract_one(settings_for(server))
    assert len(server.requests) == 2
    assert extracted.extraction["usage"]["schema_reasks"] == 1
    assert extracted.form.total_score is not None


def test_a_schema_invalid_answer_is_reasked_with_the_validation_error():
    bad = {**parsed_gold(), "funds_unit": "美元"}           # not 万元/元
    with FakeOpenAIServer([answer(bad), answer(parsed_gold())]) as server:
        extracted = extract_one(settings_for(server))
    reask = json.dumps(server.requests[1]["messages"], ensure_ascii=False)
    assert "funds_unit" in reask                             # instructor sent the error back
    assert extracted.form.funds_unit == "万元"
    assert extracted.extraction["usage"]["schema_reasks"] == 1
    assert extracted.extraction["usage"]["api_calls"] == 2


def test_schema_invalid_answers_after_the_last_reask_are_a_model_error():
    with FakeOpenAIServer(default=raw_content("not json at all")) as server:
        with pytest.raises(ModelError, match="3 attempts"):
            extract_one(settings_for(server, max_reasks=2))
    assert len(server.requests) == 3


def test_a_fabricated_value_is_flagged_ungrounded_and_reasked_once():
    invented = {**parsed_gold(), "implementing_unit": "某区某委员会"}
    with FakeOpenAIServer([answer(invented), answer({"fields": [{"path": "implementing_unit", "value": "某区某委员会"}]})]) as server:
        extracted = extract_one(settings_for(server))
    codes = {(f.code, f.path) for f in extracted.validation.findings}
    assert ("ungrounded", "implementing_unit") in codes
    assert extracted.validation.status == "invalid"
    assert extracted.validation.alignment["implementing_unit"] == "none"
    assert extracted.extraction["reasked_fields"] == ["implementing_unit"]
    question = server.requests[1]["messages"][-1]["content"]
    assert "implementing_unit" in question and "测试项目" in question          # quotes the source
    assert extracted.extraction["changed_by_reask"] == []                      # an ungrounded answer is not taken


def test_a_targeted_reask_answer_that_is_printed_replaces_the_invented_value():
    invented = {**parsed_gold(), "implementing_unit": "某区某委员会"}
    with FakeOpenAIServer([answer(invented), answer({"fields": [{"path": "implementing_unit", "value": "某区某中心"}]})]) as server:
        extracted = extract_one(settings_for(server))
    assert extracted.form.implementing_unit == "某区某中心"
    assert extracted.validation.status == "valid"
    assert extracted.extraction["usage"]["targeted_reasks"] == 1


def test_a_missed_row_is_asked_for_and_inserted_in_source_order():
    gold = parsed_gold()
    partial = copy.deepcopy(gold)
    missed = partial["indicators"].pop(0)
    with FakeOpenAIServer([answer(partial), answer({"rows": [missed]})]) as server:
        extracted = extract_one(settings_for(server))
    assert "培训人数" in server.requests[1]["messages"][-1]["content"]
    assert [r.name for r in extracted.form.indicators] == ["培训人数", "学员满意度"]
    assert extracted.validation.status == "valid"


def test_429_is_retried_after_retry_after_then_succeeds():
    with FakeOpenAIServer([error(429, retry_after="1"), answer(parsed_gold())]) as server:
        started = time.monotonic()
        extracted = extract_one(settings_for(server))
        elapsed = time.monotonic() - started
    assert elapsed >= 1.0                                   # Retry-After honoured, not the 10 ms backoff
    assert extracted.extraction["usage"]["transport_retries"] == 1


def test_a_retry_after_longer_than_allowed_gives_up_at_once():
    with FakeOpenAIServer([error(429, retry_after="3600")]) as server:
        with pytest.raises(APIError, match="3600"):
            extract_one(settings_for(server))
    assert len(server.requests) == 1


def test_500_is_retried_with_backoff_until_the_attempts_run_out():
    with FakeOpenAIServer(default=error(500, "upstream exploded")) as server:
        with pytest.raises(APIError, match="failed 3 times") as caught:
            extract_one(settings_for(server, transport_attempts=3))
    assert len(server.requests) == 3
    assert caught.value.exit_code == 4 and "upstream exploded" in caught.value.message


def test_a_response_slower_than_the_timeout_is_retried_then_an_api_error():
    with FakeOpenAIServer(default=slow(1.0, answer(parsed_gold()))) as server:
        with pytest.raises(APIError, match="Timeout"):
            extract_one(settings_for(server, timeout_s=0.2, transport_attempts=2))
    assert len(server.requests) == 2


def test_a_slow_response_then_a_fast_one_succeeds():
    with FakeOpenAIServer([slow(1.0, answer(parsed_gold())), answer(parsed_gold())]) as server:
        extracted = extract_one(settings_for(server, timeout_s=0.3))
    assert extracted.extraction["usage"]["transport_retries"] == 1


def test_a_rejected_key_is_a_configuration_error_without_retries():
    with FakeOpenAIServer(default=error(401, "bad key")) as server:
        with pytest.raises(ConfigError, match="API key"):
            extract_one(settings_for(server))
    assert len(server.requests) == 1


def test_an_unsupported_response_format_points_at_the_mode_setting():
    with FakeOpenAIServer(default=error(400, "response_format json_schema is not supported")) as server:
        with pytest.raises(ConfigError, match="--mode"):
            extract_one(settings_for(server, mode="JSON_SCHEMA"))


def test_a_remote_server_without_a_key_is_refused_before_any_call():
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        LLMBackend(LLMSettings(base_url="https://api.example.com/v1", cache_path=None))


@pytest.mark.parametrize("mode", ["TOOLS", "JSON", "JSON_SCHEMA", "MD_JSON"])
def test_every_instructor_mode_round_trips(mode):
    with FakeOpenAIServer([answer(parsed_gold())]) as server:
        extracted = extract_one(settings_for(server, mode=mode))
    assert extracted.form.model_dump(mode="json") == parsed_gold()
    assert ("tools" in server.requests[0]) == (mode == "TOOLS")


def test_default_mode_is_chosen_per_server():
    assert default_mode("https://api.openai.com/v1") == "TOOLS"
    assert default_mode("http://localhost:11434/v1") == "JSON"
    assert default_mode("http://vllm.internal:8000/v1") == "JSON_SCHEMA"
    assert default_mode("http://127.0.0.1:8000/v1") == "TOOLS"


def test_a_second_run_is_answered_from_the_cache_with_zero_tokens(tmp_path):
    cache = str(tmp_path / "cache.sqlite")
    with FakeOpenAIServer(default=parser_model()) as server:
        first = extract_one(settings_for(server, cache_path=cache))
        second = extract_one(settings_for(server, cache_path=cache))
    assert len(server.requests) == 1
    assert first.extraction["usage"]["total_tokens"] > 0
    assert second.extraction["usage"]["total_tokens"] == 0 and second.extraction["usage"]["cached_calls"] == 1
    assert second.form.model_dump() == first.form.model_dump()


def test_a_new_prompt_version_or_model_misses_the_cache(tmp_path):
    cache = str(tmp_path / "cache.sqlite")
    with FakeOpenAIServer(default=parser_model()) as server:
        extract_one(settings_for(server, cache_path=cache))
        extract_one(settings_for(server, cache_path=cache, model="other-model"))
        extract_one(settings_for(server, cache_path=cache, few_shot=False))
    assert len(server.requests) == 3


def test_the_token_budget_stops_the_run_cleanly(seed_text):
    text = seed_text("003")
    with FakeOpenAIServer(default=parser_model()) as server:
        settings = Settings(backend="llm", llm=settings_for(server, token_budget=1, concurrency=1))
        result = extract_text(text, settings=settings)
    assert len(server.requests) == 1                        # the first call spent the budget
    assert len(result.forms) == 1
    assert {e["code"] for e in result.errors} == {BudgetExhausted.code}
    assert len(result.errors) == 13


def test_cost_is_estimated_from_the_price_table():
    prices = {"fake-model": Price(input=1.0, output=2.0)}
    with FakeOpenAIServer([answer(parsed_gold())]) as server:
        extracted = extract_one(settings_for(server, prices=prices))
    usage = extracted.extraction["usage"]
    assert usage["cost_usd"] == pytest.approx((usage["prompt_tokens"] * 1.0 + usage["completion_tokens"] * 2.0) / 1e6)


def test_forms_of_a_document_are_sent_concurrently_within_the_limit(seed_text):
    text = seed_text("003")
    with FakeOpenAIServer(default=slow(0.3, parser_model())) as server:
        settings = Settings(backend="llm", llm=settings_for(server, concurrency=7))
        started = time.monotonic()
        result = extract_text(text, settings=settings)
        elapsed = time.monotonic() - started
    assert len(result.forms) == 14 and not result.errors
    assert elapsed < 14 * 0.3                               # not one after another
    assert elapsed >= 2 * 0.3                               # at most 7 in flight: two waves at least


def test_model_output_is_validated_like_parser_output(seed_text):
    """The stand-in model answers with the parser's reading: same forms, same validation."""
    text = seed_text("002")
    with FakeOpenAIServer(default=parser_model()) as server:
        modelled = extract_text(text, settings=Settings(backend="llm", llm=settings_for(server)))
    parsed = extract_text(text)
    assert [f.form.model_dump() for f in modelled.forms] == [f.form.model_dump() for f in parsed.forms]
    assert [f.validation.status for f in modelled.forms] == [f.validation.status for f in parsed.forms]


def test_get_backend_builds_the_model_backends():
    llm = LLMSettings(base_url="http://127.0.0.1:9/v1", cache_path=None)
    assert get_backend(Settings(backend="llm", llm=llm)).name == "llm"
    assert get_backend(Settings(backend="hybrid", llm=llm)).name == "hybrid"
