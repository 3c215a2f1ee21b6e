"""The hybrid backend: the parser for every form, the model only for forms the validators reject."""

from __future__ import annotations

from eval.runner import run_eval
from extractor.backends.base import Reading
from extractor.backends.hybrid import HybridBackend, model_reasons
from extractor.backends.llm import LLMBackend
from extractor.backends.rules import RulesBackend
from extractor.pipeline import extract_text
from extractor.settings import LLMSettings, Settings
from extractor.testing import FakeOpenAIServer, parser_model

FAST = dict(model="fake-model", cache_path=None, backoff_initial_s=0.01, backoff_max_s=0.05, timeout_s=5.0)


class LossyParser(RulesBackend):
    """The real parser, then damage: the first indicator row dropped and the unit invented."""

    def read(self, block, text) -> Reading:
        form = super().read(block, text).form
        form = form.model_copy(update={"indicators": form.indicators[1:], "implementing_unit": "不存在的单位"})
        return Reading(form, self.name, block)        # damaged values come without provenance


def hybrid(server: FakeOpenAIServer, parser: RulesBackend | None = None, **changes: object) -> HybridBackend:
    return HybridBackend(LLMBackend(LLMSettings(base_url=server.url, **{**FAST, **changes})), parser=parser)


def test_forms_the_parser_reads_cleanly_never_reach_the_model(seed_text):
    text = seed_text("002")
    with FakeOpenAIServer(default=parser_model()) as server:
        result = extract_text(text, backend=hybrid(server))
    assert server.requests == []
    assert all(f.extraction == {"backend": "hybrid", "sent_to_model": False, "reasons": []} for f in result.forms)
    assert [f.form.model_dump() for f in result.forms] == [f.form.model_dump() for f in extract_text(text).forms]


def test_a_rejected_parser_form_is_merged_with_grounded_model_values(seed_text):
    text = seed_text("001")
    clean = extract_text(text)
    with FakeOpenAIServer(default=parser_model()) as server:
        result = extract_text(text, backend=hybrid(server, LossyParser()))
    assert len(server.requests) == len(clean.forms)             # every damaged form went to the model
    for merged, good in zip(result.forms, clean.forms):
        assert merged.extraction["sent_to_model"] is True
        assert set(merged.extraction["reasons"]) == {"missing_row", "ungrounded"}
        assert "implementing_unit" in merged.extraction["fields_from_model"]
        assert merged.form.model_dump() == good.form.model_dump()
        assert merged.validation.status == good.validation.status


def test_a_model_failure_keeps_the_parser_form_and_records_the_error(seed_text):
    text = seed_text("001")
    with FakeOpenAIServer() as server:                            # answers 500 to everything
        result = extract_text(text, backend=hybrid(server, LossyParser(), transport_attempts=1))
    assert result.errors == []
    assert all(f.extraction["model_error"]["code"] == "api_error" for f in result.forms)
    assert all(f.validation.status == "invalid" for f in result.forms)     # still flagged, never hidden


def test_reasons_name_only_grounding_and_structure_errors(seed_text):
    text = seed_text("000")
    forms = extract_text(text).forms
    assert all(model_reasons(f.validation) == [] for f in forms)


def test_hybrid_on_the_visible_set_scores_as_the_parser_and_reports_forms_sent():
    with FakeOpenAIServer(default=parser_model()) as server:
        llm = LLMSettings(base_url=server.url, **FAST)
        report = run_eval(Settings(backend="hybrid", llm=llm))
    parser = run_eval(Settings())
    assert report.metrics["field_f1"]["f1"] >= parser.metrics["field_f1"]["f1"]
    assert report.run.forms_sent_to_model == len(server.requests) == 0
    assert report.run.forms == 31
