"""Fixtures of the store tests: a store URL per backend, and a PostgreSQL server started here.

The PostgreSQL server is real: `initdb` into a temporary folder, `pg_ctl start` on a free
loopback port, one fresh database per test. Its binaries are found in
/usr/lib/postgresql/*/bin (Debian's `postgresql` package) or on PATH; only where none
exist are the PostgreSQL cases skipped. PostgreSQL refuses to run as root, so as root
the server runs as the `postgres` user (or `nobody`) through runuser/su.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bastion.store import RunRecord, scenario_hash

BACKENDS = ["sqlite", "postgresql"]

SCENARIO = """\
name: Baltic ATM plant
start: 2026-01
suppliers:
  - id: energetics-north
    capacity_per_month: 4000
  - id: shell-bodies
    capacity_per_month: 6000
"""


def find_postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl (newest Debian version first), or None."""

    def version(folder: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", Path(folder).parent.name))

    folders = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: version(str(p)), reverse=True)
    for folder in folders:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(pg_ctl).parent
    return None


@dataclass(frozen=True)
class PostgresServer:
    """A running PostgreSQL server: `admin_url` reaches its `postgres` database."""

    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    @property
    def admin_url(self) -> str:
        return self.url("postgres")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _as_server_user() -> tuple[list[str], str | None]:
    """The command prefix that runs a PostgreSQL binary as a non-root user, and that user."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        if shutil.which("runuser"):
            return ["runuser", "-u", name, "--"], name
        return ["su", name, "-s", "/bin/sh", "-c", '"$0" "$@"'], name
    pytest.fail("running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL")


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of our own for the whole session; stopped and removed at the end."""
    bindir = find_postgres_bin()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH: "
            "install them (Debian: apt-get install -y postgresql) to run the PostgreSQL store tests"
        )
    prefix, os_user = _as_server_user()
    base = Path(tempfile.mkdtemp(prefix="bastion-pg-"))
    data, sockets, log = base / "data", base / "sockets", base / "server.log"
    sockets.mkdir()
    if os_user is not None:
        entry = pwd.getpwnam(os_user)
        for path in (base, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    user = "bastion"
    started = False
    try:
        _run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                user,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ]
        )
        for _attempt in range(3):
            port = _free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off"
            start = [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ]
            try:
                _run(start)
            except RuntimeError:
                continue  # most likely the port was taken meanwhile: try another
            started = True
            break
        if not started:
            server_log = log.read_text(errors="replace") if log.exists() else "(no log)"
            raise RuntimeError(f"PostgreSQL did not start; its log:\n{server_log}")
        yield PostgresServer(port=port, user=user)
    finally:
        if started:
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on the session's server; dropped after the test."""
    name = f"bastion_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield postgres_server.url(name)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store's URL: a SQLite file in tmp_path, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


MakeRecord = Callable[..., RunRecord]


def build_record(run_id: str, *, rows: int = 3, minutes: int = 0, **changes: Any) -> RunRecord:
    """A realistic record: results of every engine and a few tidy tables."""
    text_ = changes.pop("scenario_text", SCENARIO)
    fields: dict[str, Any] = {
        "run_id": run_id,
        "created_at": datetime(2026, 11, 27, 4, 15, tzinfo=UTC) + timedelta(minutes=minutes),
        "scenario_name": "Baltic ATM plant",
        "scenario_file": "examples/baltic-atm-plant.yaml",
        "scenario_text": text_,
        "scenario_hash": scenario_hash(text_),
        "seed": 7,
        "paths": 2000,
        "versions": {"bastion": "0.1.0", "numpy": "2.1.0", "highspy": "1.7.2", "ortools": "9.11"},
        "timings": {"validate": 0.01, "plan": 1.25, "simulate": 3.5},
        "status": "ok",
        "headline": {
            "first_output": {"p50": "2027-09", "p_within_24_months": 0.82},
            "targets": [{"customer": "army", "item": "155mm", "by": "2028-12", "probability": 0.91}],
            "cost": {"total": 1.25e9, "capex": 4.1e8},
        },
        "results": {
            "schedule": {"makespan_months": 20, "critical_path": ["permit", "build", "commission"]},
            "plan": {"status": "optimal", "objective": 1.25e9, "first_output": "2027-09", "lines": []},
            "simulate": {"paths": 2000, "seed": 7, "first_output": {"p10": "2027-06", "p50": "2027-09"}},
        },
        "tables": {
            "production": [
                {"line": f"L{i % 3}", "month": f"2027-{i % 12 + 1:02d}", "units": i * 10.5}
                for i in range(rows)
            ],
            "cash_by_year": [{"year": 2026 + i, "capex": 1e8 / (i + 1), "budget": None} for i in range(3)],
        },
    }
    fields.update(changes)
    return RunRecord(**fields)


@pytest.fixture
def make_record() -> MakeRecord:
    """`build_record` as a fixture: make_record(run_id, rows=..., minutes=..., field=value...)."""
    return build_record
