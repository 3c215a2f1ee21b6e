"""Every format an archive holds: workbooks, Word files, web pages, pipe tables, one cell per line,
flattened text. Each is read into the same rows the parser reads, and says which layout it came in."""

from __future__ import annotations

import io
from decimal import Decimal
import json
import shutil
import zipfile

import pytest
from click.testing import CliRunner

from eval.compare import compare_document
from eval.evaluators import prf
from eval.render_formats import FORMATS, render
from extractor.cli import main
from extractor.errors import CorruptInput, EncryptedInput, MissingTool, NoFormsFound, UnsafeInput
from extractor.ingest import ingest_bytes, sniff
from extractor.ingest.html import read_html
from extractor.ingest.layouts import detect, rebuild
from extractor.ingest.xlsx import display
from extractor.pipeline import extract_bytes
from tests.conftest import SELF_EVALUATION

TARGET = {"flat": 0.95, "glued": 0.25}     # glued: a regression floor at what it reads today (0.2532), not a goal


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_of_the_visible_set_reads_as_its_gold(cases, fmt):
    """The done-when targets: xlsx, docx, html, pipes, cells >= 0.99 field F1; flattened >= 0.95."""
    fields = []
    for case in cases:
        data = render(case.text_path.read_text(encoding="utf-8"), fmt)
        result = extract_bytes(data, source=f"{case.name}.{fmt}")
        assert len(result.forms) == len(case.gold)
        assert result.to_json()["input"]["layout"] == {"xlsx": "table", "docx": "table", "html": "table"}.get(fmt, fmt)
        fields += compare_document(case.name, case.gold, [f.form.model_dump(mode="json") for f in result.forms])
    assert prf(fields).f1 >= TARGET.get(fmt, 0.99)


def test_the_kind_is_told_by_content_not_by_name():
    xlsx = render(SELF_EVALUATION, "xlsx")
    assert sniff(xlsx) == "zip" and ingest_bytes(xlsx, source="named.txt").kind == "xlsx"
    assert ingest_bytes(render(SELF_EVALUATION, "docx"), source="named.xlsx").kind == "docx"
    assert ingest_bytes(render(SELF_EVALUATION, "html"), source="page").kind == "html"


@pytest.mark.parametrize(("value", "number_format", "shown"), [
    (6881.38, "#,##0.00", "6,881.38"),
    (0.9553, "0.00%", "95.53%"),
    (100, "0.00", "100.00"),
    (-1234.5, "#,##0.00;[Red]-#,##0.00", "-1,234.50"),
    (31.15, "General", "31.15"),
    (10.0, "General", "10"),
    (5, '0"个"', "5个"),
    (6881.38, '_ * #,##0.00_ ;_ * -#,##0.00_ ;_ * "-"??_ ;_ @_ ', "6,881.38"),     # 会计专用
    (0, '_ * #,##0.00_ ;_ * -#,##0.00_ ;_ * "-"??_ ;_ @_ ', "-"),
    (-12.5, "0.00_);(0.00)", "(12.50)"),
])
def test_numbers_read_as_the_sheet_displays_them(value, number_format, shown):
    assert display(value, number_format) == shown


def test_a_workbook_skips_hidden_rows_columns_and_sheets_without_a_form():
    import openpyxl

    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "说明"
    notes["A1"] = "填表说明：金额单位为万元"
    form = book.create_sheet("自评表")
    for r, line in enumerate(SELF_EVALUATION.split("\n"), start=1):
        for c, value in enumerate(line.split("\t"), start=1):
            if value:
                form.cell(row=r, column=c, value=value)
    form.cell(row=1, column=12, value="草稿")
    form.column_dimensions["L"].hidden = True
    form.cell(row=len(SELF_EVALUATION.split("\n")) + 1, column=1, value="隐藏的旧数据")
    form.row_dimensions[len(SELF_EVALUATION.split("\n")) + 1].hidden = True
    form.merge_cells("A5:A9")                      # 项目资金 (万元) down the empty cells of its rows
    form.cell(row=1_048_576, column=200).number_format = "0.00"      # styled to the sheet's end: not walked
    buffer = io.BytesIO()
    book.save(buffer)
    text = ingest_bytes(buffer.getvalue(), source="form.xlsx").text
    assert "草稿" not in text and "隐藏的旧数据" not in text and "填表说明" not in text
    assert text.split("\n")[4].startswith("项目资金 (万元)\t\t年初预算数")
    result = extract_bytes(buffer.getvalue(), source="form.xlsx")
    assert result.forms[0].form.funds.total.executed == Decimal("2042.66")


