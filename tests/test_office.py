"""Forms as offices print them: merged and wrapped cells, partly ruled tables, seals, page
furniture, one image per page. The LibreOffice cases render one or two pages and skip where
LibreOffice is missing (``make office`` installs it)."""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest

from eval.compare import norm_text
from eval.office import build_workbook, scan_pages, soffice, to_pdf
from eval.render import render_text_pdf
from extractor.ingest import ingest_bytes
from extractor.ingest.pages import strip_furniture
from extractor.ingest.raster import drop_red
from extractor.ingest.table import Glyph, Segment, bands_from_segments, rows_text
from extractor.inputs import discover
from extractor.pipeline import extract_bytes, extract_text
from tests.test_ingest import case, smallest_form

needs_office = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed: make office")


def _text(x: float, y: float, text: str, size: float = 8.0) -> list[Glyph]:
    return [Glyph(x + i * size, y, x + (i + 1) * size, y + size, ch) for i, ch in enumerate(text)]


def test_a_level_label_centred_in_its_merged_cell_belongs_to_the_first_row_of_its_span():
    # three rows; column 0 is merged over all three (no rule under its first two rows)
    horizontal = [Segment(0, 0, 300), Segment(20, 100, 300), Segment(40, 100, 300), Segment(60, 0, 300)]
    vertical = [Segment(0, 0, 60), Segment(100, 0, 60), Segment(200, 0, 60), Segment(300, 0, 60)]
    glyphs = (_text(10, 26, "产出指标") + _text(110, 6, "甲") + _text(110, 26, "乙") + _text(110, 46, "丙")
              + _text(210, 6, "1") + _text(210, 26, "2") + _text(210, 46, "3"))
    rows = rows_text(glyphs, bands_from_segments(horizontal, vertical))
    assert rows == ["产出指标\t甲\t1", "\t乙\t2", "\t丙\t3"]


def test_a_label_wrapped_over_its_merged_rows_stays_one_cell():
    horizontal = [Segment(0, 0, 300), Segment(20, 100, 300), Segment(40, 0, 300)]
    vertical = [Segment(0, 0, 40), Segment(100, 0, 40), Segment(300, 0, 40)]
    glyphs = _text(10, 8, "项目资金") + _text(10, 22, "(万元)") + _text(110, 6, "年初") + _text(110, 26, "0.00")
    assert rows_text(glyphs, bands_from_segments(horizontal, vertical)) == ["项目资金(万元)\t年初", "\t0.00"]


def test_an_unruled_band_takes_its_columns_from_the_glyphs_and_the_page_grid():
    # the first band is ruled into three columns; the second has only its outer rules
    horizontal = [Segment(0, 0, 300), Segment(20, 0, 300), Segment(40, 0, 300)]
    vertical = [Segment(0, 0, 40), Segment(300, 0, 40), Segment(100, 0, 20), Segment(200, 0, 20)]
    glyphs = (_text(10, 6, "名称") + _text(110, 6, "目标") + _text(210, 6, "分值")
              + _text(10, 26, "社工数量") + _text(210, 26, "15.00"))
    assert rows_text(glyphs, bands_from_segments(horizontal, vertical)) == ["名称\t目标\t分值", "社工数量\t\t15.00"]


def test_page_numbers_and_running_headers_are_dropped_but_form_titles_are_not():
    pages = [["2024年度项目支出绩效资料", "财政项目支出绩效自评表", "(2024年度)", "项目名称\t甲", "第1页,共2页"],
             ["2024年度项目支出绩效资料", "一级指标\t二级指标", "财政项目支出绩效自评表", "- 2 -"]]
    assert strip_furniture(pages) == [["财政项目支出绩效自评表", "(2024年度)", "项目名称\t甲"],
                                      ["一级指标\t二级指标", "财政项目支出绩效自评表"]]


def test_a_footer_or_page_break_never_starts_a_form_nor_splits_one():
    c = case("001")
    pdf = pymupdf.open(stream=render_text_pdf(c.text_path.read_text(encoding="utf-8")), filetype="pdf")
    for page in pdf:          # a running header and a footer on every page, as printers add them
        page.insert_text((40, 20), "2024年度项目支出绩效资料", fontname="china-s", fontsize=8)
        page.insert_text((380, page.rect.height - 12), f"第{page.number + 1}页,共{pdf.page_count}页",
                         fontname="china-s", fontsize=8)
    result = extract_bytes(pdf.tobytes(), source="footers.pdf")
    assert len(result.forms) == len(c.gold)
    names = [row["name"] for form in result.forms for row in form.form.model_dump()["indicators"]]
    assert not [n for n in names if "页" in n or "资料" in n]
    assert [f.form.project_name for f in result.forms] == [g["project_name"] for g in c.gold]


