"""Forms from other templates: the form model as data (specs), columns found by their headers,
titles and labels of other provinces, and the misread checks that send a form to the model."""

from __future__ import annotations

from decimal import Decimal

import pytest

from eval.variants import VARIANT_NAMES, score_variants
from extractor import labels
from extractor.backends.hybrid import HybridBackend, model_reasons
from extractor.backends.llm import LLMBackend
from extractor.backends.rules import RulesBackend
from extractor.backends.base import Reading
from extractor.errors import UnknownFormType
from extractor.layout import split_lines
from extractor.pipeline import extract_text
from extractor.segment import split_forms
from extractor.settings import LLMSettings
from extractor.spec import form_types, load_spec, match_role
from extractor.testing import FakeOpenAIServer, parser_model
from extractor.validate import SourceText, validate_form
from tests.conftest import rows

FAST = dict(model="fake-model", cache_path=None, backoff_initial_s=0.01, backoff_max_s=0.05, timeout_s=5.0)

# A 自评表 of another template: 项目实施单位, 调整后预算数/预算执行数/预算执行率, 权重, a split target,
# an extra 年初目标值 column, points in the level labels, 合计 and 自评等级.
PROVINCIAL = rows(
    "部门预算项目支出绩效自评表",
    "(2024年度)",
    "项目名称||乡村道路养护||||",
    "项目主管部门||县交通运输局||项目实施单位||县公路事务中心",
    "项目资金（万元）||年初预算数|调整后预算数|预算执行数|预算执行率|权重|得分",
    "|资金总额|100.00|120.00|108.00|90.00|10.00|9.00",
    "|其中：本年财政拨款|100.00|120.00|108.00|90.00|-|-",
    "|上年结转资金|0.00|0.00|0.00|0.00|-|-",
    "|其他资金|0.00|0.00|0.00|0.00|-|-",
    "年度总体目标|项目年度目标|||年度目标完成情况||",
    "|养护农村公路120公里|||完成养护118公里||",
    "一级指标|二级指标|三级指标|年初目标值|年度指标值|||实际完成值|权重|得分|偏差原因分析及改进措施",
    "||||指标性质|指标值|度量单位|||||",
    "产出指标(50分)|数量指标|养护里程|120公里|≥|120|公里|118公里|40.00|38.00|雨季停工",
    "||||||||||",
    "|成本指标|每公里养护成本|1万元|≤|1|万元/公里|0.9万元/公里|20.00|20.00|",
    "效益指标(30分)|社会效益指标|道路通行条件|改善|定性|改善||改善|20.00|20.00|",
    "|社会公众或服务对象满意度指标|群众满意度|90%|≥|90|%|95%|10.00|10.00|",
    "合计|||||||||100.00|97.00|",
    "自评等级|优||||||||||",
)


def _only_form(text: str):
    (form,) = extract_text(text).forms
    return form


# --- the form model as data ---------------------------------------------------------------------

def test_every_form_type_has_a_spec_and_an_unknown_type_fails_loudly():
    assert form_types() == ("self_evaluation", "target_declaration")
    assert load_spec("self_evaluation").indicator_role("权重") == "weight"
    with pytest.raises(UnknownFormType, match="unknown form type 'performance_audit'"):
        load_spec("performance_audit")


def test_a_header_label_is_matched_exactly_first_then_by_the_longest_synonym_it_holds():
    spec = load_spec("self_evaluation")
    assert spec.indicator_role("年初目标值") == "initial_target"      # not 目标值 → target
    assert spec.indicator_role("年度指标值") == "target"
    assert spec.fund_column("全年预算数（A）") == "annual_budget"
    assert spec.fund_column("执行率（B/A）") == "execution_rate"
    assert spec.indicator_role("实施单位") is None                     # 单位 matches only exactly


def test_a_trie_shaped_search_finds_a_word_exactly_where_a_plain_alternation_does():
    """spec.any_of folds words with a shared beginning (指标值, 指标名称, 指标) into one pattern."""
    import random
    import re

    from extractor.spec import any_of

    rng = random.Random(5)
    alphabet = "指标值名称单位分得目年度实际完成(/)项"
    for _ in range(300):
        words = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 12))}
        search, plain = any_of(words), re.compile("|".join(map(re.escape, words))).search
        for _ in range(40):
            text = "".join(rng.choice(alphabet + "xy") for _ in range(rng.randint(0, 15)))
            assert (search(text) is None) == (plain(text) is None), (words, text)


