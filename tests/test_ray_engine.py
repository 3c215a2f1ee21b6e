"""The Ray engine on a local cluster started here: the local batch's results, whatever dies.

One cluster for the module (2 CPUs, loopback, no dashboard); the CLI in this process joins it,
and drivers run as subprocesses join it by its address.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from extractor.cli import main
from extractor.engines.ray_engine import RayBatch
from extractor.engines.ray_state import SharedBudget, start_model_state
from extractor.inputs import discover
from extractor.settings import Settings
from extractor.testing import FakeOpenAIServer, parser_model
from tests.test_batch import kill_mid_batch
from tests.test_batch import SEEDS, archive_with_broken_files
from tests.test_engines import memory_tree, put_in_memory

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'formex[ray]' (make test installs it)")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cluster():
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.WARNING,
             _node_ip_address="127.0.0.1")
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def run(*args):
    return CliRunner().invoke(main, [*map(str, args), "--no-progress"])


def unordered_jsonl(files: dict) -> dict:
    """The .jsonl files' lines as a sorted run: the engines stream them as documents finish."""
    return {name: b"".join(sorted(data.splitlines(keepends=True))) if name.endswith(".jsonl") else data
            for name, data in files.items()}


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under a folder (done markers included), by relative path; all but two bytes
    as written: the seconds each page took, and the line order of the .jsonl files (streamed in
    the order in which documents finish) are not the engine's to keep."""
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    files = unordered_jsonl(files)
    for name, data in files.items():
        if name.endswith(".json") and b'"seconds"' in data:
            document = json.loads(data)
            for page in document["input"]["pages"]:
                page["seconds"] = None
            files[name] = json.dumps(document).encode()
    return files


def sheets(path: Path) -> dict[str, list[tuple]]:
    book = load_workbook(path)
    return {name: [tuple(c.value for c in row) for row in book[name].iter_rows()] for name in book.sheetnames}


