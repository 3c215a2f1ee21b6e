"""A bounded load test of the HTTP service with the parser backend: N requests, C concurrent.

    python -m benchmarks.load_service [--requests 2000] [--concurrency 16] [--http-workers 2]

Starts ``formex serve`` on loopback (its own temporary job database and key), posts one small
form as JSON text per request (answered at once), and reports requests/s, p50 and p99 latency
and any non-200 answer. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from eval.dataset import load_cases
from extractor.layout import split_lines
from extractor.segment import split_forms

ROOT = Path(__file__).resolve().parent.parent


def one_form() -> str:
    case = load_cases()[3]
    blocks = split_forms(split_lines(case.text_path.read_text(encoding="utf-8")))
    return "\n".join(line.raw for line in blocks[0].lines)


def start(folder: Path, workers: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "FORMEX_API_KEYS": "load", "FORMEX_JOB_DB": str(folder / "jobs.sqlite")}
    process = subprocess.Popen([sys.executable, "-m", "extractor", "serve", "--port", str(port), "--workers", str(workers)],
                               cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("service did not start")


async def load(url: str, text: str, requests: int, concurrency: int) -> tuple[list[float], dict[int, int], float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": "Bearer load"}, limits=limits, timeout=30) as client:
        for _ in range(20):     # warm-up, not counted
            await client.post("/v1/extractions", json={"text": text})

        async def user() -> None:
            for _ in queue:
                started = time.perf_counter()
                response = await client.post("/v1/extractions", json={"text": text})
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(concurrency)))
        return latencies, statuses, time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--http-workers", type=int, default=1)
    args = parser.parse_args(argv)
    text = one_form()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start(Path(tmp), args.http_workers)
        try:
            latencies, statuses, seconds = asyncio.run(load(url, text, args.requests, args.concurrency))
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait()
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"{args.requests} requests, {args.concurrency} concurrent, {args.http_workers} uvicorn workers, "
          f"one form ({len(text.encode())} bytes) per request")
    print(f"{args.requests / seconds:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, statuses {statuses}")


if __name__ == "__main__":
    main()
