"""Validators flag what is inconsistent, invented or missing — and never change a value."""

import json
from decimal import Decimal

from click.testing import CliRunner

from eval.mutations import run_validator_eval
from extractor import extract_text
from extractor.cli import main
from extractor.layout import split_lines
from extractor.validate import SourceText, validate_form
from extractor.validate.arithmetic import target_met
from tests.conftest import SELF_EVALUATION


def validated(text=SELF_EVALUATION, edit=None):
    """Extract the one form of ``text``, optionally edit it, and validate it against the text."""
    extracted = extract_text(text).forms[0]
    form = extracted.form
    if edit:
        data = form.model_dump()
        edit(data)
        form = type(form).model_validate(data)
    source = SourceText(text, split_lines(text), extracted.first_line, extracted.last_line)
    return form, validate_form(form, source)


def codes(validation, severity="error"):
    return {(f.code, f.path) for f in validation.findings if f.severity == severity}


def test_a_clean_form_is_valid_and_every_value_is_grounded():
    form, validation = validated()
    assert validation.status == "valid", validation.findings
    assert set(validation.alignment.values()) <= {"exact", "normalized"}
    start, end = validation.spans["funds.total.annual_budget"][0]
    assert SELF_EVALUATION[start:end] == "2,138.12"
    assert validation.alignment["funds.total.annual_budget"] == "normalized"  # thousands separator


def test_an_invented_value_is_an_ungrounded_error():
    _, validation = validated(edit=lambda d: d["indicators"][0].update(target="≥95.00(人)"))
    assert ("ungrounded", "indicators[0].target") in codes(validation)
    assert validation.status == "invalid"


def test_a_value_printed_elsewhere_in_the_form_is_misplaced():
    _, validation = validated(edit=lambda d: d.update(goal_expected="≥80.00(人)"))
    assert ("misplaced_value", "goal_expected") in codes(validation)


def test_validators_never_change_a_printed_number():
    form, validation = validated(edit=lambda d: d.update(total_score=Decimal("90.55")))
    assert form.total_score == Decimal("90.55")
    finding = next(f for f in validation.findings if f.code == "total_score_mismatch")
    assert (finding.expected, finding.found) == (Decimal("94.55"), Decimal("90.55"))


def test_truncated_and_rounded_rates_are_both_accepted_anything_else_is_flagged():
    _, truncated = validated()  # 2042.66 / 2138.12 = 95.535…: printed 95.53 (truncated)
    assert not {c for c, _ in codes(truncated)} & {"rate_mismatch", "fund_score_mismatch"}
    _, wrong = validated(edit=lambda d: d["funds"]["total"].update(execution_rate=Decimal("96.53")))
    assert ("rate_mismatch", "funds.total.execution_rate") in codes(wrong)


def test_fund_columns_must_add_up():
    _, validation = validated(edit=lambda d: d["funds"]["other"].update(executed=Decimal("5")))
    assert ("fund_sum_mismatch", "funds.total.executed") in codes(validation)


def test_a_grade_must_match_the_total():
    _, validation = validated(edit=lambda d: d.update(grade="良"))
    assert ("grade_mismatch", "grade") in codes(validation)


def test_a_score_above_its_weight_is_out_of_range():
    _, validation = validated(edit=lambda d: d["indicators"][0].update(score=Decimal("46")))
    assert ("score_out_of_range", "indicators[0].score") in codes(validation)


def test_a_level2_under_the_wrong_level1_breaks_the_hierarchy():
    _, validation = validated(edit=lambda d: d["indicators"][0].update(level1="效益指标"))
    assert ("hierarchy_broken", "indicators[0].level2") in codes(validation)


def test_a_dropped_row_is_reported_with_its_source_line():
    _, validation = validated(edit=lambda d: d["indicators"].pop(0))
    missing = [f for f in validation.findings if f.code == "missing_row"]
    assert len(missing) == 1 and "培训人数" in missing[0].message
    start, end = missing[0].source_span
    assert "培训人数" in SELF_EVALUATION[start:end]


def test_an_amount_at_the_wrong_scale_is_suspect():
    _, validation = validated(edit=lambda d: d["funds"]["total"].update(executed=Decimal("20426600")))
    assert ("scale_suspect", "funds.total.executed") in codes(validation)


def test_missed_target_with_full_score_is_a_warning():
    assert target_met("≥90.00(%)", "88.00(%)") is False
    assert target_met("≤30.00(场)", "17.00(场)") is True
    assert target_met("提升", "达成指标") is None
    _, validation = validated(edit=lambda d: d["indicators"][1].update(score=Decimal("45")))
    assert ("missed_target_full_score", "indicators[1].score") in codes(validation, "warning")


def test_a_value_split_over_a_page_break_is_grounded_as_split():
    text = SELF_EVALUATION.replace("培训人数\t", "培训\t", 1).replace("\n满意度指标", "\n\n\t\t人数\n满意度指标", 1)
    form, validation = validated(text)
    assert form.indicators[0].name == "培训人数"
    assert validation.alignment["indicators[0].name"] == "split"
    assert len(validation.spans["indicators[0].name"]) == 2


def test_extract_output_carries_validation_spans_and_alignment():
    document = extract_text(SELF_EVALUATION).to_json()
    form = document["forms"][0]
    assert form["validation"]["status"] == "valid"
    assert form["alignment"]["project_name"] == "exact"
    assert form["spans"]["project_name"] and form["source_lines"][0] >= 1


def test_formex_validate_rechecks_an_edited_result(tmp_path):
    source = tmp_path / "form.txt"
    source.write_text(SELF_EVALUATION, encoding="utf-8")
    document = extract_text(SELF_EVALUATION, source=str(source)).to_json()
    result = tmp_path / "result.json"
    result.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    ok = CliRunner().invoke(main, ["validate", str(result), "--source", str(source)])
    assert ok.exit_code == 0 and "valid" in ok.stdout
    document["forms"][0]["total_score"] = 99.0  # a person's edit that breaks the sum
    result.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "checked.json"
    bad = CliRunner().invoke(main, ["validate", str(result), "--source", str(source), "-o", str(out)])
    assert bad.exit_code == 1 and "total_score_mismatch" in bad.stdout
    assert json.loads(out.read_text())["forms"][0]["validation"]["status"] == "invalid"


def test_formex_validate_rejects_a_malformed_result_without_a_traceback(tmp_path):
    source = tmp_path / "form.txt"
    source.write_text(SELF_EVALUATION, encoding="utf-8")
    result = tmp_path / "result.json"
    result.write_text('{"forms": [{"form_type": "self_evaluation", "year": "not a year"}]}', encoding="utf-8")
    outcome = CliRunner().invoke(main, ["validate", str(result), "--source", str(source)])
    assert outcome.exit_code == 1 and "year" in outcome.output and "Traceback" not in outcome.output


def test_clean_gold_has_no_error_findings_and_every_mutation_is_detected():
    report = run_validator_eval(trials=2).as_dict()
    assert report["clean_error_findings"] == []
    for name, row in report["detection"].items():
        assert row["recall"] >= 0.95, (name, row)
