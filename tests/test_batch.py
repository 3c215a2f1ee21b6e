"""Batch runs: folders, zips and globs; broken files reported while the rest go on; resumable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from click.testing import CliRunner

from eval.dataset import DATA_DIR
from eval.render import render_text_pdf
from extractor.cli import main
from tests.conftest import SELF_EVALUATION

SEEDS = sorted((DATA_DIR / "seeds").glob("*.txt"))
ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return CliRunner().invoke(main, [*map(str, args), "--no-progress"])


def errors_of(outdir: Path) -> dict[str, str]:
    lines = (outdir / "errors.jsonl").read_text(encoding="utf-8").splitlines()
    return {Path(e["source"].split("!")[-1]).name: e["code"] for e in map(json.loads, lines)}


def archive_with_broken_files(folder: Path) -> Path:
    folder.mkdir()
    for seed in SEEDS:
        (folder / seed.name).write_bytes(seed.read_bytes())
    (folder / "form.pdf").write_bytes(render_text_pdf(SELF_EVALUATION))
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4\n garbage")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "memo.txt").write_text("会议纪要：无表格", encoding="utf-8")
    return folder


def test_a_batch_reports_each_broken_file_and_extracts_every_good_one(tmp_path):
    folder = archive_with_broken_files(tmp_path / "in")
    out = tmp_path / "out"
    result = run("extract", folder, "-o", out, "--workers", "2")
    assert result.exit_code == 1
    assert errors_of(out) == {"corrupt.pdf": "corrupt_input", "empty.txt": "empty_input", "memo.txt": "no_forms_found"}
    assert sorted(p.name for p in out.glob("*.json")) == sorted([*(s.stem + ".json" for s in SEEDS), "form.json"])
    forms = (out / "forms.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(forms) == 31 + 1
    assert "5/8 documents extracted, 32 forms" in result.stderr


def test_oversized_inputs_are_refused_before_reading(tmp_path):
    huge = tmp_path / "huge.txt"
    huge.write_bytes(SEEDS[1].read_bytes() * 4)
    limit = str(SEEDS[1].stat().st_size + 1)
    result = CliRunner(env={"FORMEX_MAX_INPUT_BYTES": limit}).invoke(
        main, ["extract", str(huge), str(SEEDS[1]), "-o", str(tmp_path / "out"), "--no-progress"])
    assert errors_of(tmp_path / "out")["huge.txt"] == "input_too_large"
    assert result.exit_code == 1


def test_a_rerun_skips_what_is_done_and_duplicates_nothing(tmp_path):
    out = tmp_path / "out"
    first = run("extract", *SEEDS, "-o", out)
    second = run("extract", *SEEDS, "-o", out)
    assert first.exit_code == second.exit_code == 0
    assert "4 skipped as already done" in second.stderr
    assert len((out / "forms.jsonl").read_text(encoding="utf-8").splitlines()) == 31


def test_zip_archives_are_read_and_unsafe_entries_refused(tmp_path):
    archive = tmp_path / "box.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(SEEDS[0], f"2024/{SEEDS[0].name}")
        z.writestr("../escape.txt", SEEDS[1].read_text(encoding="utf-8"))
        z.writestr("/abs.txt", SEEDS[1].read_text(encoding="utf-8"))
        link = zipfile.ZipInfo("link.txt")
        link.external_attr = (0o120777 << 16)
        z.writestr(link, "/etc/passwd")
    out = tmp_path / "out"
    result = run("extract", archive, "-o", out)
    assert result.exit_code == 1
    assert (out / "box" / "2024" / f"{SEEDS[0].stem}.json").is_file()
    codes = errors_of(out)
    assert codes == {"escape.txt": "unsafe_input", "abs.txt": "unsafe_input", "link.txt": "unsafe_input"}
    assert not (tmp_path / "escape.txt").exists()


def test_glob_patterns_are_expanded(tmp_path):
    out = tmp_path / "out"
    result = run("extract", str(DATA_DIR / "seeds" / "00[01]*.txt"), "-o", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.json")) == [f"{SEEDS[0].stem}.json", f"{SEEDS[1].stem}.json"]


def kill_mid_batch(command: list[str], done_dir: Path, *, at_least: int, of: int, within_s: float) -> int:
    """Start a batch in its own process group, SIGKILL the group once ``at_least`` documents are
    marked done, and return how many were: more than none, fewer than all (``of``)."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and len(list(done_dir.glob("*.json"))) < at_least and process.poll() is None:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = len(list(done_dir.glob("*.json")))
    assert at_least <= done_before < of, "the kill must land mid-batch"
    return done_before