def test_a_word_table_resolves_spans_merges_and_nested_tables():
    import docx

    document = docx.Document()
    document.add_paragraph("财政项目支出绩效自评表")
    table = document.add_table(rows=3, cols=4)
    table.cell(0, 0).text = "项目名称"
    table.cell(0, 1).merge(table.cell(0, 3)).text = "测试项目"          # gridSpan
    table.cell(1, 0).merge(table.cell(2, 0)).text = "产出指标"          # vMerge
    table.cell(1, 1).text = "数量指标"
    table.cell(2, 1).text = "质量指标"
    inner = table.cell(2, 3).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "内表"
    inner.cell(0, 1).text = "1.00"
    document.add_paragraph("备注")
    buffer = io.BytesIO()
    document.save(buffer)
    lines = ingest_bytes(buffer.getvalue(), source="a.docx").text.split("\n")
    assert lines == ["财政项目支出绩效自评表", "项目名称\t测试项目", "产出指标\t数量指标", "\t质量指标", "内表\t1.00", "备注"]


def test_a_web_page_resolves_rowspan_colspan_br_and_entities_and_leaves_out_its_footer():
    page = ("<html><head><meta charset='gb2312'><style>td{}</style></head><body><nav><a>首页</a> &gt; <a>公开</a></nav>"
            "<h2>财政项目支出绩效自评表</h2><table><tr><td rowspan='2'>产出指标</td><td colspan='2'>数量<br>指标</td></tr>"
            "<tr><td>A&amp;B</td><td>&ge;80%</td></tr></table><script>var x='<td>9</td>';</script>"
            "<div class='footer'>主办单位：某区政府 备案号：00000000</div></body></html>")
    text, had_tables = read_html(page.encode("gb18030"), source="a.html")
    assert had_tables
    assert text.split("\n") == ["首页 > 公开", "财政项目支出绩效自评表", "产出指标\t数量 指标", "\tA&B\t≥80%"]


def test_a_web_copy_without_a_table_is_rebuilt_from_its_text():
    cells = "".join(f"<p>{c}</p>" for line in SELF_EVALUATION.split("\n") for c in line.split("\t") if c)
    result = extract_bytes(f"<html><body><div>首页 &gt; 公开</div>{cells}</body></html>".encode(), source="copy.html")
    assert (result.input_kind, result.layout) == ("html", "cells")
    assert result.forms[0].form.project_name == "测试项目" and len(result.forms[0].form.indicators) == 2


def test_a_saved_web_archive_is_read_through_its_page():
    import quopri

    page = render(SELF_EVALUATION, "html").decode("utf-8").replace('charset="utf-8"', 'charset="gb2312"').encode("gb18030")
    mht = ("From: <Saved by Windows Internet Explorer 8>\nMIME-Version: 1.0\n"
           'Content-Type: multipart/related; type="text/html"; boundary="----=_NextPart_000"\n\n'
           '------=_NextPart_000\nContent-Type: text/html; charset="gb2312"\nContent-Transfer-Encoding: quoted-printable\n\n'
           + quopri.encodestring(page).decode("ascii") + "\n------=_NextPart_000--\n")
    result = extract_bytes(mht.encode("ascii"), source="page.mht")
    assert (result.input_kind, result.layout) == ("html", "table")
    assert result.forms[0].form.project_name == "测试项目"


def test_text_layouts_are_detected_and_rebuilt_into_rows():
    assert detect(SELF_EVALUATION) == "tsv"
    pipes = "\n".join("| " + " | ".join(line.split("\t")) + " |" for line in SELF_EVALUATION.split("\n"))
    assert rebuild(pipes).text.split("\n")[2] == "项目名称\t\t测试项目"
    cells = "\n".join(c for line in SELF_EVALUATION.split("\n") for c in line.split("\t") if c)
    rows = rebuild(cells)
    assert rows.layout == "cells"
    assert "\t年度资金总额:\t100.00".lstrip("\t") in rows.text.split("\n")[5]
    flat = " ".join(c for line in SELF_EVALUATION.split("\n") for c in line.split("\t") if c)
    assert rebuild(flat).layout == "flat"
    assert rebuild("会议纪要\n今天开会").layout == "text"


def test_rows_with_cells_apart_by_runs_of_spaces_are_read(cases):
    import re

    case = cases[1]
    spaced = "\n".join(re.sub(r"\t+", "   ", line.strip("\t")) for line in case.text_path.read_text(encoding="utf-8").split("\n"))
    result = extract_bytes(spaced.encode("utf-8"), source="layout.txt")
    assert result.layout == "spaced"
    assert prf(compare_document(case.name, case.gold, [f.form.model_dump(mode="json") for f in result.forms])).f1 >= 0.99


def test_a_cell_per_line_copy_keeping_cell_borders_is_read():
    cells = "\n".join(f"{c} |" for line in SELF_EVALUATION.split("\n") for c in line.split("\t") if c)
    result = extract_bytes(cells.encode("utf-8"), source="copy.txt")
    assert result.layout == "cells"
    assert result.forms[0].form.project_name == "测试项目"


