"""Start the real service (``formex serve``) on loopback for a test, and stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
KEY = "test-key-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``formex serve`` in a child process, with its own config file and job database."""

    def __init__(self, folder: Path, **service: object) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        keys = ", ".join(f'"{key}"' for key in service.pop("api_keys", [KEY]))     # KEY or "name:secret" entries
        lines = ["[service]", f"api_keys = [{keys}]", f'job_db = "{folder / "jobs.sqlite"}"']
        lines += [f"{name} = {value!r}".replace("'", '"') for name, value in service.items()]
        self.config = folder / "formex.toml"
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.process: subprocess.Popen | None = None

    def start(self) -> "Server":
        command = [sys.executable, "-m", "extractor", "serve", "--port", str(self.port), "--config", str(self.config)]
        self.process = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=(self.folder / "server.log").open("ab"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
            if self.process.poll() is not None:
                break
        raise RuntimeError("the service did not start: " + (self.folder / "server.log").read_text(errors="replace"))

    def kill(self) -> None:
        """Die the hard way, as a crashed host would: no shutdown, no cleanup."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self, key: str | None = KEY) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def wait_for(self, job_id: str, statuses: tuple[str, ...] = ("done", "failed"), timeout: float = 120) -> dict:
        with self.client() as client:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                job = client.get(f"/v1/jobs/{job_id}").json()
                if job["status"] in statuses:
                    return job
                time.sleep(0.1)
        raise TimeoutError(f"job {job_id} did not reach {statuses}")