def test_killing_a_batch_and_rerunning_leaves_nothing_missing_or_duplicated(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    texts = [s.read_text(encoding="utf-8") for s in SEEDS]
    for i in range(240):                                      # distinct content: a trailing blank line count
        (folder / f"doc{i:04d}.txt").write_text(texts[i % 4] + "\n" * (1 + i // 4), encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "extractor", "extract", str(folder), "-o", str(out), "--workers", "2", "--no-progress"]
    done_dir = out / ".formex" / "done"
    done_before = kill_mid_batch(command, done_dir, at_least=20, of=240, within_s=60)
    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    results = sorted(p.name for p in out.glob("*.json"))
    assert results == [f"doc{i:04d}.json" for i in range(240)]
    assert len(list(done_dir.glob("*.json"))) == 240
    assert not list(out.rglob("*.tmp"))
    assert f"{done_before} skipped as already done" in rerun.stderr
    forms = [json.loads(line) for line in (out / "forms.jsonl").read_text(encoding="utf-8").splitlines()]
    keys = [(f["sha256"], f["form_index"]) for f in forms]
    assert len(keys) == len(set(keys)) == 60 * 31


def test_every_copy_of_a_document_is_accounted_for_and_a_copy_of_a_broken_one_fails_too(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes(SEEDS[1].read_bytes())
    (folder / "b.txt").write_bytes(SEEDS[1].read_bytes())
    (folder / "c.txt").write_bytes(b"")
    (folder / "d.txt").write_bytes(b"")
    out = tmp_path / "out"
    result = run("extract", folder, "-o", out)
    assert errors_of(out) == {"c.txt": "empty_input", "d.txt": "empty_input"}
    assert len((out / "forms.jsonl").read_text(encoding="utf-8").splitlines()) == 3    # each form once
    (duplicate,) = map(json.loads, (out / "duplicates.jsonl").read_text(encoding="utf-8").splitlines())
    assert duplicate == {"source": str(folder / "b.txt"), "same_content_as": str(folder / "a.txt"), "result": "a.json"}
    assert f"duplicate: {folder / 'b.txt'}: same content as {folder / 'a.txt'}" in result.stderr
    assert "1/4 documents extracted" in result.stderr and "2 failed" in result.stderr
    assert "1 duplicates of another input" in result.stderr


def test_a_copy_met_in_a_later_run_names_the_file_read_before(tmp_path):
    out = tmp_path / "out"
    run("extract", SEEDS[1], "-o", out)
    copy = tmp_path / "copy.txt"
    copy.write_bytes(SEEDS[1].read_bytes())
    result = run("extract", copy, "-o", out)
    assert result.exit_code == 0
    assert f"duplicate: {copy}: same content as {SEEDS[1]} (result {SEEDS[1].stem}.json)" in result.stderr
    assert len((out / "forms.jsonl").read_text(encoding="utf-8").splitlines()) == 3


def test_output_files_get_ordinary_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        out = tmp_path / "out"
        run("extract", SEEDS[1], "-o", out, "--csv", out / "csv")
    finally:
        os.umask(previous)
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {"forms.jsonl", "errors.jsonl", "flagged.jsonl", f"{SEEDS[1].stem}.json", "forms.csv"} <= {p.name for p in written}
    assert {oct(p.stat().st_mode & 0o777) for p in written} == {"0o644"}


def test_results_are_compact_unless_asked_pretty(tmp_path):
    run("extract", SEEDS[1], "-o", tmp_path / "compact")
    run("extract", SEEDS[1], "-o", tmp_path / "pretty", "--pretty")
    compact = (tmp_path / "compact" / f"{SEEDS[1].stem}.json").read_text(encoding="utf-8")
    pretty = (tmp_path / "pretty" / f"{SEEDS[1].stem}.json").read_text(encoding="utf-8")
    assert compact.count("\n") == 1 and pretty.count("\n") > 100
    assert json.loads(compact) == json.loads(pretty)


def test_the_summary_names_the_flagged_forms_and_why(tmp_path):
    wrong_total = SELF_EVALUATION.replace("总分\t\t\t\t\t100.00\t94.55", "总分\t\t\t\t\t100.00\t90.55")
    source = tmp_path / "wrong_total.txt"
    source.write_text(wrong_total, encoding="utf-8")
    out = tmp_path / "out"
    result = run("extract", source, "-o", out)
    (flagged,) = map(json.loads, (out / "flagged.jsonl").read_text(encoding="utf-8").splitlines())
    assert flagged["source"] == str(source) and flagged["status"] == "invalid" and flagged["codes"]
    code = next(iter(flagged["codes"]))
    assert f"flagged: {source} form 0 测试项目: invalid ({code}" in result.stderr


def test_forms_jsonl_is_streamed_as_documents_finish(tmp_path, monkeypatch):
    """Each finished document's forms go to the file at once; nothing is gathered to write at the end."""
    from extractor import batch as batch_module

    sizes = []
    real = batch_module.BatchOutput.extracted

    def spy(self, *args):  # type: ignore[no-untyped-def]
        real(self, *args)
        self.forms.handle.flush()
        sizes.append(Path(self.forms.tmp).stat().st_size)
    monkeypatch.setattr(batch_module.BatchOutput, "extracted", spy)
    result = run("extract", *SEEDS, "-o", tmp_path / "out", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert len(sizes) == len(SEEDS) and all(a < b for a, b in zip(sizes, sizes[1:]))
    assert sizes[-1] == (tmp_path / "out" / "forms.jsonl").stat().st_size


def test_the_progress_line_shows_the_phase_an_eta_and_the_page_being_read():
    import io

    from extractor.batch import BatchSummary
    from extractor.progress import ProgressLine

    summary = BatchSummary(extracted=10, failed=1, skipped=4, duplicates=5, reading="box/scan.pdf page 3/12")
    line = ProgressLine.render(summary, total=100, seconds=20.0)
    assert line.startswith("extracting [")
    assert "20/100 documents" in line and "ETA 2m25s" in line and "reading box/scan.pdf page 3/12" in line
    stream = io.StringIO()
    progress = ProgressLine(stream, every_s=0)
    progress.step("writing the workbook", 40, 40, "forms")
    assert stream.getvalue().startswith("writing the workbook: 40/40 forms  done in")
