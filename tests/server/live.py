"""A real `bastion serve` in a child process on a given store, for the restart and concurrency tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from bastion.server.db import Database
from bastion.server.users import add_user

PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def add_users(url: str, *users: tuple[str, str, str, str]) -> None:
    db = Database(url)
    try:
        with db.transaction() as session:
            for name, role, nation, clearance in users:
                add_user(session, name, role, nation, clearance, PASSWORD)
    finally:
        db.close()


class LiveServer:
    """`python -m bastion serve --workers N --processes P` on `url`; stopped with SIGTERM (a graceful stop) on exit."""

    def __init__(
        self, url: str, workers: int, log: Path, processes: int = 1, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "BASTION_DATABASE_URL": url, **(env or {})}
        env.pop("BASTION_DASK_SCHEDULER", None)
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bastion", "serve", "--port", str(self.port), "--workers", str(workers),
             "--processes", str(processes)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.log = log

    def __enter__(self) -> LiveServer:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bastion serve exited: {self.log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("bastion serve did not answer within 120 s")

    def token(self, name: str) -> str:
        answer = httpx.post(f"{self.base}/api/v1/auth/token", data={"username": name, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self._log.closed:
            self._log.close()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