def test_a_rate_printed_as_a_percentage_cell_is_the_rate():
    text, gold = smallest_form("003")
    rate = f"{gold['funds']['total']['execution_rate']:.2f}"
    lines = [line.replace(f"\t{rate}\t", f"\t{rate}%\t") if "年度资金总额" in line else line for line in text.splitlines()]
    assert f"{rate}%" in "\n".join(lines)
    form = extract_text("\n".join(lines)).forms[0].form
    assert float(form.funds.total.execution_rate) == gold["funds"]["total"]["execution_rate"]
    assert float(form.funds.total.score) == gold["funds"]["total"]["score"]


def test_red_ink_is_removed_and_black_ink_kept():
    page = np.full((20, 20, 3), 255, np.uint8)
    page[2:6, 2:6] = (210, 30, 40)         # seal red
    page[10:14, 10:14] = (20, 20, 20)      # black text
    gray = drop_red(page)
    assert gray[3, 3] == 255 and gray[11, 11] < 60


def test_page_images_of_one_document_are_grouped_into_one(tmp_path):
    folder = tmp_path / "doc1"
    folder.mkdir()
    for name in ("p01.jpg", "p02.jpg", "p10.jpg"):
        (folder / name).write_bytes(b"\xff\xd8\xff")
    (tmp_path / "other.txt").write_text("x", encoding="utf-8")
    (tmp_path / "scan_1.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    items, refused = discover([str(tmp_path)], max_bytes=1 << 20)
    assert not refused
    grouped = [i for i in items if i.pages]
    assert len(grouped) == 1 and grouped[0].result_name == "doc1"
    assert [p.name for p in grouped[0].pages] == ["p01.jpg", "p02.jpg", "p10.jpg"]
    assert sorted(i.result_name for i in items if not i.pages) == ["other", "scan_1"]


@needs_office
def test_an_office_print_reads_as_the_gold_says():
    c = case("003")
    pdf = to_pdf(build_workbook(c.gold[:2]))
    result = extract_bytes(pdf, source="office.pdf")
    assert [norm_text(f.form.project_name) for f in result.forms] == [norm_text(g["project_name"]) for g in c.gold[:2]]
    first = result.forms[0].form
    assert [row.level1 for row in first.indicators] == [row["level1"] for row in c.gold[0]["indicators"]]
    assert str(first.funds.total.execution_rate).startswith("95.53")


def bigrams(text: str) -> set[str]:
    text = norm_text(text)
    return {text[i:i + 2] for i in range(len(text) - 1)}


@needs_office
def test_a_seal_over_a_value_never_puts_its_characters_into_it(tmp_path):
    c = case("003")
    forms = c.gold[:1]
    pages = scan_pages(to_pdf(build_workbook(forms)), forms, seed=1)
    folder = tmp_path / "doc"
    folder.mkdir()
    for number, jpeg in enumerate(pages, start=1):
        (folder / f"p{number:02d}.jpg").write_bytes(jpeg)
    (item,), _ = discover([str(folder)], max_bytes=1 << 26)
    result = extract_bytes(item.read(1 << 26), source=item.source)
    assert len(result.forms) == 1
    form = result.forms[0]
    unit = form.form.implementing_unit
    seal_text = "财务专用章★" + (forms[0]["competent_department"] or "")[:10]     # what the seal prints
    seal_only = {seal_text[i:i + 2] for i in range(len(seal_text) - 1)} - bigrams(forms[0]["implementing_unit"])
    assert not (bigrams(unit or "") & seal_only)
    if norm_text(unit or "") != norm_text(forms[0]["implementing_unit"]):
        codes = {(f.code, f.path) for f in form.validation.findings}
        assert codes & {("ungrounded", "implementing_unit"), ("missing_value", "implementing_unit")}
    ingested = ingest_bytes(item.read(1 << 26), source=item.source)
    assert "专用章" not in ingested.text


def test_eval_render_office_skips_with_a_reason_where_libreoffice_is_missing(monkeypatch):
    from click.testing import CliRunner

    import eval.office
    from extractor.cli import main

    monkeypatch.setattr(eval.office, "soffice", lambda: None)
    result = CliRunner().invoke(main, ["eval", "--render", "office"])
    assert result.exit_code == 0
    assert "skipped: LibreOffice (soffice) is not installed" in result.output
