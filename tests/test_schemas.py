"""The pydantic models are the hand-off format of FORMAT.md, key for key."""

from decimal import Decimal
import json

from schemas import SelfEvaluationForm, TargetDeclarationForm, form_json_schema
from schemas.forms import parse_forms


def test_every_gold_label_validates_against_the_schema(cases):
    for case in cases:
        forms = parse_forms(case.gold)
        assert len(forms) == len(case.gold)


def test_a_form_dumps_back_to_exactly_the_gold_json(cases):
    gold = cases[0].gold[0]
    dumped = parse_forms([gold])[0].model_dump(mode="json")
    assert dumped == gold


def test_money_is_decimal_inside_and_a_json_number_outside():
    form = SelfEvaluationForm.model_validate({"funds": {"total": {"executed": "6881.38"}}})
    assert form.funds.total.executed == Decimal("6881.38")
    assert json.loads(form.model_dump_json())["funds"]["total"]["executed"] == 6881.38


def test_every_key_is_present_with_null_for_missing_values():
    dumped = TargetDeclarationForm().model_dump(mode="json")
    assert dumped["plan_start"] is None and dumped["funds"]["project_total"] is None
    assert set(dumped) == {"form_type", "year", "project_name", "project_nature", "project_category",
                           "competent_department", "implementing_unit", "plan_start", "plan_end", "funds_unit",
                           "funds", "goal_overall", "goal_annual", "indicators"}


def test_json_schema_names_both_form_types():
    text = json.dumps(form_json_schema(), ensure_ascii=False)
    assert "self_evaluation" in text and "target_declaration" in text
