"""PDFs and images into the row text the parser reads, with fixtures rendered on the fly."""

from __future__ import annotations

import socket

import pymupdf
import pytest

from eval.compare import compare_document
from eval.dataset import load_cases
from eval.evaluators import FieldF1
from eval.render import ScanStyle, render_scan_image, render_scan_pdf, render_text_pdf
from extractor.errors import CorruptInput, EncryptedInput, InputTooLarge
from extractor.ingest import fold, ingest_bytes, sniff
from extractor.ingest.table import Band, Glyph, rows_text
from extractor.layout import split_lines
from extractor.pipeline import extract_bytes
from extractor.segment import split_forms
from extractor.settings import Settings
from tests.conftest import SELF_EVALUATION


def case(prefix: str):
    (found,) = [c for c in load_cases() if c.name.startswith(prefix)]
    return found


def f1(gold, result) -> float:
    predicted = [f.form.model_dump(mode="json") for f in result.forms]
    return FieldF1().evaluate(compare_document("doc", gold, predicted))["f1"]


def smallest_form(prefix: str) -> tuple[str, dict]:
    """The shortest form of a seed document, as its own text, with its gold label."""
    c = case(prefix)
    text = c.text_path.read_text(encoding="utf-8")
    blocks = split_forms(split_lines(text))
    index = min(range(len(blocks)), key=lambda i: sum(len(line.raw) for line in blocks[i].lines))
    return "\n".join(line.raw for line in blocks[index].lines), c.gold[index]


def test_glyphs_go_to_the_cell_holding_their_centre_and_wrapped_cells_stay_whole():
    band = Band(100, 140, (0, 50, 150, 200))
    glyphs = [Glyph(10, 105, 18, 113, "名"), Glyph(18, 105, 26, 113, "称"),
              Glyph(60, 105, 68, 113, "长"), Glyph(68, 105, 76, 113, "文"),      # a cell wrapped
              Glyph(60, 120, 68, 128, "本"),                                     # over two lines
              Glyph(160, 110, 170, 118, "9"), Glyph(90, 20, 98, 28, "题")]       # a title above
    assert rows_text(glyphs, [band]) == ["题", "名称\t长文本\t9"]


def test_inputs_are_told_apart_by_their_first_bytes():
    assert sniff(b"%PDF-1.7\n...") == "pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "image"
    assert sniff(b"\xff\xd8\xff\xe0....") == "image"
    assert sniff("项目名称\t测试".encode()) == "text"


def test_look_alike_code_points_are_folded():
    assert fold("\uf98e度\u2011预算（万元）") == "年度-预算(万元)"      # U+F98E is a compatibility 年


def test_a_text_layer_pdf_reads_as_the_original_text():
    c = case("002")
    result = extract_bytes(render_text_pdf(c.text_path.read_text(encoding="utf-8")), source="002.pdf")
    assert result.input_kind == "pdf"
    assert {p["method"] for p in result.pages} == {"text_layer"}
    assert f1(c.gold, result) == 1.0


def test_a_page_without_a_text_layer_is_ocrd_offline(monkeypatch):
    """OCR must run with no network: a change that makes the engine download models fails here."""
    from extractor.ingest import ocr

    def no_network(*args, **kwargs):
        raise OSError("network access attempted during OCR")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    ocr._engine.cache_clear()                       # load the models again, offline
    text, gold = smallest_form("003")
    result = extract_bytes(render_scan_pdf(text, seed=7), source="scan.pdf")
    assert [p["method"] for p in result.pages] == ["ocr"]
    assert result.pages[0]["engine"].startswith("rapidocr ")
    assert f1([gold], result) >= 0.95


def test_an_image_file_is_ocrd():
    text, gold = smallest_form("003")
    data = render_scan_image(text, seed=3, style=ScanStyle(max_rotation_deg=0.8))
    result = extract_bytes(data, source="scan.jpg")
    assert result.input_kind == "image"
    assert f1([gold], result) >= 0.95


def test_a_corrupt_pdf_is_a_clear_input_error():
    with pytest.raises(CorruptInput, match="not a readable PDF"):
        ingest_bytes(b"%PDF-1.7\nthis is not really a pdf", source="bad.pdf")


def test_an_encrypted_pdf_is_a_clear_input_error(tmp_path):
    document = pymupdf.open(stream=render_text_pdf(SELF_EVALUATION), filetype="pdf")
    path = tmp_path / "locked.pdf"
    document.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    with pytest.raises(EncryptedInput, match="encrypted"):
        ingest_bytes(path.read_bytes(), source="locked.pdf")


def test_a_pdf_over_the_page_limit_is_refused():
    several_pages = render_text_pdf("\n".join([SELF_EVALUATION] * 8))
    with pytest.raises(InputTooLarge, match="pages"):
        extract_bytes(several_pages, source="x.pdf", settings=Settings(max_pages=1))
