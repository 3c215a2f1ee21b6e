"""Corrections as a library and offline: JSON Patch or field edits on a result, revalidated at
once, kept as a trail; ``formex validate --apply`` takes what the offline review page exports."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from eval.render import render_text_pdf
from extractor.cli import main
from extractor.corrections import apply_changes, field_to_pointer, parse_changes, pointer_to_field
from extractor.errors import InvalidCorrection
from extractor.ingest import ingest_bytes
from extractor.ingest.boxes import boxes_of_span
from extractor.pipeline import extract_text
from extractor.settings import ServiceSettings
from tests.conftest import SELF_EVALUATION

WRONG_TOTAL = SELF_EVALUATION.replace("总分\t\t\t\t\t100.00\t94.55", "总分\t\t\t\t\t100.00\t90.55")
FIX_TOTAL = [{"op": "replace", "path": "/forms/0/total_score", "value": 94.55}]


@pytest.fixture(scope="module")
def result():
    return extract_text(WRONG_TOTAL, source="wrong.txt").to_json()


def _codes(document, form=0):
    return [f["code"] for f in document["forms"][form]["validation"]["findings"]]


def test_pointers_and_field_paths_are_the_same_places():
    assert pointer_to_field("/forms/2/indicators/3/actual") == (2, "indicators[3].actual")
    assert pointer_to_field("/forms/0/funds/total/executed") == (0, "funds.total.executed")
    assert field_to_pointer(2, "indicators[3].actual") == "/forms/2/indicators/3/actual"
    for bad in ("/forms/x/total_score", "/review/status", "/forms/0/validation/status", "/forms/0/spans/x"):
        with pytest.raises(InvalidCorrection):
            pointer_to_field(bad)


def test_a_corrected_total_is_revalidated_and_the_trail_keeps_both_values(result):
    assert "total_score_mismatch" in _codes(result)
    corrected, trail = apply_changes(result, WRONG_TOTAL, parse_changes(FIX_TOTAL), reviewer="alice", version=1)
    assert "total_score_mismatch" not in _codes(corrected)
    assert _codes(corrected) == ["ungrounded"]            # the typed value is not the printed one: still said
    assert corrected["review"]["status"] == "reviewed"     # ... but a person put it there
    assert [(e["path"], e["original"], e["value"], e["reviewer"]) for e in trail] == \
           [("total_score", 90.55, 94.55, "alice")]
    assert result["forms"][0]["total_score"] == 90.55     # the input result is left as it was


def test_a_test_of_the_form_type_confirms_the_whole_form(result):
    confirmed, trail = apply_changes(result, WRONG_TOTAL, parse_changes(
        [{"op": "test", "path": "/forms/0/form_type", "value": "self_evaluation"}]), reviewer="a", version=1)
    assert confirmed["review"]["confirmed"] == ["forms[0]"] and confirmed["review"]["status"] == "reviewed"
    assert "total_score_mismatch" in _codes(confirmed)      # confirmed, not hidden
    assert trail[0]["path"] is None and trail[0]["action"] == "confirm"


def test_a_number_typed_as_text_is_kept_as_a_number(result):
    corrected, trail = apply_changes(result, WRONG_TOTAL, parse_changes(
        {"edits": [{"form": 0, "path": "total_score", "value": "94.55"}]}), reviewer="a", version=1)
    assert corrected["forms"][0]["total_score"] == 94.55 and trail[0]["value"] == 94.55
    with pytest.raises(InvalidCorrection, match="total_score"):
        apply_changes(result, WRONG_TOTAL, parse_changes(
            {"edits": [{"form": 0, "path": "total_score", "value": "九十"}]}), reviewer="a", version=1)


def test_rows_are_added_and_removed_and_the_form_revalidated(result):
    row = dict(result["forms"][0]["indicators"][0])
    added, trail = apply_changes(result, WRONG_TOTAL, parse_changes(
        [{"op": "add", "path": "/forms/0/indicators/-", "value": row}]), reviewer="a", version=1)
    assert len(added["forms"][0]["indicators"]) == 3 and trail[0]["path"] == "indicators[2]"
    assert "total_weight_mismatch" in _codes(added)      # 45 + 45 + 45 + 10 ≠ 100: the new row is checked
    removed, _ = apply_changes(added, WRONG_TOTAL, parse_changes(
        [{"op": "remove", "path": "/forms/0/indicators/2"}]), reviewer="a", version=2)
    assert removed["forms"][0]["indicators"] == result["forms"][0]["indicators"]


@pytest.mark.parametrize("body", [
    {"edits": [{"form": 0, "path": "no_such_field", "value": 1}]},
    [{"op": "test", "path": "/forms/0/total_score", "value": 94.55}],     # it reads 90.55
    [{"op": "remove", "path": "/forms/0/total_score"}],                  # a field is set to null, not removed
    [{"op": "replace", "path": "/forms/0/indicators/0", "value": 5}],
    [],
    {"nothing": 1},
])
def test_a_correction_that_cannot_be_applied_changes_nothing(result, body):
    with pytest.raises(InvalidCorrection):
        apply_changes(result, WRONG_TOTAL, parse_changes(body), reviewer="a", version=1)


def test_api_keys_have_names():
    keys = ServiceSettings(api_keys=("alice:s3cret", "plain")).named_keys()
    assert keys[0] == ("alice", "s3cret")
    assert keys[1][0].startswith("key-") and keys[1][1] == "plain"


def test_a_text_layer_pdf_records_where_each_value_sits_on_the_page():
    ingested = ingest_bytes(render_text_pdf(WRONG_TOTAL), source="wrong.pdf")
    starts = [b[0] for b in ingested.boxes]
    at = ingested.text.index("90.55")
    [(page, (x0, y0, x1, y1))] = boxes_of_span(ingested.boxes, starts, at, at + 5)
    assert page == 1 and 0 < x0 < x1 < 1 and 0 < y0 < y1 < 1
    title = ingested.text.index("财政项目支出绩效自评表")
    [(_, title_box)] = boxes_of_span(ingested.boxes, starts, title, title + 3)
    assert title_box[3] < y0                               # the title is printed above the total


def test_validate_applies_the_patch_the_offline_page_exports(tmp_path, result):
    source = tmp_path / "wrong.txt"
    source.write_text(WRONG_TOTAL, encoding="utf-8")
    (tmp_path / "wrong.json").write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "patch.json").write_text(json.dumps(FIX_TOTAL), encoding="utf-8")
    out = tmp_path / "corrected.json"
    run = CliRunner().invoke(main, ["validate", str(tmp_path / "wrong.json"), "--source", str(source),
                                    "--apply", str(tmp_path / "patch.json"), "--reviewer", "clerk", "-o", str(out)])
    assert "total_score_mismatch" not in run.output and "ungrounded" in run.output
    assert run.exit_code == 1                               # a value not printed in the source is an error
    corrected = json.loads(out.read_text(encoding="utf-8"))
    assert corrected["forms"][0]["total_score"] == 94.55
    assert corrected["review"]["trail"][0]["reviewer"] == "clerk"
    page = tmp_path / "page.html"
    assert CliRunner().invoke(main, ["review", str(out), "--source", str(source), "-o", str(page)]).exit_code == 0
    assert "clerk" in page.read_text(encoding="utf-8")     # the offline page shows the trail


def test_the_offline_page_of_a_pdf_shows_the_page_with_boxes(tmp_path, result):
    source = tmp_path / "wrong.pdf"
    source.write_bytes(render_text_pdf(WRONG_TOTAL))
    extracted = CliRunner().invoke(main, ["extract", str(source)])
    (tmp_path / "wrong.json").write_text(extracted.stdout, encoding="utf-8")
    page = tmp_path / "page.html"
    run = CliRunner().invoke(main, ["review", str(tmp_path / "wrong.json"), "--source", str(source), "-o", str(page)])
    assert run.exit_code == 0, run.output
    html = page.read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == 1
    assert 'class="box exact flag-error" data-key="f0:total_score"' in html
    assert "总分 90.55 ≠ 资金得分 9.55 + Σ 指标得分 85.00 = 94.55" in html
