"""A slice of the fuzz corpus (eval/fuzz.py; the whole of it: python -m benchmarks.fuzz).

Every kind of malformed input, each alone and all as one batch: no crash, no hang, every
failure one line of errors.jsonl, no document lost, every good document extracted, and no form
carrying a value that a slipped-in line asked for passes as valid.
"""

from __future__ import annotations

import pytest

from eval.fuzz import generate, probe, run_batch, write

# Inputs that need OCR (a PDF cut before its text layer is OCR'd page by page) run in the benchmark.
HEAVY = ("pdf_truncated", "pdf_bitflip")


@pytest.fixture(scope="module")
def generated():
    return generate(50, seed=1)


@pytest.fixture(scope="module")
def corpus(generated):
    return [c for c in generated if c.kind not in HEAVY]


def test_every_kind_is_in_the_corpus(generated):
    assert {c.kind.split("_")[0] for c in generated} >= {"text", "pdf", "image", "zip", "good"}
    assert len(generated) == 50 + 5          # the malformed ones asked for, and the good ones; the benchmark makes 2,000


def test_each_malformed_input_alone_is_a_one_line_error_in_bounded_time(corpus):
    report = probe(corpus, bound_s=30)
    assert report["crashes"] == []
    assert report["hangs"] == []
    assert report["forged_valid"] == [] and report["injected_undetected"] == []


def test_the_corpus_as_one_batch_loses_nothing_and_extracts_every_good_file(corpus, tmp_path):
    write(corpus, tmp_path / "in")
    report = run_batch(tmp_path / "in", tmp_path / "out", corpus, workers=2, timeout_s=300)
    assert report["tracebacks"] == 0, report["stderr_tail"]
    assert report["malformed_error_lines"] == []
    assert report["lost"] == []
    assert report["good_extracted"] == report["good"] == 5
