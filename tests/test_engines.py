"""Choosing a batch engine, and what the progress line promises; none of this needs Ray."""

from __future__ import annotations

import sys

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