def test_a_number_names_no_role_and_a_label_is_found_by_its_table_after_one():
    spec = load_spec("self_evaluation")
    assert spec.fund_row("31.15") is None and spec.header_field("2024") is None
    assert spec.fund_row("年度资金总额:") == "total" and spec.header_field("项目名称：") == "project_name"


def test_what_a_reader_finds_in_the_documents_memo_is_what_match_role_says():
    """Readers of many cells look a text up in spec.known_roles first, and ask match_role on UNSEEN."""
    from extractor import spec as specs
    from extractor.spec import UNSEEN, known_roles, match_role

    se = load_spec("self_evaluation")
    specs._MATCHES.clear()
    texts = ["年度资金总额:", "其中：当年财政拨款", "31.15", "中共上海市松江区委社会工作部", "全年预算数（A）", "合计"]
    assert all(known_roles(se.fund_rows).get(t, UNSEEN) is UNSEEN for t in texts)
    said = {t: match_role(se.fund_rows, t) for t in texts}
    assert {t: known_roles(se.fund_rows)[t] for t in texts} == said
    assert said["年度资金总额:"] == "total" and said["31.15"] is None
    assert se.header_field("项目名称") == known_roles(se.header, exact_only=True)["项目名称"] == "project_name"


def test_the_printed_labels_table_agrees_with_the_specs():
    se, td = load_spec("self_evaluation"), load_spec("target_declaration")
    for field, label in labels.HEADER_LABELS.items():
        for spec in (se, td):
            if field in spec.header:
                assert spec.header_field(label) == field
    for row, label in labels.FUND_ROW_LABELS.items():
        if row in se.fund_rows:
            assert se.fund_row(label) == row
        elif row in td.fund_amounts and row != "other":
            assert match_role(td.fund_amounts, label) == row
    for column, label in labels.FUND_COLUMN_LABELS.items():
        assert se.fund_column(label) == column
    for field, label in labels.INDICATOR_LABELS.items():
        assert se.indicator_role(label) == field


# --- titles, footnotes, fragments ---------------------------------------------------------------

@pytest.mark.parametrize("title, form_type", [
    ("財政項目支出績效自評表", "self_evaluation"),
    ("部门预算项目支出绩效自评表", "self_evaluation"),
    ("2024年度项目自评表", "self_evaluation"),
    ("项目支出绩效目标表", "target_declaration"),
    ("項目申報表", "target_declaration"),
])
def test_titles_of_other_templates_and_in_traditional_characters_tell_the_form_type(title, form_type):
    text = rows(title, "(2024年度)", "项目名称|测试项目", "一级指标|二级指标|三级指标|指标值", "产出指标|数量指标|完成数|≥1个")
    (block,) = split_forms(split_lines(text))
    assert block.form_type == form_type and block.title_found


def test_a_footnote_naming_a_form_and_a_title_like_fragment_are_not_forms():
    text = rows("注：请按《项目支出绩效目标申报表》的填报说明填写，金额单位为元。",
                "", "绩效自评表", "", PROVINCIAL, "",
                "附件：项目支出绩效目标申报表")
    forms = split_forms(split_lines(text))
    assert len(forms) == 1 and forms[0].form_type == "self_evaluation"


# --- reading by header roles -------------------------------------------------------------------

def test_a_provincial_template_is_read_by_its_header_labels():
    extracted = _only_form(PROVINCIAL)
    form = extracted.form
    assert (form.competent_department, form.implementing_unit) == ("县交通运输局", "县公路事务中心")
    assert form.funds.total.annual_budget == 120 and form.funds.total.execution_rate == 90
    assert form.funds.total.weight == 10 and form.funds.total.score == 9
    assert form.funds.current_year_appropriation.executed == 108
    assert (form.goal_expected, form.goal_actual) == ("养护农村公路120公里", "完成养护118公里")
    first = form.indicators[0]
    assert (first.level1, first.level2, first.name) == ("产出指标", "数量指标", "养护里程")   # points are not a name
    assert (first.target, first.actual, first.weight, first.score) == ("≥120公里", "118公里", 40, 38)
    assert first.deviation_note == "雨季停工"
    assert (form.total_weight, form.total_score, form.grade) == (100, 97, "优")


