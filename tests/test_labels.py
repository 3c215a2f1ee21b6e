"""Field paths read as the form prints them (workbook headers, review page, findings)."""

from extractor.labels import label_of


def test_header_and_fund_cells_carry_the_printed_labels():
    assert label_of("project_name") == "项目名称"
    assert label_of("funds.total.executed") == "年度资金总额 · 全年执行数"
    assert label_of("funds.current_year_appropriation.execution_rate") == "其中：当年财政拨款 · 执行率"
    assert label_of("funds.annual_total") == "年度资金申请总额"          # 申报表 funds are one number each


def test_indicator_cells_name_their_row():
    assert label_of("indicators[2].actual", "服务群众的满意度") == "三级指标 “服务群众的满意度” 的实际完成值"
    assert label_of("indicators[0].weight") == "三级指标 第1行 的分值"
    assert label_of("indicators[4].name") == "第5行 三级指标"


def test_a_path_without_a_printed_label_is_shown_as_it_is():
    assert label_of("extra.note") == "extra.note"
