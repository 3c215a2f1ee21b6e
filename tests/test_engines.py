"""Choosing a batch engine, and what the progress line promises; none of this needs Ray."""

from __future__ import annotations

import json
import sys

import pytest

from click.testing import CliRunner

from extractor.batch import BatchSummary
from extractor.cli import main
from extractor.progress import ProgressLine
from tests.test_batch import SEEDS


def run(*args):
    return CliRunner().invoke(main, [*map(str, args), "--no-progress"])


def test_without_ray_installed_the_ray_engine_is_a_one_line_usage_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)            # "import ray" now raises ImportError
    result = run("extract", SEEDS[0], "-o", tmp_path / "out", "--engine", "ray")
    assert result.exit_code == 2
    assert "the ray engine needs Ray: pip install 'formex[ray]'" in result.output
    assert "Traceback" not in result.output


def test_engine_options_that_do_not_fit_are_usage_errors(tmp_path):
    assert "--engine ray needs -o OUTDIR" in run("extract", SEEDS[0], "--engine", "ray").output
    local = run("extract", SEEDS[0], "-o", tmp_path / "out", "--address", "auto")
    assert local.exit_code == 2 and "--address is for --engine ray" in local.output


def test_the_progress_line_estimates_the_time_left_from_the_documents_worked_on():
    summary = BatchSummary(extracted=9, failed=1, skipped=40)
    assert ProgressLine.render(summary, 100, 20.0).endswith("ETA 1m40s")     # 50 left at 2 s each
    summary.extracted = 59
    assert "ETA" not in ProgressLine.render(summary, 100, 20.0)               # finished


def memory_tree(root: str) -> dict[str, bytes]:
    import fsspec

    fs = fsspec.filesystem("memory")
    base = root.split("://", 1)[1]
    return {path.split(base, 1)[1]: fs.cat_file(path) for path in sorted(fs.find(base))}


def put_in_memory(root: str) -> None:
    """The eval set, an empty file and a zip (refused: zips are read from paths only) in memory."""
    import fsspec

    fs = fsspec.filesystem("memory")
    base = root.split("://", 1)[1]
    for seed in SEEDS:
        fs.pipe_file(f"{base}/2024/{seed.name}", seed.read_bytes())
    fs.pipe_file(f"{base}/empty.txt", b"")
    fs.pipe_file(f"{base}/box.zip", b"PK")


def test_inputs_and_outputs_may_be_fsspec_urls(tmp_path):
    pytest.importorskip("upath", reason="object storage needs pip install 'formex[storage]'")
    put_in_memory("memory://formex-test/in")
    on_urls = run("extract", "memory://formex-test/in", "-o", "memory://formex-test/out", "--workers", "1")
    on_paths = run("extract", *SEEDS, "-o", tmp_path / "out", "--workers", "1")
    assert on_urls.exit_code == 1 and "4/6 documents extracted, 31 forms" in on_urls.stderr
    written = memory_tree("memory://formex-test/out")
    errors = sorted(json.loads(line)["code"] for line in written.pop("/errors.jsonl").decode().splitlines())
    assert errors == ["empty_input", "input_error"]
    local = {p.relative_to(tmp_path / "out").as_posix(): p for p in (tmp_path / "out").rglob("*.json")}
    for seed in SEEDS:                                       # the same forms, read from memory
        mine = json.loads(written[f"/2024/{seed.stem}.json"])
        theirs = json.loads(local[f"{seed.stem}.json"].read_bytes())
        assert mine["forms"] == theirs["forms"] and mine["source"] == f"memory://formex-test/in/2024/{seed.name}"
    assert sorted(k for k in written if k.startswith("/.formex/done/")) == sorted(
        f"/{k}" for k in local if k.startswith(".formex/done/"))
    rerun = run("extract", "memory://formex-test/in", "-o", "memory://formex-test/out", "--workers", "1")
    assert "4 skipped as already done" in rerun.stderr


def test_a_url_of_a_filesystem_that_cannot_be_used_is_one_line_not_a_traceback(tmp_path):
    pytest.importorskip("upath", reason="object storage needs pip install 'formex[storage]'")
    result = run("extract", "nosuchfs://bucket/in", SEEDS[0], "-o", tmp_path / "out")
    assert result.exit_code == 1 and "1/2 documents extracted" in result.stderr
    assert "error: nosuchfs://bucket/in: cannot use nosuchfs://bucket/in" in result.stderr
    output = run("extract", SEEDS[0], "-o", "nosuchfs://bucket/out")
    assert output.exit_code == 2 and "cannot use nosuchfs://bucket/out" in output.output
    assert "Traceback" not in result.output + output.output
