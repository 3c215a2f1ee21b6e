"""The pipeline's fixed order: read → validate → repair (optional, by the backend) → validate again → assemble."""

from __future__ import annotations

from extractor.backends.base import Reading
from extractor.backends.rules import RulesBackend
from extractor.layout import split_lines
from extractor.pipeline import extract_text, process_blocks
from extractor.segment import split_forms
from extractor.settings import LLMSettings, Settings
from extractor.testing import FakeOpenAIServer, answer
from tests.conftest import SELF_EVALUATION


class Invents(RulesBackend):
    """Reads with the parser, then invents the implementing unit; its repair puts the printed one back."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def read(self, block, text) -> Reading:
        self.calls.append("read")
        reading = super().read(block, text)
        reading.form = reading.form.model_copy(update={"implementing_unit": "不存在的单位"})
        del reading.provenance["implementing_unit"]          # an invented value has no source cell
        return reading

    def repair(self, reading, validation, block, text, validate) -> Reading:
        self.calls.append("repair: " + ",".join(sorted({f.code for f in validation.errors()})))
        fixed = super().read(block, text)
        return fixed


def test_a_repair_sees_the_first_validation_and_its_result_is_validated_again():
    backend = Invents()
    form = extract_text(SELF_EVALUATION, backend=backend).forms[0]
    assert backend.calls == ["read", "repair: ungrounded"]
    assert form.form.implementing_unit == "某区某中心" and form.validation.status == "valid"


def test_without_a_repair_the_first_validation_stands():
    backend = Invents()
    backend.repair = None                                    # type: ignore[assignment]   a backend that only reads
    form = extract_text(SELF_EVALUATION, backend=backend).forms[0]
    assert form.validation.status == "invalid"
    assert any(f.code == "ungrounded" and f.path == "implementing_unit" for f in form.validation.findings)


def test_validation_off_means_no_validation_and_no_repair():
    backend = Invents()
    form = extract_text(SELF_EVALUATION, backend=backend, settings=Settings(validate=False)).forms[0]
    assert backend.calls == ["read"] and form.validation is None
    assert form.form.implementing_unit == "不存在的单位"        # nothing checked, nothing changed


def test_validation_off_sends_a_model_form_once_without_a_reask():
    from extractor.backends.llm import LLMBackend

    (block,) = split_forms(split_lines(SELF_EVALUATION))
    invented = RulesBackend().read(block, SELF_EVALUATION).form.model_dump(mode="json")
    invented["implementing_unit"] = "不存在的单位"
    with FakeOpenAIServer(default=answer(invented)) as server:
        llm = LLMBackend(LLMSettings(base_url=server.url, model="fake-model", cache_path=None))
        (off,) = process_blocks(llm, [block], SELF_EVALUATION, validate=False)
        sent_off = len(server.requests)
        (on,) = process_blocks(llm, [block], SELF_EVALUATION, validate=True)
    assert sent_off == 1 and off.validation is None and off.spans == {}     # a model vouches for no span
    assert len(server.requests) - sent_off == 2                            # the read, then the targeted re-ask
    assert on.validation.status == "invalid"


def test_a_bug_reading_one_form_fails_that_form_only(seed_text):
    text = seed_text("001")

    class BreaksOnSecond(RulesBackend):
        seen = 0

        def read(self, block, text):
            BreaksOnSecond.seen += 1
            if BreaksOnSecond.seen == 2:
                raise RuntimeError("a bug")
            return super().read(block, text)

    result = extract_text(text, backend=BreaksOnSecond())
    assert [e["code"] for e in result.errors] == ["internal_error"]
    assert "RuntimeError: a bug" in result.errors[0]["message"]
    assert len(result.forms) == len(extract_text(text).forms) - 1
