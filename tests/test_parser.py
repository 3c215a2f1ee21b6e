"""The rules parser reads each kind of OCR damage found in the archives."""

from decimal import Decimal

import pytest

from extractor import extract_text
from extractor.errors import NoFormsFound
from tests.conftest import SELF_EVALUATION, rows


def only_form(text):
    result = extract_text(text)
    assert len(result.forms) == 1
    return result.forms[0].form


def test_a_clean_self_evaluation_form_is_read_completely():
    form = only_form(SELF_EVALUATION)
    assert (form.year, form.project_name, form.funds_unit) == (2024, "测试项目", "万元")
    assert form.funds.total.annual_budget == Decimal("2138.12")
    assert form.funds.total.execution_rate == Decimal("95.53")
    assert form.funds.current_year_appropriation.weight is None
    assert (form.goal_expected, form.goal_actual) == ("完成年度工作。", "已完成年度工作。")
    last = form.indicators[-1]
    assert (last.level1, last.level2, last.name, last.target, last.actual) == (
        "满意度指标", "服务对象满意度指标", "学员满意度", "≥90.00(%)", "88.00(%)")
    assert (last.weight, last.score, last.deviation_note) == (Decimal(45), Decimal(40), "满意度未达标，将改进课程")
    assert (form.total_weight, form.total_score, form.grade) == (Decimal(100), Decimal("94.55"), "优")


def test_a_form_without_title_or_grade_is_still_found_and_typed():
    text = SELF_EVALUATION.replace("财政项目支出绩效自评表\n", "").replace("\n评分等级\t优", "")
    form = only_form(text)
    assert form.form_type == "self_evaluation"
    assert form.grade is None and form.total_score == Decimal("94.55")


def test_a_total_row_that_lost_its_label_is_still_the_total():
    form = only_form(SELF_EVALUATION.replace("总分|", "").replace("总分\t", ""))
    assert (form.total_weight, form.total_score) == (Decimal(100), Decimal("94.55"))
    assert len(form.indicators) == 2


def test_labels_split_over_a_page_break_are_joined_from_the_framework():
    text = rows(
        "项目名称|x", "一级指标|二级指标|三级指标|年度指标值|实际完成值|分值|得分|偏差原因分析及改进措施",
        "效益|经济|街镇社工站|≥17.00(个)|17.00(个)|10.00|10.00|",
        "",
        "指标|效益指标|党员作用发挥|提升|达成指标|5.00|5.00|",
        "|社会效益指标|服务时长|≥8.00 (小时)|8.00 (小时)|10.00|10.00|",
    )
    levels = [(i.level1, i.level2, i.name) for i in only_form(text).indicators]
    assert levels == [("效益指标", "经济效益指标", "街镇社工站"), ("效益指标", "经济效益指标", "党员作用发挥"),
                      ("效益指标", "社会效益指标", "服务时长")]


def test_spaces_inside_labels_and_values_do_not_matter():
    text = rows(
        "项目名称|x", "一级 指标|二级 指标|三级指标|年度指标值|实际完成值|分值|得分|偏差原因分析及改进措施",
        "满意 度指 标|服务 对象 满意 度指 标|居民满意度|满意|部分达成指 标并具有一定 效果|8.00|6.00|需 要改进",
    )
    row = only_form(text).indicators[0]
    assert (row.level1, row.level2, row.actual, row.deviation_note) == (
        "满意度指标", "服务对象满意度指标", "部分达成指标并具有一定效果", "需要改进")


def test_a_level2_label_in_the_level1_column_gets_its_parent_from_the_framework():
    text = rows(
        "项目名称|x", "一级指标|二级指标|三级指标|年度指标值|实际完成值|分值|得分|偏差原因分析及改进措施",
        "产出指标|数量指标|培训班次|≥2.00(次)|2.00(次)|10.00|10.00|",
        "时效指标|培训计划按期完成率|=100.00(%)|100.00(%)|10.00|10.00||",
    )
    row = only_form(text).indicators[1]
    assert (row.level1, row.level2, row.name, row.target) == ("产出指标", "时效指标", "培训计划按期完成率", "=100.00(%)")


def test_a_cell_split_across_a_blank_line_is_joined_to_its_row():
    text = rows(
        "项目名称|x", "一级指标|二级指标|三级指标|年度指标值|实际完成值|分值|得分|偏差原因分析及改进措施",
        "成本指标|经济成本指标|22 个居民区党组织服务群众工作|≤70000.00|52272.73(元|5.00|5.00|",
        "",
        "||活动成本|(元/年/居民区)|/年/居民区)|||",
        "||辖区内经费成本|≤500.00(元/月/人)|500.00(元/月/人)|5.00|5.00|",
    )
    first, second = only_form(text).indicators
    assert (first.name, first.target, first.actual) == (
        "22 个居民区党组织服务群众工作活动成本", "≤70000.00(元/年/居民区)", "52272.73(元/年/居民区)")
    assert second.name == "辖区内经费成本"


