"""The scorer follows FORMAT.md's comparison rules; the parser meets its accuracy bar."""

import copy

import pytest

from eval.compare import compare_document, values_equal
from eval.damage import DAMAGES, damage
from eval.evaluators import prf
from eval.runner import run_eval
from extractor import extract_text
from extractor.settings import Settings


@pytest.mark.parametrize("field, gold, pred, equal", [
    ("implementing_unit", "某部（本级）", "某部(本级)", True),          # NFKC
    ("indicators[0].name", "22 个居民区", "22个居民区", True),          # whitespace
    ("indicators[0].target", "≥80.00(%)", "<p>≥80.00(%)</p>", True),    # HTML tags
    ("funds.total.executed", 6881.38, 6881.384, True),                  # within 0.005
    ("funds.total.executed", 6881.38, 6881.39, False),
    ("funds.total.executed", 6881.38, "6881.38", False),                # a string is not a number
    ("goal_actual", "完成" * 50, "完成" * 49 + "完了", True),            # long texts: similarity >= 0.95
    ("indicators[0].target", "完成" * 50, "完成" * 49 + "完了", False),  # ... only long texts
])
def test_value_equality_rules(field, gold, pred, equal):
    assert values_equal(field, gold, pred) is equal


def test_rows_are_paired_by_name_so_one_missing_row_costs_only_its_fields(cases):
    gold = cases[2].gold
    pred = copy.deepcopy(gold)
    removed = pred[0]["indicators"].pop(1)
    score = prf(compare_document("d", gold, pred))
    assert score.precision == 1.0
    assert score.gold - score.tp == sum(v is not None for v in removed.values())


def test_an_invented_value_is_a_false_positive(cases):
    gold = cases[2].gold
    pred = copy.deepcopy(gold)
    pred[0]["funds"]["project_total"] = 1.0
    score = prf(compare_document("d", gold, pred))
    assert (score.recall, score.predicted - score.tp) == (1.0, 1)


def test_rules_backend_scores_at_least_099_on_the_visible_eval_set():
    report = run_eval(Settings(backend="rules"), detail=True)
    assert report.forms_predicted == report.forms_gold == 31
    assert report.metrics["field_f1"]["f1"] >= 0.99, report.metrics["mismatches"]


@pytest.mark.parametrize("kind", sorted(DAMAGES))
def test_parser_survives_each_kind_of_ocr_damage(cases, kind):
    results = []
    for case in cases:
        text = damage(case.text_path.read_text(encoding="utf-8"), [kind], seed=1)
        pred = [f.form.model_dump(mode="json") for f in extract_text(text).forms]
        results.extend(compare_document(case.name, case.gold, pred))
    assert prf(results).f1 >= 0.99