def test_older_hierarchies_keep_their_printed_places():
    form = _only_form(PROVINCIAL).form
    assert [(r.level1, r.level2) for r in form.indicators] == [
        ("产出指标", "数量指标"), ("产出指标", "成本指标"), ("效益指标", "社会效益指标"),
        ("效益指标", "社会公众或服务对象满意度指标")]
    assert form.indicators[2].target == "定性改善"          # the three cells joined as printed


def test_columns_the_contract_lacks_are_kept_under_extra_and_never_scored():
    extracted = _only_form(PROVINCIAL)
    assert extracted.extra["indicators"][0] == {"row": 0, "initial_target": "120公里"}
    data = extracted.to_json()
    assert data["extra"]["indicators"][1]["initial_target"] == "1万元"
    assert "extra" not in extracted.form.model_dump()
    assert extracted.validation.status != "invalid"


def test_a_table_without_a_score_column_reads_weights_and_a_total_weight_only():
    text = rows("项目支出绩效自评表", "(2024年度)", "项目名称|测试项目",
                "一级指标|二级指标|三级指标|年度指标值|实际完成值|分值|偏差原因分析及改进措施",
                "产出指标|数量指标|完成数|≥10个|12个|60.00|",
                "效益指标|社会效益指标|群众受益|提升|提升|40.00|",
                "总分|||||100.00|")
    form = _only_form(text).form
    assert [(r.weight, r.score, r.actual) for r in form.indicators] == [(60, None, "12个"), (40, None, "提升")]
    assert (form.total_weight, form.total_score) == (100, None)


def test_a_second_level_label_on_a_row_of_its_own_labels_the_rows_below():
    text = rows("项目申报表", "(2025年度)", "项目名称|测试项目", "一级指标|二级指标|指标内容|指标值",
                "产出指标|数量指标||", "||培训人次|≥100人次", "||培训场次|≥4场", "|时效指标||", "||完成时间|12月底前")
    form = _only_form(text).form
    assert [(r.level2, r.name, r.target) for r in form.indicators] == [
        ("数量指标", "培训人次", "≥100人次"), ("数量指标", "培训场次", "≥4场"), ("时效指标", "完成时间", "12月底前")]


def test_every_template_variant_scores_at_least_097_at_a_small_size():
    scores = score_variants(count_forms=12)
    assert [s.name for s in scores] == list(VARIANT_NAMES) and len(scores) >= 6
    for score in scores:
        assert score.forms_predicted == score.forms_gold, score
        assert score.f1 >= 0.97, score.as_dict()


# --- misreads ----------------------------------------------------------------------------------

def _codes_after(change, text: str = PROVINCIAL) -> set[str]:
    extracted = _only_form(text)
    data = extracted.form.model_dump()
    change(data)
    form = type(extracted.form).model_validate(data)
    block = split_forms(split_lines(text))[0]
    return {f.code for f in validate_form(form, SourceText.of_lines(text, block.lines)).errors()}


def _set(field: str, value, row: int = 0):
    return lambda data: data["indicators"][row].__setitem__(field, value)


@pytest.mark.parametrize("change, code", [
    (_set("name", "数量指标养护里程"), "label_in_value"),
    (_set("level1", "产出指标(50分)"), "points_in_value"),
    (_set("level2", None), "level_missing"),
    (_set("name", "养护里程120公里"), "joined_cells"),
    (_set("name", "30.00"), "role_mismatch"),
    (lambda data: data["funds"]["total"].update(weight=90, execution_rate=None), "role_mismatch"),   # rate read as 分数
])
def test_each_kind_of_misread_gets_its_finding(change, code):
    assert _codes_after(lambda data: None) & {code} == set()
    assert code in _codes_after(change)


def test_values_in_a_column_the_template_does_not_print_get_a_finding():
    text = rows("项目支出绩效自评表", "(2024年度)", "项目名称|测试项目",
                "一级指标|二级指标|三级指标|年度指标值|实际完成值|分值|偏差原因分析及改进措施",
                "产出指标|数量指标|完成数|≥10个|12个|60.00|",
                "效益指标|社会效益指标|群众受益|提升|提升|40.00|",
                "总分|||||100.00|")
    assert "unexpected_column" not in _codes_after(lambda data: None, text)
    assert "unexpected_column" in _codes_after(_set("score", 60), text)


