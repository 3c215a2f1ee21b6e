"""The spans formex ships are the parser's own cells, and each prints its value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractor.backends.rules import RulesBackend
from extractor.layout import split_lines
from extractor.normalize import key, normalise_date, parse_number
from extractor.pipeline import extract_text
from extractor.segment import split_forms
from extractor.validate.grounding import leaves
from tests.conftest import SELF_EVALUATION


def printed_as(path: str, value, text: str) -> bool:
    """The text at a span prints the value, after the FORMAT.md normalisation (NFKC, no spaces or tags;
    numbers equal as numbers; dates in any printed form)."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return parse_number(text) == Decimal(str(value))
    if path.endswith(("plan_start", "plan_end")):
        return normalise_date(text) == value
    return key(text) == key(str(value))


def test_every_shipped_span_prints_its_value_and_lies_in_the_parsers_cell(cases):
    checked = 0
    for case in cases:
        text = case.text_path.read_text(encoding="utf-8")
        blocks = split_forms(split_lines(text))
        result = extract_text(text)
        assert len(result.forms) == len(blocks)
        for block, form in zip(blocks, result.forms):
            provenance = RulesBackend().read(block, text).provenance
            for path, value in leaves(form.form.model_dump()):
                if form.validation.alignment.get(path) == "derived":
                    continue                                   # a level placed by the framework, not printed
                spans = form.spans[path]
                shown = "".join(text[start:end] for start, end in spans)
                assert printed_as(path, value, shown), (case.name, path, value, shown)
                if path in provenance:                          # the parser's own cell(s), or inside them
                    cells = provenance[path]
                    assert all(any(s <= start and end <= e for s, e in cells) for start, end in spans), (case.name, path)
                checked += 1
    assert checked > 2000


def test_a_fund_row_points_at_its_own_row_not_the_total():
    form = extract_text(SELF_EVALUATION).forms[0]
    start, end = form.spans["funds.current_year_appropriation.annual_budget"][0]
    line = SELF_EVALUATION[:start].count("\n")
    assert SELF_EVALUATION.splitlines()[line].startswith("\t其中: 当年财政拨款")
    assert form.validation.alignment["funds.current_year_appropriation.annual_budget"] == "normalized"  # 2,138.12


def test_a_provenance_span_that_does_not_print_its_value_is_a_finding():
    from extractor.validate import SourceText, validate_form

    (block,) = split_forms(split_lines(SELF_EVALUATION))
    reading = RulesBackend().read(block, SELF_EVALUATION)
    form = reading.form.model_copy(update={"project_name": "另一个项目"})
    validation = validate_form(form, SourceText.of_lines(SELF_EVALUATION, block.lines), provenance=reading.provenance)
    codes = {(f.code, f.path) for f in validation.findings}
    assert ("span_mismatch", "project_name") in codes and ("ungrounded", "project_name") in codes


def test_a_value_without_provenance_is_searched_for():
    from extractor.validate import SourceText, validate_form

    (block,) = split_forms(split_lines(SELF_EVALUATION))
    form = RulesBackend().read(block, SELF_EVALUATION).form
    validation = validate_form(form, SourceText.of_lines(SELF_EVALUATION, block.lines))
    assert validation.status == "valid"
    start, end = validation.spans["project_name"][0]
    assert SELF_EVALUATION[start:end] == "测试项目"


@pytest.mark.parametrize("validate", [True, False])
def test_validation_off_skips_findings_for_every_backend_and_ships_the_parsers_spans(validate):
    from extractor.settings import Settings

    form = extract_text(SELF_EVALUATION, settings=Settings(validate=validate)).forms[0]
    assert (form.validation is None) is (not validate)
    start, end = form.spans["project_name"][0]
    assert SELF_EVALUATION[start:end] == "测试项目"