def test_declaration_with_scrambled_columns_and_a_missing_value():
    text = rows(
        "财政项目支出绩效目标申报表", "(2025 年度)",
        "项目名称|调研经费|项目性质|经常性项目|项目类别|特定目标类",
        "主管部门|某部(汇总)||实施单位|某部",
        "计划开始日期|2025-01-01||计划完成日期|2025-12-31",
        "项目资金 (元)|项目资金总额:|500,000.00|年度资金申请总额:|95,000.00",
        "|其中: 财政资金|500,000.00|其中: 当年财政拨款|95,000.00",
        "|||上年结转资金|0.00",
        "|其他资金|0.00|其他资金|0.00",
        "项目绩效目标|项目总目标||年度总体目标",
        "|||安排调研经费。",
        "|一级指标|二级指标|三级指标|年度(/项目)指标值",
        "绩效指标|成本指标|经济成本指标|成本构成合理性|合理",
        "|||产出指标|数量指标|调研工作完成次数|",
        "|调研研究主题数||||≥1.00(个)|",
        "|质量指标|调研研究主题契合度||符合重点工作方向||",
        "|满意度指标|服务对象满意度指标|长效管理机制健全性||健全有效",
        "|||调研参与单位满意度||≥85.00(%)",
    )
    form = only_form(text)
    assert form.form_type == "target_declaration"
    assert (form.plan_start, form.plan_end, form.project_category) == ("2025-01-01", "2025-12-31", "特定目标类")
    assert (form.funds.project_total, form.funds.project_other, form.funds.other) == (Decimal(500000), Decimal(0), Decimal(0))
    assert (form.goal_overall, form.goal_annual) == (None, "安排调研经费。")
    table = [(i.level1, i.level2, i.name, i.target) for i in form.indicators]
    assert table == [
        ("成本指标", "经济成本指标", "成本构成合理性", "合理"),
        ("产出指标", "数量指标", "调研工作完成次数", None),          # value missing: null, never guessed
        ("产出指标", "数量指标", "调研研究主题数", "≥1.00(个)"),
        ("产出指标", "质量指标", "调研研究主题契合度", "符合重点工作方向"),
        ("效益指标", "可持续影响指标", "长效管理机制健全性", "健全有效"),  # displaced 满意度 label
        ("满意度指标", "服务对象满意度指标", "调研参与单位满意度", "≥85.00(%)"),
    ]


def test_a_document_holds_several_forms_of_both_types():
    declaration = rows("财政项目支出绩效目标申报表", "(2025 年度)", "项目名称|乙", "|一级指标|二级指标|三级指标|年度(/项目)指标值",
                       "绩效指标|成本指标|经济成本指标|成本构成合理性|合理")
    result = extract_text(SELF_EVALUATION + "\n\n" + declaration + "\n\n" + SELF_EVALUATION)
    assert [f.form.form_type for f in result.forms] == ["self_evaluation", "target_declaration", "self_evaluation"]


def test_html_tags_left_by_ocr_are_not_part_of_a_value():
    form = only_form(SELF_EVALUATION.replace("完成年度工作。", "<p>完成年度工作。</p>", 1))
    assert form.goal_expected == "完成年度工作。"


def test_text_without_any_form_is_no_forms_found():
    with pytest.raises(NoFormsFound):
        extract_text("会议纪要\n今天讨论了预算。")


def test_every_parsed_value_points_back_at_its_source_cell():
    result = extract_text(SELF_EVALUATION)
    extracted = result.forms[0]
    (start, end), = extracted.spans["funds.total.annual_budget"]
    assert SELF_EVALUATION[start:end] == "2,138.12"
    (start, end), = extracted.spans["indicators[1].deviation_note"]
    assert SELF_EVALUATION[start:end] == "满意度未达标，将改进课程"


@pytest.mark.parametrize("cells, target, actual", [
    ("培训人数|≥80.00(人)||45.00|45.00|", "≥80.00(人)", None),   # the actual's cell lost: a target says how it compares
    ("培训人数|80.00(人)||45.00|45.00|", "80.00(人)", None),      # ... or sits two columns left of 分值
    ("培训人数||80.00(人)|45.00|45.00|", None, "80.00(人)"),      # the target's cell lost
])
def test_a_lone_target_or_actual_keeps_its_own_column(cells, target, actual):
    text = SELF_EVALUATION.replace("培训人数\t≥80.00(人)\t80.00(人)\t45.00\t45.00\t", cells.replace("|", "\t"))
    row = only_form(text).indicators[0]
    assert (row.name, row.target, row.actual) == ("培训人数", target, actual)


def test_a_declaration_value_pushed_to_the_next_line_is_still_its_labels():
    text = rows(
        "财政项目支出绩效目标申报表", "(2025 年度)",
        "项目名称|||项目性质|经常性项目|项目类别|特定目标类",
        "|残疾人就业保障金",
        "主管部门|某部(汇总)||实施单位|某部",
        "|一级指标|二级指标|三级指标||年度(/项目)指标值",
        "绩效指标|产出指标|数量指标|缴纳完成率||=100.00(%)",
    )
    form = only_form(text)
    assert (form.project_name, form.project_nature, form.competent_department) == ("残疾人就业保障金", "经常性项目", "某部(汇总)")