def test_bad_inputs_each_get_one_line_and_the_batch_goes_on(tmp_path):
    import msoffcrypto.format.ooxml

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.xlsx").write_bytes(render(SELF_EVALUATION, "xlsx"))
    good_docx = render(SELF_EVALUATION, "docx")
    (folder / "corrupt.xlsx").write_bytes(render(SELF_EVALUATION, "xlsx")[:3000])
    (folder / "corrupt.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    encrypted = io.BytesIO()
    office = msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(render(SELF_EVALUATION, "xlsx")))
    office.encrypt("secret", encrypted)
    (folder / "locked.xlsx").write_bytes(encrypted.getvalue())
    (folder / "bomb.docx").write_bytes(_with_bomb(good_docx))
    (folder / "nav.html").write_bytes("<html><body><nav>首页</nav><table><tr><td>天气</td></tr></table></body></html>".encode())
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["extract", str(folder), "-o", str(out), "--no-progress"])
    assert result.exit_code == 1
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    codes = {e["source"].split("/")[-1]: e["code"] for e in errors}
    assert codes == {"corrupt.xlsx": "corrupt_input", "corrupt.docx": "corrupt_input", "locked.xlsx": "encrypted_input",
                     "bomb.docx": "unsafe_input", "nav.html": "no_forms_found"}
    assert all("\n" not in e["message"] and "Traceback" not in e["message"] for e in errors)
    assert json.loads((out / "good.json").read_text(encoding="utf-8"))["forms"][0]["project_name"] == "测试项目"


def _with_bomb(docx: bytes) -> bytes:
    """The same .docx with a 64 MiB member of one repeated byte (compresses about 1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("word/media/bomb.bin", b"\x00" * (64 << 20))
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    with pytest.raises(UnsafeInput, match="zip bomb"):
        ingest_bytes(_with_bomb(render(SELF_EVALUATION, "docx")), source="bomb.docx")


def test_broken_and_form_less_documents_raise_one_line_errors():
    with pytest.raises(CorruptInput):
        ingest_bytes(render(SELF_EVALUATION, "docx")[:2000], source="cut.docx")
    with pytest.raises(EncryptedInput):
        ingest_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + "EncryptedPackage".encode("utf-16-le") + b"\x00\x00",
                     source="locked.docx")
    with pytest.raises(NoFormsFound):
        extract_bytes(b"<html><body><p>\xe9\xa6\x96\xe9\xa1\xb5</p></body></html>", source="page.html")


def test_legacy_office_files_without_libreoffice_name_the_missing_tool(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    legacy_doc = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + "WordDocument".encode("utf-16-le") + b"\x00\x00"
    with pytest.raises(MissingTool, match="LibreOffice"):
        ingest_bytes(legacy_doc, source="old.doc")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed: make office")
def test_a_legacy_word_file_is_read_through_libreoffice(tmp_path):
    import subprocess

    # the .doc is written from the web page: LibreOffice 7.4 drops some tables saving a .docx as .doc
    (tmp_path / "form.html").write_bytes(render(SELF_EVALUATION, "html"))
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--infilter=HTML (StarWriter)", "--convert-to", "doc:MS Word 97", "--outdir", str(tmp_path),
                    str(tmp_path / "form.html")], capture_output=True, timeout=120, check=True)
    result = extract_bytes((tmp_path / "form.doc").read_bytes(), source="form.doc")
    assert result.input_kind == "doc"
    assert result.forms[0].form.project_name == "测试项目"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed: make office")
def test_an_xls_workbook_is_read_by_xlrd_with_merges_and_formats(tmp_path):
    import subprocess

    (tmp_path / "form.xlsx").write_bytes(render(SELF_EVALUATION, "xlsx"))
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to", "xls",
                    "--outdir", str(tmp_path), str(tmp_path / "form.xlsx")], capture_output=True, timeout=120, check=True)
    xls = (tmp_path / "form.xls").read_bytes()
    assert ingest_bytes(xls, source="form.xls").text == ingest_bytes(render(SELF_EVALUATION, "xlsx"), source="form.xlsx").text
    result = extract_bytes(xls, source="form.xls")
    assert result.input_kind == "xls" and result.forms[0].form.funds.total.executed == Decimal("2042.66")


def test_workbooks_and_web_pages_are_read_over_http(tmp_path):
    from tests.service_helpers import Server

    server = Server(tmp_path).start()
    try:
        with server.client() as client:
            page = client.post("/v1/extractions", files={"file": ("form.html", render(SELF_EVALUATION, "html"))})
            assert page.status_code == 200 and page.json()["input"]["kind"] == "html"     # small pages: answered at once
            book = client.post("/v1/extractions?mode=sync", files={"file": ("upload", render(SELF_EVALUATION, "xlsx"))})
            assert book.status_code == 200
            assert book.json()["input"] == {"kind": "xlsx", "layout": "table", "pages": []}
            assert book.json()["forms"][0]["project_name"] == "测试项目"
    finally:
        server.stop()