def texts_folder(folder: Path, count: int, *, repeat: int = 1) -> Path:
    """``count`` distinct documents (a seed with its own number of trailing blank lines);
    ``repeat`` > 1 makes each a long document of that many copies of the seed."""
    folder.mkdir()
    texts = [s.read_text(encoding="utf-8") for s in SEEDS]
    for i in range(count):
        (folder / f"doc{i:03d}.txt").write_text("\n".join([texts[i % 4]] * repeat) + "\n" * (1 + i // 4), encoding="utf-8")
    return folder


def assert_each_done_once(out: Path, count: int, forms_per_four: int = 31) -> None:
    assert sorted(p.name for p in out.glob("*.json")) == [f"doc{i:03d}.json" for i in range(count)]
    assert len(list((out / ".formex" / "done").glob("*.json"))) == count
    assert not list(out.rglob("*.tmp"))
    forms = [json.loads(line) for line in (out / "forms.jsonl").read_text(encoding="utf-8").splitlines()]
    keys = [(f["sha256"], f["form_index"]) for f in forms]
    assert len(keys) == len(set(keys)) == count // 4 * forms_per_four
    assert (out / "errors.jsonl").read_text(encoding="utf-8") == ""


def mixed_inputs(tmp_path: Path) -> list[Path]:
    """Seeds, a PDF, broken files, a copy of a seed, and a zip with an unsafe entry."""
    folder = archive_with_broken_files(tmp_path / "in")
    (folder / "copy.txt").write_bytes(SEEDS[0].read_bytes())
    box = tmp_path / "box.zip"
    with zipfile.ZipFile(box, "w") as z:
        z.write(SEEDS[2], f"2024/{SEEDS[2].name}")
        z.writestr("../escape.txt", "x")
    return [folder, box]


@pytest.mark.parametrize("batch", ["eval set", "mixed with broken files"])
def test_the_ray_engine_writes_exactly_what_the_local_batch_writes(cluster, tmp_path, batch):
    inputs = [SEEDS[0].parent] if batch == "eval set" else mixed_inputs(tmp_path)
    local = run("extract", *inputs, "-o", tmp_path / "local", "--workers", "2", "--xlsx", tmp_path / "local.xlsx")
    on_ray = run("extract", *inputs, "-o", tmp_path / "ray", "--engine", "ray", "--xlsx", tmp_path / "ray.xlsx")
    assert on_ray.exit_code == local.exit_code == (0 if batch == "eval set" else 1), on_ray.output
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")
    assert sheets(tmp_path / "ray.xlsx") == sheets(tmp_path / "local.xlsx")
    assert on_ray.stderr.splitlines()[-1].split(" (")[0] == local.stderr.splitlines()[-1].split(" (")[0]
    if batch != "eval set":
        codes = sorted(json.loads(line)["code"] for line in (tmp_path / "ray" / "errors.jsonl").open(encoding="utf-8"))
        assert codes == ["corrupt_input", "empty_input", "no_forms_found", "unsafe_input"]


def test_with_inputs_and_outputs_on_fsspec_urls_the_workers_never_touch_storage(cluster):
    put_in_memory("memory://formex-ray/in")       # this process's memory: a worker could not see it
    local = run("extract", "memory://formex-ray/in", "-o", "memory://formex-ray/local", "--workers", "1")
    on_ray = run("extract", "memory://formex-ray/in", "-o", "memory://formex-ray/ray", "--engine", "ray")
    assert on_ray.exit_code == local.exit_code == 1 and "4/6 documents extracted" in on_ray.stderr
    written, expected = memory_tree("memory://formex-ray/ray"), memory_tree("memory://formex-ray/local")
    assert unordered_jsonl(written) == unordered_jsonl(expected)


def our_running_tasks() -> list[int]:
    """Pids of this test's Ray workers that are running a document now (Ray names the process
    ``ray::formex_document`` while it runs one, ``ray::IDLE`` between)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    running, stack = [], [os.getpid()]
    while stack:
        pid = stack.pop()
        for child in children.get(pid, []):
            stack.append(child)
            try:
                if (Path("/proc") / str(child) / "cmdline").read_bytes().startswith(b"ray::formex_document"):
                    running.append(child)
            except OSError:
                continue
    return running


def kill_a_worker_mid_document(run_batch):
    """Run ``run_batch`` in a thread, SIGKILL a worker process while it reads a document, and
    return what ``run_batch`` returned."""
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("result", run_batch()))
    thread.start()
    victim, deadline = None, time.monotonic() + 60
    while victim is None and time.monotonic() < deadline and thread.is_alive():
        busy = our_running_tasks()
        victim = busy[0] if busy else None
        time.sleep(0.02)
    assert victim is not None, "no worker was seen running a document"
    os.kill(victim, signal.SIGKILL)
    thread.join(timeout=240)
    return outcome["result"]


def test_a_worker_killed_mid_document_is_retried_and_every_document_is_done_once(cluster, tmp_path):
    folder = texts_folder(tmp_path / "in", 8, repeat=8)       # long documents: a kill lands mid-task
    out = tmp_path / "out"
    result = kill_a_worker_mid_document(lambda: run("extract", folder, "-o", out, "--engine", "ray"))
    assert result.exit_code == 0, result.output
    assert "8/8 documents extracted" in result.stderr
    assert_each_done_once(out, 8, forms_per_four=31 * 8)


def test_retries_are_bounded_and_a_document_whose_worker_always_dies_is_left_for_the_rerun(cluster, tmp_path):
    folder = texts_folder(tmp_path / "in", 4, repeat=8)
    out = tmp_path / "out"
    items, refused = discover([str(folder)], max_bytes=Settings().max_input_bytes)
    summary = kill_a_worker_mid_document(lambda: RayBatch(out, Settings(), max_retries=0).run(items, refused))
    assert (summary.extracted, summary.failed) == (3, 1)
    assert [e["code"] for e in summary.errors] == ["worker_crashed"]
    assert len(list((out / ".formex" / "done").glob("*.json"))) == 3
    rerun = run("extract", folder, "-o", out, "--engine", "ray")
    assert rerun.exit_code == 0 and "3 skipped as already done" in rerun.stderr
    assert_each_done_once(out, 4, forms_per_four=31 * 8)


def test_a_killed_driver_rerun_loses_and_duplicates_nothing(cluster, tmp_path):
    folder = texts_folder(tmp_path / "in", 32)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "extractor", "extract", str(folder), "-o", str(out), "--engine", "ray",
               "--address", cluster, "--no-progress"]
    done_before = kill_mid_batch(command, out / ".formex" / "done", at_least=8, of=32, within_s=90)
    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{done_before} skipped as already done" in rerun.stderr
    assert_each_done_once(out, 32)


def test_model_backends_under_ray_use_one_cache_and_stop_on_the_budget(cluster, tmp_path):
    cache = tmp_path / "cache.sqlite"
    with FakeOpenAIServer(default=parser_model()) as server:
        model = ["--backend", "llm", "--base-url", server.url, "--model", "fake-model", "--engine", "ray",
                 "--cache-path", cache]
        first = run("extract", SEEDS[1], "-o", tmp_path / "first", *model)
        second = run("extract", SEEDS[1], SEEDS[0], "-o", tmp_path / "second", *model, "--token-budget", "1")
    assert first.exit_code == 0, first.output
    calls = int(first.stderr.split("model: ")[1].split(" forms sent, ")[1].split(" API calls")[0])
    assert calls > 0 and f"({calls} answered from cache)" in second.stderr      # the first document: from the cache
    assert second.exit_code == 5 and "stopped early: token budget spent" in second.stderr   # the second: over budget
    errors = [json.loads(line) for line in (tmp_path / "second" / "errors.jsonl").open(encoding="utf-8")]
    assert errors and {e["code"] for e in errors} == {"budget_exhausted"}
    assert {Path(e["source"]).name for e in errors} == {SEEDS[0].name}


def test_the_token_budget_is_one_for_every_worker(cluster):
    state = start_model_state(100, None)

    @ray.remote
    def spend(shared, tokens):                    # each task holds its own proxy; the count is the actor's
        budget = SharedBudget(shared, 100)
        budget.charge(tokens)
        return budget.spent, budget.exhausted

    assert ray.get(spend.remote(state, 60)) == (60, False)
    assert ray.get(spend.remote(state, 60)) == (120, True)
