"""Hostile and broken input: limits checked before the work, damage said out loud, no orphans."""

from __future__ import annotations

import io
import os
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from eval.dataset import DATA_DIR
from eval.render import render_text_pdf
from extractor.errors import InputTooLarge, UnsafeInput
from extractor.ingest import ingest_bytes
from extractor.ingest.limits import Limits
from extractor.inputs import discover
from extractor.pipeline import extract_bytes
from extractor.settings import Settings
from tests.conftest import SELF_EVALUATION

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((DATA_DIR / "seeds").glob("*.txt"))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares a size its (tiny) data does not hold."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_a_zip_bomb_entry_is_refused_from_its_declared_sizes(tmp_path):
    box = tmp_path / "box.zip"
    with zipfile.ZipFile(box, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"0" * (8 * 1024 * 1024))            # 8 MiB → about 8 KiB
        archive.writestr("form.txt", SEEDS[0].read_bytes())
    items, refused = discover([str(box)], max_bytes=50 * 1024 * 1024)
    assert [i.member for i in items] == ["form.txt"]
    assert len(refused) == 1 and isinstance(refused[0].error, UnsafeInput)
    assert "zip bomb" in refused[0].error.message and "\n" not in refused[0].error.message


def test_an_archive_with_more_entries_than_the_limit_is_refused_whole(tmp_path):
    box = tmp_path / "many.zip"
    with zipfile.ZipFile(box, "w") as archive:
        for i in range(30):
            archive.writestr(f"f{i}.txt", b"x")
    items, refused = discover([str(box)], max_bytes=1024, limits=Limits(max_bytes=1024, max_zip_entries=20))
    assert items == []
    assert [type(r.error) for r in refused] == [InputTooLarge]
    assert "30 entries" in refused[0].error.message


def test_an_image_declaring_huge_dimensions_is_refused_before_decoding():
    with pytest.raises(InputTooLarge, match="pixels"):
        ingest_bytes(png_declaring(40_000, 40_000), source="huge.png")


def test_a_multi_frame_tiff_over_the_page_limit_is_refused_before_any_frame_is_decoded(monkeypatch):
    buffer = io.BytesIO()
    frames = [Image.new("L", (64, 64), 255) for _ in range(5)]
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    decoded = []
    original = Image.Image.convert
    monkeypatch.setattr(Image.Image, "convert", lambda self, *a, **k: decoded.append(1) or original(self, *a, **k))
    with pytest.raises(InputTooLarge, match="5 frames"):
        ingest_bytes(buffer.getvalue(), source="many.tif", limits=Limits(max_pages=3))
    assert decoded == []


def test_a_pdf_page_too_big_to_render_is_refused_before_rendering(monkeypatch):
    document = pymupdf.open()
    document.new_page(width=5000, height=5000)                       # no text layer: would be OCR'd
    rendered = []
    monkeypatch.setattr(pymupdf.Page, "get_pixmap", lambda *a, **k: rendered.append(1))
    with pytest.raises(InputTooLarge, match="page 1 rendered at 200 dpi"):
        extract_bytes(document.tobytes(), source="poster.pdf", settings=Settings())
    assert rendered == []


def test_a_pdf_with_thousands_of_pages_is_refused_before_reading_a_page(monkeypatch):
    document = pymupdf.open()
    for _ in range(1200):
        document.new_page(width=100, height=100)
    monkeypatch.setattr("extractor.ingest.pdf.read_page", lambda *a, **k: pytest.fail("a page was read"))
    started = time.perf_counter()
    with pytest.raises(InputTooLarge, match="1200 pages"):
        extract_bytes(document.tobytes(), source="thick.pdf", settings=Settings())
    assert time.perf_counter() - started < 10


def test_a_truncated_pdf_repaired_by_pymupdf_says_so(caplog):
    whole = render_text_pdf(SELF_EVALUATION)
    intact = extract_bytes(whole, source="whole.pdf").to_json()["input"]
    assert "repaired" not in intact
    damaged = extract_bytes(whole[: int(len(whole) * 0.95)], source="cut.pdf").to_json()
    assert damaged["input"]["repaired"] is True
    assert any("repaired" in w for w in damaged["input"]["warnings"])
    assert any("cut.pdf" in r.getMessage() and "repaired" in r.getMessage() for r in caplog.records)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_batch_workers_die_when_the_batch_is_killed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    texts = [s.read_text(encoding="utf-8") for s in SEEDS]
    for i in range(400):
        (folder / f"doc{i:04d}.txt").write_text(texts[i % 4] + "\n" * (1 + i // 4), encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "extractor", "extract", str(folder), "-o", str(out), "--workers", "2", "--no-progress"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list((out / ".formex" / "done").glob("*.json"))) < 5:
            time.sleep(0.05)
        workers = _children(process.pid)
        assert workers, "the batch should have started worker processes"
        process.send_signal(signal.SIGKILL)                    # the main process only, not its group
        process.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)], "workers outlived their batch"
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass



def _one_character_cells(n: int) -> str:
    return SELF_EVALUATION + "\n" + "\t".join("1" for _ in range(n))


@pytest.mark.parametrize("cells", [24, 120, 2000])
def test_grounding_a_value_not_printed_whole_is_bounded_on_a_line_of_one_character_cells(cells):
    from extractor.validate import SourceText, validate_form
    from extractor.backends.rules import RulesBackend
    from extractor.layout import split_lines
    from extractor.segment import split_forms

    text = _one_character_cells(cells)
    (block,) = split_forms(split_lines(text))
    form = RulesBackend().read(block, text).form.model_copy(update={"project_name": "1" * 10 + "x"})
    started = time.perf_counter()
    validation = validate_form(form, SourceText(text))
    assert time.perf_counter() - started < 5
    assert validation.alignment["project_name"] == "none"


def test_a_value_split_over_cells_is_still_found():
    from extractor.validate.source import SourceText

    source = SourceText("项目\t名称\t甲\t注\n乙\t附\t丙丁\t戊")
    match = source.find_text("甲乙丙丁")
    assert match is not None and match.status == "split" and len(match.spans) == 3


def test_the_split_search_stops_at_its_step_budget_and_says_so(monkeypatch):
    from extractor.validate import source as source_module
    from extractor.validate.source import SourceText

    monkeypatch.setattr(source_module, "SPLIT_SEARCH_STEPS", 3)
    text = "\t".join("ab\tx" for _ in range(200)) + "\tc"
    source = SourceText(text)
    assert source.find_text("ab" * 3 + "c") is None
    assert source.search_cut


def test_an_ungrounded_value_whose_search_was_cut_says_so(monkeypatch):
    from extractor.validate import source as source_module

    monkeypatch.setattr(source_module, "SPLIT_SEARCH_STEPS", 5)
    text = _one_character_cells(300)
    from extractor.backends.rules import RulesBackend
    from extractor.layout import split_lines
    from extractor.segment import split_forms
    from extractor.validate import SourceText, validate_form

    (block,) = split_forms(split_lines(text))
    form = RulesBackend().read(block, text).form.model_copy(update={"total_score": None, "grade": "1" * 10 + "x"})
    (finding,) = [f for f in validate_form(form, SourceText(text)).findings if f.path == "grade" and f.code == "ungrounded"]
    assert "search for it in pieces over cells was cut" in finding.message
