"""The formex command line, driven in-process."""

import json

from click.testing import CliRunner

from eval.dataset import DATA_DIR
from extractor.cli import main

SEED = str(sorted((DATA_DIR / "seeds").glob("*.txt"))[2])


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_extract_one_file_prints_the_hand_off_json():
    result = run("extract", SEED)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) >= {"source", "sha256", "forms"}
    assert len(document["forms"]) == 8 and document["forms"][0]["form_type"] == "target_declaration"


def test_extract_with_output_dir_writes_one_json_per_input(tmp_path):
    result = run("extract", str(DATA_DIR / "seeds"), "-o", str(tmp_path), "--summary")
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("*.json"))) == 4
    assert "4/4 documents extracted, 31 forms" in result.stderr


def test_a_broken_file_is_reported_and_the_others_are_still_extracted(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "memo.txt").write_text("会议纪要", encoding="utf-8")
    out = tmp_path / "out"
    result = run("extract", str(tmp_path / "empty.txt"), str(tmp_path / "binary.txt"), str(tmp_path / "memo.txt"),
                 SEED, str(tmp_path / "missing.txt"), "-o", str(out))
    assert result.exit_code == 1
    assert [p.name for p in out.glob("*.json")] == ["002_086ee4b561644873.json"]
    for name, reason in [("empty.txt", "empty"), ("binary.txt", "binary"), ("memo.txt", "no 财政项目"), ("missing.txt", "no such file")]:
        assert f"{name}: " in result.stderr and reason in result.stderr
    assert "Traceback" not in result.output


def test_eval_prints_precision_recall_and_f1():
    result = run("eval")
    assert result.exit_code == 0, result.output
    assert "F1 1.0000" in result.stdout and "per field:" in result.stdout


def test_eval_json_report_is_machine_readable():
    report = json.loads(run("eval", "--json").stdout)
    assert report["metrics"]["field_f1"]["gold"] > 2000


def test_schema_prints_json_schema():
    assert json.loads(run("schema").stdout)["type"] == "array"


def test_an_unknown_backend_is_a_usage_error_not_a_traceback():
    result = run("extract", SEED, "--backend", "nope")
    assert result.exit_code == 2 and "Traceback" not in result.output
