"""OCR character confusions: corrected only where the form makes the correction unique, each one
an ``ocr_corrected`` finding that keeps the text as OCR read it.

The page images here are blank: the OCR engine is replaced at its boundary
(``extractor.ingest.ocr.ocr_page_cells``) by what RapidOCR read off real scans, confusions
included, so the tests say exactly which characters came in.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from eval.dataset import DATA_DIR
from eval.render import render_text_pdf
from extractor.ingest import ingest_bytes, layouts
from extractor.ingest.confusions import correct_ocr_text, restore
from extractor.ingest.table import Cell
from extractor.pipeline import extract_bytes
from extractor.revalidate import revalidate_ingested
from extractor.settings import Settings
from tests.conftest import rows

READ = rows(                                    # as OCR read the page
    "财政项目支出绩效自评表",
    "(2024年度)",
    "项目名称||态愿服务中心建设",                  # a project name: never corrected
    "主管部门||某区财政局||实施单位||某区某中心",
    "项目资金 (万元)||年初预算数|全年预算数|全年执行数|分数|执行率(%)|得分",
    "|年度资金总额:|100.00|2,138.12|2,042.66|10.00|95.53|9.55",
    "|其中: 当年财政拔款|100.00|2,138.12|2,042.66|-|95.53|-",    # 拔 for 拨
    "|上年结转资金|0.00|0.00|0.00|-|0.00|-",
    "|其他资金|0.00|0.00|0.00|-|0.00|-",
    "年度总体目标|预期目标|||实际完成情况",
    "|完成年度工作。|||已完成年度工作。",
    "一级指标|二级指标|三级指标|年度指标值|实际完成值|分值|得分|偏差原因分析及改进措施",
    "产出指标|数量指标|培训人数|≥80.00(人)|80.00(人)|35.00|35.00|",
    "|时效指标|活动响应时间|≤3:00(天)|2.00(天)|10.00|10.00|",          # 3:00 for 3.00
    "满意度指标|服务对象满意度指标|态愿者满意度|≥90.00(%)|88.00(%)|45.00|4000|",  # 态 for 志, 40.00 without its point
    "总分|||||100.00|94.55|",
    "评分等级|优",
)


def page_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def ocr_reads(monkeypatch):
    """Make the OCR engine read ``text`` (tab-separated rows) off any page image."""
    from extractor.ingest import ocr

    def reads(text: str) -> None:
        cells = [[Cell(part, (0.1, 0.1, 0.2, 0.2) if part else None) for part in row.split("\t")]
                 for row in text.split("\n")]
        monkeypatch.setattr(ocr, "ocr_page_cells", lambda image: cells)
    return reads


@pytest.fixture
def scanned(ocr_reads):
    ocr_reads(READ)
    return extract_bytes(page_png(), source="scan.png")


def findings(result, code="ocr_corrected"):
    return [f for form in result.forms for f in form.validation.findings if f.code == code]


def test_a_label_and_a_phrase_read_with_a_confusion_are_corrected_and_reported(scanned):
    form = scanned.forms[0].form
    assert form.indicators[2].name == "志愿者满意度"
    by_found = {f.found: f for f in findings(scanned)}
    phrase = by_found["态"]
    assert (phrase.expected, phrase.severity, phrase.path) == ("志", "info", "indicators[2].name")
    assert scanned.text[slice(*phrase.source_span)] == "志"
    label = by_found["拔"]
    assert (label.expected, label.severity, label.path) == ("拨", "info", "")     # a label: no field of its own
    assert "当年财政拨款" in scanned.text


def test_a_number_read_with_a_colon_is_corrected_and_the_form_waits_for_a_person(scanned):
    form = scanned.forms[0].form
    assert form.indicators[1].target == "≤3.00(天)"
    (colon,) = [f for f in findings(scanned) if f.found == ":"]
    assert (colon.expected, colon.severity, colon.path) == (".", "warning", "indicators[1].target")
    assert scanned.forms[0].validation.status == "needs_review"


def test_a_dropped_decimal_point_is_put_back_where_the_rows_arithmetic_fails_without_it(scanned):
    form = scanned.forms[0].form
    assert form.indicators[2].score == 40                         # 4000 > 分值 45.00; 40.00 ≤ 45.00
    assert scanned.forms[0].validation.errors() == []              # and 总分 94.55 adds up with it
    (point,) = [f for f in findings(scanned) if f.found == "4000"]
    assert (point.expected, point.severity) == ("40.00", "warning")
    assert "arithmetic" in point.message


def test_the_text_as_read_stays_recoverable(scanned):
    made = scanned.to_json()["input"]["ocr_corrections"]
    assert {(c["original"], c["corrected"]) for c in made} == {("拔", "拨"), (":", "."), ("态", "志"), ("4000", "40.00")}
    assert restore(scanned.text, scanned.corrections) == READ
    starts = {start: (start, end) for start, end, _, _ in scanned.boxes}
    (point,) = [c for c in scanned.corrections if c.original == "4000"]
    assert scanned.text[slice(*starts[point.start])] == "40.00"   # the cell's box moved with the longer text


def test_a_project_name_is_never_corrected(scanned):
    assert scanned.forms[0].form.project_name == "态愿服务中心建设"


def test_what_could_be_read_two_ways_is_left_as_read(ocr_reads):
    read = READ.replace("|时效指标|活动响应时间|≤3:00(天)|2.00(天)|10.00|10.00|".replace("|", "\t"),
                        "|时效指标|活动响应时间|≤3.00(天)|2.00(天)|10.00|10.00|".replace("|", "\t"))
    read += "\n" + rows("开馆时间|8:30", "|52272.73(元|/年/居民区)")
    text, made = correct_ocr_text(read)
    assert "8:30" in text                   # a time of day, or 8.30: nothing in its row says which
    assert "52272.73(元\t" in text          # a unit wrapped onto the next line, not one the row prints whole
    assert all(c.original not in ("8:30", "52272.73(元") for c in made)


def test_the_same_text_given_as_a_text_file_is_not_corrected():
    result = extract_bytes(READ.encode("utf-8"), source="scan.txt")
    assert result.corrections == [] and findings(result) == []
    form = result.forms[0].form
    assert (form.indicators[1].target, form.indicators[2].name) == ("≤3:00(天)", "态愿者满意度")


def test_a_text_layer_pdf_is_not_corrected():
    ingested = ingest_bytes(render_text_pdf(READ), source="printed.pdf")
    assert [p["method"] for p in ingested.pages] == ["text_layer"]
    assert ingested.corrections == [] and "态愿者满意度" in ingested.text


def test_corrections_can_be_turned_off(ocr_reads):
    ocr_reads(READ)
    result = extract_bytes(page_png(), source="scan.png", settings=Settings(ocr_corrections=False))
    assert result.corrections == [] and result.forms[0].form.indicators[2].name == "态愿者满意度"


def test_formex_validate_reports_the_corrections_of_a_scan_again(scanned, ocr_reads):
    ocr_reads(READ)
    again = revalidate_ingested(scanned.to_json(), ingest_bytes(page_png(), source="scan.png"))
    (_, status, found), = again.statuses
    assert status == "needs_review"
    assert sorted(f["found"] for f in found if f["code"] == "ocr_corrected") == sorted(["拔", ":", "态", "4000"])


@pytest.mark.parametrize("seed", sorted((DATA_DIR / "seeds").glob("*.txt")) + sorted((DATA_DIR / "real" / "seeds").glob("*.txt")),
                         ids=lambda p: p.stem)
def test_ocr_text_read_without_confusions_gets_no_correction(seed):
    text = layouts.rebuild(seed.read_text(encoding="utf-8")).text
    assert correct_ocr_text(text) == (text, [])
