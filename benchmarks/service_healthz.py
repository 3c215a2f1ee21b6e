"""Does a large synchronous request stall the service? /healthz latency while one runs.

    python -m benchmarks.service_healthz [--forms 100] [--interval 0.01]

Starts ``formex serve`` on loopback (one HTTP worker, its own job database and key), posts a
document of ``--forms`` forms (the visible eval documents repeated) as JSON text with
``?mode=sync``, and while that request runs polls ``/healthz`` every ``--interval`` seconds.
Reports the sync request's time and the worst and median /healthz latency seen during it, and,
for comparison, the same with no request running (``idle_*``: the machine's own noise).
Target: worst < 50 ms (extraction runs off the event loop). Numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.load_service import start
from eval.dataset import load_cases
from extractor.layout import split_lines
from extractor.segment import split_forms


HEADERS = {"Authorization": "Bearer load"}          # the key benchmarks.load_service.start configures


def document(forms: int) -> str:
    """The eval documents' forms, repeated until there are ``forms`` of them."""
    blocks = [b for case in load_cases() for b in split_forms(split_lines(case.text_path.read_text(encoding="utf-8")))]
    chosen = [blocks[i % len(blocks)] for i in range(forms)]
    return "\n\n".join("\n".join(line.raw for line in block.lines) for block in chosen)


def _big_request(url: str, text: str, out: "multiprocessing.Queue") -> None:
    """In a process of its own, so that reading its large answer does not hold up the poller."""
    started = time.perf_counter()
    answer = httpx.post(url + "/v1/extractions?mode=sync", json={"text": text, "source": "bench.txt"},
                        headers=HEADERS, timeout=600)
    forms = len(answer.json().get("forms", [])) if answer.status_code == 200 else 0
    out.put({"sync_seconds": time.perf_counter() - started, "status": answer.status_code, "forms": forms})


def measure(url: str, text: str, interval: float) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    with httpx.Client(base_url=url, timeout=60) as client:
        warm = client.post("/v1/extractions?mode=sync", json={"text": document(1), "source": "warm.txt"}, headers=HEADERS)
        assert warm.status_code == 200, warm.text          # the service is up and its workers started
        idle = _poll(client, interval, seconds=2.0)       # the machine's own noise, with no request running
        process = context.Process(target=_big_request, args=(url, text, out))
        process.start()
        time.sleep(0.3)                                    # let the request reach the server
        latencies = []
        while process.is_alive() and out.empty():
            started = time.perf_counter()
            client.get("/healthz")
            latencies.append(time.perf_counter() - started)
            time.sleep(interval)
        outcome = out.get(timeout=600)
        process.join()
    return {"forms": outcome["forms"], "status": outcome["status"], "sync_request_s": round(outcome["sync_seconds"], 3),
            "healthz_polls": len(latencies), "healthz_worst_ms": round(1000 * max(latencies), 1),
            "healthz_median_ms": round(1000 * statistics.median(latencies), 1),
            "idle_worst_ms": round(1000 * max(idle), 1), "idle_median_ms": round(1000 * statistics.median(idle), 1)}


def _poll(client: httpx.Client, interval: float, seconds: float) -> list[float]:
    latencies = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        started = time.perf_counter()
        client.get("/healthz")
        latencies.append(time.perf_counter() - started)
        time.sleep(interval)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.01)
    args = parser.parse_args()
    text = document(args.forms)
    with tempfile.TemporaryDirectory() as folder:
        process, url = start(Path(folder), 1)
        try:
            print(json.dumps(measure(url, text, args.interval)))
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
