"""The workbook and CSV exports of a batch: the form's own labels, every fund cell, findings with
expected/found, rows in input order."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from eval.dataset import DATA_DIR
from extractor.cli import main
from extractor.export_tables import FINDING_COLUMNS, FORM_COLUMNS, INDICATOR_COLUMNS
from tests.conftest import SELF_EVALUATION

SEEDS = sorted((DATA_DIR / "seeds").glob("*.txt"))
WRONG_TOTAL = SELF_EVALUATION.replace("总分\t\t\t\t\t100.00\t94.55", "总分\t\t\t\t\t100.00\t90.55")


def export(tmp_path: Path, *sources: Path):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["extract", *map(str, sources), "-o", str(tmp_path / "out"), "--no-progress",
                                       "--xlsx", str(tmp_path / "forms.xlsx"), "--csv", str(tmp_path / "csv")])
    return result


def wrong_total_file(tmp_path: Path) -> Path:
    source = tmp_path / "wrong_total.txt"
    source.write_text(WRONG_TOTAL, encoding="utf-8")
    return source


def test_the_workbook_is_headed_by_the_forms_own_labels_with_the_field_path_in_a_comment(tmp_path):
    result = export(tmp_path, wrong_total_file(tmp_path), SEEDS[1])
    assert "workbook: 4 forms" in result.stderr
    book = load_workbook(tmp_path / "forms.xlsx")
    assert book.sheetnames == ["表单", "绩效指标", "校验问题"]
    forms = book["表单"]
    header = [c.value for c in forms[1]]
    for label in ("项目名称", "主管部门", "年度资金总额 · 年初预算数", "其中：当年财政拨款 · 全年执行数",
                  "上年结转资金 · 执行率", "其他资金 · 得分", "总分 · 得分", "评分等级"):
        assert label in header
    assert forms.cell(1, header.index("总分 · 得分") + 1).comment.text == "total_score"
    assert forms.freeze_panes == "A2" and forms.auto_filter.ref == f"A1:{forms.cell(1, len(header)).column_letter}5"
    assert forms.column_dimensions["A"].width > 20
    assert [c.value for c in book["绩效指标"][1]][4:] == ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值",
                                                      "分值", "得分", "偏差原因分析及改进措施"]
    assert book["绩效指标"].max_row - 1 == 2 + 68


def test_a_flagged_cell_is_filled_and_its_finding_listed_with_expected_and_found(tmp_path):
    source = wrong_total_file(tmp_path)
    export(tmp_path, source, SEEDS[1])
    book = load_workbook(tmp_path / "forms.xlsx")
    forms = book["表单"]
    header = [c.value for c in forms[1]]
    row = next(r for r in forms.iter_rows(min_row=2) if r[0].value == str(source))
    total = row[header.index("总分 · 得分")]
    assert total.value == 90.55 and total.fill.fgColor.rgb.endswith("F4B6B6") and total.comment is not None
    findings = book["校验问题"]
    head = [c.value for c in findings[1]]
    assert head == [c.label for c in FINDING_COLUMNS]
    rows = [dict(zip(head, (c.value for c in r))) for r in findings.iter_rows(min_row=2)]
    on_total = [r for r in rows if r["字段路径"] == "total_score"]
    assert on_total and on_total[0]["来源文件"] == str(source) and on_total[0]["字段"] == "总分 · 得分"
    assert on_total[0]["实为"] is not None and on_total[0]["应为"] is not None


def test_rows_come_in_input_order_past_failures_and_copies(tmp_path):
    empty, copy = tmp_path / "empty.txt", tmp_path / "copy.txt"
    empty.write_bytes(b"")
    copy.write_bytes(SEEDS[3].read_bytes())
    result = CliRunner().invoke(main, ["extract", str(SEEDS[3]), str(empty), str(SEEDS[0]), str(copy), str(SEEDS[2]),
                                       "-o", str(tmp_path / "out"), "--no-progress", "--workers", "2",
                                       "--xlsx", str(tmp_path / "forms.xlsx")])
    assert result.exit_code == 1          # the empty file
    forms = load_workbook(tmp_path / "forms.xlsx")["表单"]
    order = [r[0].value for r in forms.iter_rows(min_row=2)]
    assert list(dict.fromkeys(order)) == [str(SEEDS[3]), str(SEEDS[0]), str(SEEDS[2])]
    assert len(order) == len((tmp_path / "out" / "forms.jsonl").read_text(encoding="utf-8").splitlines())


def test_the_csv_files_open_with_the_csv_module_with_the_workbooks_columns(tmp_path):
    export(tmp_path, wrong_total_file(tmp_path), SEEDS[1])
    raw = (tmp_path / "csv" / "forms.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                      # the BOM Excel needs to read UTF-8
    with open(tmp_path / "csv" / "forms.csv", encoding="utf-8-sig", newline="") as handle:
        forms = list(csv.DictReader(handle))
    assert list(forms[0]) == [c.label for c in FORM_COLUMNS]
    assert len(forms) == 4
    test_form = next(f for f in forms if f["项目名称"] == "测试项目")
    assert test_form["总分 · 得分"] == "90.55" and test_form["校验状态"] == "invalid"
    assert test_form["年度资金总额 · 全年执行数"] == "2042.66"
    with open(tmp_path / "csv" / "indicators.csv", encoding="utf-8-sig", newline="") as handle:
        indicators = list(csv.reader(handle))
    assert indicators[0] == [c.label for c in INDICATOR_COLUMNS] and len(indicators) - 1 == 2 + 68
    with open(tmp_path / "csv" / "findings.csv", encoding="utf-8-sig", newline="") as handle:
        assert any(r["字段路径"] == "total_score" for r in csv.DictReader(handle))


def test_text_with_markup_and_control_characters_survives_the_workbook(tmp_path):
    from extractor.export_tables import form_rows
    from extractor.export_xlsx import write_workbook

    form = {"form_type": "self_evaluation", "project_name": "A&B <项目> \"甲\"\x01乙", "indicators": [], "total_score": 7}
    write_workbook([form_rows("x.txt", 0, form)], tmp_path / "book.xlsx")
    sheet = load_workbook(tmp_path / "book.xlsx")["表单"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("项目名称") + 1).value == "A&B <项目> \"甲\"乙"
    assert sheet.cell(2, header.index("总分 · 得分") + 1).value == 7


AWKWARD = {"form_type": "self_evaluation", "year": 2024, "total_score": float("nan"), "total_weight": float("inf"),
           "grade": True, "project_name": " 有空格的名称 ", "competent_department": "A&B <部门> ]]> 甲",
           "implementing_unit": "控制\x01字符", "goal_expected": "多行\n目标", "funds": {"total": {"initial_budget": 100, "executed": 99.5}},
           "indicators": [{"level1": "产出指标", "name": "<5%的比例", "target": "≥90%", "weight": 10.0, "score": None},
                          {"level1": "产出指标", "name": "普通", "target": ">3", "weight": 5, "score": 4.5}]}


def test_every_kind_of_value_reads_back_from_the_workbook_as_it_was(tmp_path):
    """Rows go through templates (plain or escaped in one pass) or cell by cell (control characters,
    spaces at either end, numbers with no number form): each reads back the same."""
    from extractor.export_tables import form_rows
    from extractor.export_xlsx import write_workbook

    plain = {**AWKWARD, "project_name": "名称", "competent_department": "部门", "implementing_unit": "单位",
             "total_score": 90.5, "total_weight": 100, "grade": "优"}
    escaped = {**plain, "competent_department": AWKWARD["competent_department"]}
    no_number = {**escaped, "total_score": float("-inf")}
    forms = [form_rows(name, 0, form) for name, form in
             (("a.txt", AWKWARD), ("b.txt", plain), ("c.txt", escaped), ("d.txt", no_number))]
    write_workbook(forms, tmp_path / "book.xlsx")
    book = load_workbook(tmp_path / "book.xlsx")
    sheet = book["表单"]
    header = [c.value for c in sheet[1]]
    got = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    assert got[0]["项目名称"] == " 有空格的名称 " and got[0]["主管部门"] == "A&B <部门> ]]> 甲"
    assert got[0]["实施单位"] == "控制字符" and got[0]["评分等级"] is True
    assert got[0]["总分 · 得分"] == "nan" and got[0]["总分 · 分值"] == "inf"       # kept as text, not lost
    assert got[0]["年度资金总额 · 年初预算数"] == 100 and got[0]["年度资金总额 · 全年执行数"] == 99.5
    assert got[1]["项目名称"] == "名称" and got[1]["总分 · 得分"] == 90.5 and got[1]["总分 · 分值"] == 100
    assert got[2]["主管部门"] == "A&B <部门> ]]> 甲" and got[2]["评分等级"] == "优"
    assert got[3]["总分 · 得分"] == "-inf" and got[3]["主管部门"] == "A&B <部门> ]]> 甲"
    assert [r["来源文件"] for r in got] == ["a.txt", "b.txt", "c.txt", "d.txt"]
    indicators = [[c.value for c in row] for row in book["绩效指标"].iter_rows(min_row=2)]
    assert [row[:4] for row in indicators] == [["a.txt", 0, " 有空格的名称 ", 1], ["a.txt", 0, " 有空格的名称 ", 2],
                                               ["b.txt", 0, "名称", 1], ["b.txt", 0, "名称", 2],
                                               ["c.txt", 0, "名称", 1], ["c.txt", 0, "名称", 2],
                                               ["d.txt", 0, "名称", 1], ["d.txt", 0, "名称", 2]]
    assert all(row[6:11] == ["<5%的比例", "≥90%", None, 10, None] for row in indicators[::2])
    assert all(row[6:11] == ["普通", ">3", None, 5, 4.5] for row in indicators[1::2])


def test_the_form_row_holds_each_columns_field_for_both_form_types():
    """The one walk of a form reads what each column's path names (a fund row that is a dict in the
    other form type reads as empty)."""
    from eval.dataset import load_cases
    from extractor.export_tables import FORM_COLUMNS, META_COLUMNS, form_rows, get_path

    forms = [form for case in load_cases() for form in case.gold]
    assert {form["form_type"] for form in forms} == {"self_evaluation", "target_declaration"}
    for form in forms:
        row = form_rows("x.txt", 0, form).form
        assert row[len(META_COLUMNS):] == [get_path(form, c.path) for c in FORM_COLUMNS[len(META_COLUMNS):]]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed: make office")
def test_libreoffice_reads_the_workbook(tmp_path):
    export(tmp_path, wrong_total_file(tmp_path), SEEDS[1])
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path / "lo"), str(tmp_path / "forms.xlsx")],
                   capture_output=True, timeout=120, check=True)
    with open(tmp_path / "lo" / "forms.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [c.label for c in FORM_COLUMNS] and len(rows) == 1 + 4
    by_name = {row[FORM_COLUMNS.index(next(c for c in FORM_COLUMNS if c.path == "project_name"))]: row for row in rows[1:]}
    assert by_name["测试项目"][[c.path for c in FORM_COLUMNS].index("total_score")] == "90.55"


def test_cells_with_findings_are_filled_and_commented_empty_or_not(tmp_path):
    from extractor.export_tables import form_rows
    from extractor.export_xlsx import write_workbook

    findings = [{"path": "indicators[1].score", "severity": "warning", "code": "score_out_of_range", "message": "4.5 > 4"},
                {"path": "indicators[0].score", "severity": "error", "code": "missing", "message": "no score"},
                {"path": "total_score", "severity": "warning", "code": "total_score_mismatch", "message": "≠ 14.5"}]
    form = {**AWKWARD, "project_name": "名称", "competent_department": "部门", "implementing_unit": "单位",
            "total_score": 90.5, "validation": {"status": "needs_review", "findings": findings}}
    write_workbook([form_rows("a.txt", 0, form)], tmp_path / "book.xlsx")
    book = load_workbook(tmp_path / "book.xlsx")
    indicators = book["绩效指标"]
    score = [c.value for c in indicators[1]].index("得分") + 1
    filled, empty = indicators.cell(3, score), indicators.cell(2, score)
    assert filled.value == 4.5 and filled.fill.fgColor.rgb.endswith("FBE3A6") and "score_out_of_range" in filled.comment.text
    assert empty.value is None and empty.fill.fgColor.rgb.endswith("F4B6B6") and "missing" in empty.comment.text
    forms = book["表单"]
    total = forms.cell(2, [c.value for c in forms[1]].index("总分 · 得分") + 1)
    assert total.value == 90.5 and total.fill.fgColor.rgb.endswith("FBE3A6") and "≠ 14.5" in total.comment.text
    assert [r[6].value for r in book["校验问题"].iter_rows(min_row=2)] == ["score_out_of_range", "missing", "total_score_mismatch"]


def test_csv_lines_are_the_csv_modules_whatever_the_values():
    """Rows go through per-shape templates, their strings quoted where they hold , or " (with a line
    break, the csv module itself): they must read as the csv module writes them."""
    import io

    from extractor.export_csv import render
    from extractor.export_tables import form_rows

    broken = {**AWKWARD, "implementing_unit": 'a, "b"\r\nc', "project_name": "名称"}
    quoted = {**AWKWARD, "implementing_unit": 'a, "b" c', "project_name": "名称,甲", "grade": '"优"', "goal_expected": "x"}
    plain = {**AWKWARD, "implementing_unit": "单位", "project_name": "名称", "grade": "优", "total_score": 1e-07}
    forms = [form_rows(name, i, form) for i, (name, form) in
             enumerate((("a.txt", AWKWARD), ("b.txt", broken), ("c.txt", quoted), ("d,e.txt", plain)))]
    expected = []
    for table in ([f.form for f in forms], [r for f in forms for r in f.indicators]):
        text = io.StringIO()
        csv.writer(text).writerows(table)
        expected.append(text.getvalue().encode())
    part = render(forms)
    assert [part.forms, part.indicators] == expected and part.count == 4


def test_a_styled_row_with_an_empty_marked_cell_is_the_cell_by_cell_row():
    """A marked cell with no value is put into the template's row before its right neighbour: the
    row must be the one the cell-by-cell writer makes, whatever the values around it."""
    import random

    from extractor.xlsx_stream import RowFormat, Styled, text_kind

    rng = random.Random(7)
    sheet = RowFormat(8)
    texts = ["名称", 'x"y', "a>b", "a<b", "A&B", " edge", "e]]>", "1,2", "多行\n目标"]
    compared = 0
    for _ in range(600):
        values = [rng.choice([None, None, 1, 2.5, float("nan"), True, rng.choice(texts)]) for _ in range(8)]
        marked = rng.sample(range(8), rng.randint(1, 3))
        if all(values[col] is not None for col in marked):
            continue
        styles = {col: (rng.choice(["error", "warning"]), "why") for col in marked}
        kind = text_kind([v for v in values if type(v) is str])
        expected = sheet.row([Styled(v, *styles[i]) if i in styles else v for i, v in enumerate(values)])[0]
        assert sheet.styled(values, styles, kind) == expected
        compared += 1
    assert compared > 200


def test_the_workbook_is_the_same_whichever_deflate_writes_it(tmp_path, monkeypatch):
    """ISA-L's deflate where it is installed, zlib where not: the parts unzip to the same bytes."""
    import zipfile

    from extractor import xlsx_stream
    from extractor.export_tables import form_rows
    from extractor.export_xlsx import write_workbook

    forms = [form_rows(f"{name}.txt", 0, form) for name, form in (("a", AWKWARD), ("b", {**AWKWARD, "grade": "优"}))]
    write_workbook(forms, tmp_path / "default.xlsx")
    monkeypatch.setattr(xlsx_stream, "_isal", None)
    write_workbook(forms, tmp_path / "zlib.xlsx")
    with zipfile.ZipFile(tmp_path / "default.xlsx") as one, zipfile.ZipFile(tmp_path / "zlib.xlsx") as other:
        assert one.testzip() is None and other.testzip() is None
        assert one.namelist() == other.namelist()
        assert all(one.read(name) == other.read(name) for name in one.namelist())
    assert load_workbook(tmp_path / "default.xlsx")["表单"].max_row == 3