class MisreadingParser(RulesBackend):
    """The real parser, then a misread: the first row loses its 二级."""

    def read(self, block, text) -> Reading:
        reading = super().read(block, text)
        rows_ = [r.model_copy(update={"level2": None}) if i == 0 else r for i, r in enumerate(reading.form.indicators)]
        return Reading(reading.form.model_copy(update={"indicators": rows_}), self.name, block)


def test_hybrid_sends_a_misread_form_to_the_model():
    clean = _only_form(PROVINCIAL)
    assert model_reasons(clean.validation) == []
    with FakeOpenAIServer(default=parser_model()) as server:
        backend = HybridBackend(LLMBackend(LLMSettings(base_url=server.url, **FAST)), parser=MisreadingParser())
        (merged,) = extract_text(PROVINCIAL, backend=backend).forms
    assert len(server.requests) == 1
    assert merged.extraction["sent_to_model"] is True and "level_missing" in merged.extraction["reasons"]
    assert merged.form.model_dump() == clean.form.model_dump()


def test_a_form_printed_wholly_in_traditional_characters_is_read_with_its_values_as_printed():
    import opencc

    traditional = opencc.OpenCC("s2t").convert(PROVINCIAL)
    simplified_form, traditional_form = _only_form(PROVINCIAL).form, _only_form(traditional).form
    assert traditional_form.implementing_unit == "縣公路事務中心"            # values keep their characters
    assert traditional_form.funds.total.model_dump() == simplified_form.funds.total.model_dump()
    assert [(r.level1, r.level2, r.weight) for r in traditional_form.indicators] == \
        [(r.level1, r.level2, r.weight) for r in simplified_form.indicators]  # levels in the framework's names


def test_a_template_with_the_weight_before_the_target_is_read_by_its_header():
    text = rows(
        "本级部门项目支出绩效自评表(2021年)",
        "项目名称|公用经费|主管部门|市教育局|实施单位|第一中学",
        "项目资金(万元)|年度资金总额|年初预算数|调整预算数(A)|全年执行数(B)|执行率(B/A)",
        "|年度资金总额|64.80|64.80|64.80|100%",
        "年度总体目标|年初设定目标||年度总体目标完成情况综述|",
        "|保障学校正常运行||学校运行正常|",
        "一级指标|二级指标|三级指标|分值|指标值(A)|全年实际值(B)|得分|未完成原因分析及改进措施",
        "产出指标|数量指标|保障人数|40|2370人|2370人|40|",
        "|时效指标|完成时间|30|2021年12月|2021年12月|28|进度略慢",
        "效益指标|社会效益指标|办学条件改善|30|改善|改善|30|",
        "总分||||||98|",
    )
    form = _only_form(text).form
    assert (form.competent_department, form.implementing_unit) == ("市教育局", "第一中学")
    total = form.funds.total
    assert (total.annual_budget, total.executed, total.execution_rate) == (Decimal("64.8"), Decimal("64.8"), 100)
    assert (form.goal_expected, form.goal_actual) == ("保障学校正常运行", "学校运行正常")
    assert [(r.name, r.target, r.actual, r.weight, r.score) for r in form.indicators] == [
        ("保障人数", "2370人", "2370人", 40, 40), ("完成时间", "2021年12月", "2021年12月", 30, 28),
        ("办学条件改善", "改善", "改善", 30, 30)]
    assert form.indicators[1].deviation_note == "进度略慢"
    assert form.total_score == 98


def test_a_form_that_lost_its_table_head_is_read_by_its_neighbours_columns():
    headless = "\n".join(line for line in PROVINCIAL.split("\n") if "三级指标" not in line and "指标性质" not in line)
    first, second = extract_text(PROVINCIAL + "\n\n" + headless).forms
    assert second.extra["columns_from"] == "a neighbouring form"
    assert second.form.model_dump() == first.form.model_dump()
    (alone,) = extract_text(headless).forms        # no neighbour: the content rules read it, and it is flagged
    assert alone.form.model_dump() != first.form.model_dump()
    assert {f.code for f in alone.validation.errors()} & {"joined_cells", "label_in_value", "level_missing", "role_mismatch"}
