"""A batch of 1,000 documents with 1% broken files, killed mid-run and run again.

Checks what the batch promises: every good document extracted exactly once, every broken one in
errors.jsonl with its reason, no result missing or duplicated after a kill and a rerun.

    python -m benchmarks.batch_resume [--documents 1000] [--workers 2] [--kill-after 300]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymupdf

from eval.dataset import load_cases
from eval.render import render_text_pdf

ROOT = Path(__file__).resolve().parent.parent


def broken_files(folder: Path, count: int) -> list[str]:
    makers = [
        ("corrupt.pdf", lambda: b"%PDF-1.4\n%broken\n1 0 obj <<"),
        ("empty.txt", lambda: b""),
        ("binary.txt", lambda: os.urandom(2048).replace(b"\x00", b"\x01") + b"\x00"),
        ("memo.txt", lambda: "会议纪要：本文件没有表格。".encode()),
        ("truncated.pdf", lambda: render_text_pdf("项目名称\t测试")[:300]),
    ]
    names = []
    for i in range(count):
        name, make = makers[i % len(makers)]
        path = folder / f"broken{i:03d}-{name}"
        path.write_bytes(make())
        names.append(path.name)
    locked = pymupdf.open(stream=render_text_pdf("项目名称\t测试"), filetype="pdf")
    locked.save(folder / "broken-encrypted.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y")
    return [*names, "broken-encrypted.pdf"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-after", type=int, default=300, help="kill once this many results exist")
    args = parser.parse_args(argv)
    texts = [c.text_path.read_text(encoding="utf-8") for c in load_cases()]
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "in", Path(tmp) / "out"
        folder.mkdir()
        broken = broken_files(folder, args.documents // 100 - 1)
        good = args.documents - len(broken)
        for i in range(good):
            (folder / f"doc{i:05d}.txt").write_text(texts[i % len(texts)] + "\n" * (1 + i // len(texts)), encoding="utf-8")
        command = [sys.executable, "-m", "extractor", "extract", str(folder), "-o", str(out),
                   "--workers", str(args.workers), "--no-progress"]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        done = out / ".formex" / "done"
        while len(list(done.glob("*.json"))) < args.kill_after and process.poll() is None:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        killed_at = len(list(done.glob("*.json")))
        first = time.perf_counter() - started
        started = time.perf_counter()
        rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        second = time.perf_counter() - started
        results = sorted(p.name for p in out.glob("*.json"))
        errors = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
        forms = (out / "forms.jsonl").read_text(encoding="utf-8").splitlines()
        keys = [(f["sha256"], f["form_index"]) for f in map(json.loads, forms)]
        expected = [f"doc{i:05d}.json" for i in range(good)]
        print(f"{args.documents} documents ({good} good, {len(broken)} broken), {args.workers} workers")
        print(f"first run killed after {first:.1f}s with {killed_at} results; rerun {second:.1f}s, exit {rerun.returncode}")
        print(f"results: {len(results)} (expected {good}); all present and none extra: {results == expected}")
        print(f"broken files in errors.jsonl: {len({Path(e['source']).name for e in errors} & set(broken))}/{len(broken)} "
              f"({', '.join(sorted({e['code'] for e in errors}))})")
        print(f"forms.jsonl: {len(forms)} lines, duplicates: {len(keys) - len(set(keys))}")
        print(rerun.stderr.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
