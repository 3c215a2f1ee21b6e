"""Glued text: a form flattened with no separator between its cells (a document-sharing site's
text preview) is cut back into rows by the template vocabulary, and its glued numbers are split
only where the form's arithmetic allows one reading."""

from decimal import Decimal

from extractor.ingest.layouts import rebuild
from extractor.ingest.runs import AMOUNT, POINTS, RATE, unique_split
from extractor.pipeline import extract_bytes


def extract(text: str):
    """The forms formex reads from a text file holding ``text``."""
    return [f.form for f in extract_bytes(text.encode("utf-8"), source="preview.txt").forms]


def findings(text: str) -> set[str]:
    return {f.code for f in extract_bytes(text.encode("utf-8"), source="preview.txt").forms[0].validation.findings}

GLUED = ("2023年度项目支出绩效自评表项目名称社区服务主管部门某区民政局实施单位某街道办事处"
         "预算执行情况(万元)(20分)预算数(A)执行数(B)执行率(B/A)得分(20分*执行率)年度资金总额1010100%20"
         "一级指标二级指标三级指标年初目标值(A)实际完成值(B)得分"
         "产出指标数量指标服务场次100%100%40效益指标社会效益指标群众受益率98%98%39.2总分99.2")


def test_a_glued_self_evaluation_form_is_rebuilt_into_its_rows():
    rebuilt = rebuild(GLUED)
    assert rebuilt.layout == "glued"
    rows = [line.split("\t") for line in rebuilt.text.split("\n")]
    assert ["年度资金总额", "10", "10", "100%", "20"] in rows
    assert ["产出指标", "数量指标", "服务场次", "100%", "100%", "40"] in rows
    assert ["总分", "99.2"] in rows

    form = extract(GLUED)[0]
    assert (form.project_name, form.competent_department, form.implementing_unit) == ("社区服务", "某区民政局", "某街道办事处")
    assert (form.funds.total.annual_budget, form.funds.total.executed, form.funds.total.execution_rate) == (10, 10, 100)
    assert [(r.level2, r.name, r.target, r.actual, r.score) for r in form.indicators] == [
        ("数量指标", "服务场次", "100%", "100%", 40), ("社会效益指标", "群众受益率", "98%", "98%", Decimal("39.2"))]


def test_traditional_characters_match_the_labels_and_stay_as_printed():
    traditional = GLUED.replace("项目名称", "項目名稱").replace("社区服务", "社區服務").replace("绩效自评表", "績效自評表")
    form = extract(traditional)[0]
    assert form.project_name == "社區服務"


def test_the_pinyin_a_web_copy_prints_after_converted_characters_is_dropped():
    copy = GLUED.replace("项目名称", "項(xiàng)目名稱").replace("主管部门", "主管部門(mén)")
    assert extract(copy)[0].project_name == "社区服务"


def test_a_glued_number_run_is_split_only_where_one_cut_fits():
    kinds, roles = [AMOUNT, AMOUNT, RATE, POINTS], ["annual_budget", "executed", "execution_rate", "score"]
    # 执行率 = 执行数/预算数 and 得分 = 执行率 × 20分 leave one reading (10101 | 0 | 0% fails the score)
    assert unique_split("1010100%20", kinds, roles, {"weight": 20}) == ["10", "10", "100%", "20"]
    # two readings fit 预算数 | 执行数 with no rate to check them: none is chosen
    assert unique_split("908989", [AMOUNT, AMOUNT], ["annual_budget", "executed"]) is None


def test_an_ambiguous_run_is_left_whole_and_flagged():
    ambiguous = GLUED.replace("年度资金总额1010100%20", "年度资金总额90898998.0%")    # 9|0898… 90|89… 908|9…
    rows = [line.split("\t") for line in rebuild(ambiguous).text.split("\n")]
    assert ["年度资金总额", "90898998.0%"] in rows                          # not one digit moved or invented
    form = extract(ambiguous)[0]
    assert form.funds.total.executed is None and form.funds.total.execution_rate is None
    assert findings(ambiguous) & {"missing_value", "misread_value", "joined_cells", "ungrounded"}


def test_a_spaced_flat_text_is_unchanged():
    spaced = ("财政项目支出绩效自评表 (2024年度) 项目名称 社区服务 主管部门 某区民政局 实施单位 某街道办事处 "
              "一级指标 二级指标 三级指标 年度指标值 实际完成值 分值 得分 产出指标 数量指标 服务场次 ≥10次 12次 50 50 总分 100 100")
    rebuilt = rebuild(spaced)
    assert rebuilt.layout == "flat"


def test_a_glued_form_wrapped_at_a_label_and_named_by_another_label_of_the_project_name_is_found():
    """项目支出名称 is a label of 项目名称 (the specs list it), and a preview that breaks its line
    inside a label (``…項目資金`` / ``(萬元)年初預算數…``) is one glued text, not two."""
    text = ("附件2020年度專項資金項目支出績效自評表項目支出名稱產業發展專項資金主管部門某省發展和改革委員會"
            "實施單位相關項目建設單位項目資金\n"
            "(萬元)年初預算數全年預算數全年執行數分值執行率得分年度資金總額10101010100%10")
    rows = [line.split("\t") for line in rebuild(text).text.split("\n")]
    assert ["項目資金(萬元)", "年初預算數", "全年預算數", "全年執行數", "分值", "執行率", "得分"] in rows

    form = extract(text)[0]
    assert (form.project_name, form.competent_department) == ("產業發展專項資金", "某省發展和改革委員會")
