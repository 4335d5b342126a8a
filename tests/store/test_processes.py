"""Real processes: a save killed with SIGKILL leaves nothing; saves from two processes at once all land."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from bastion.store import RunNotFound, RunRecord, RunStore
from bastion.store.schema import Run, RunResult, RunTable

MakeRecord = Callable[..., RunRecord]
CHILD = Path(__file__).with_name("child_save.py")


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.__tablename__: connection.scalar(select(func.count()).select_from(table)) or 0
                for table in (Run, RunResult, RunTable)
            }
    finally:
        engine.dispose()


def assert_holds_an_open_write(url: str) -> None:
    """The child is inside its transaction with rows written: prove it from outside."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        raw = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                raw.execute("BEGIN IMMEDIATE")
        finally:
            raw.close()
    else:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                open_transactions = connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND state = 'idle in transaction'"
                    )
                )
            assert open_transactions == 1
        finally:
            engine.dispose()


def test_a_save_killed_half_way_leaves_nothing(store_url: str, make_record: MakeRecord) -> None:
    RunStore.open(store_url).close()
    child = spawn(store_url, "hold", "killed-run", "2000")
    try:
        assert child.stdout is not None
        line = child.stdout.readline()  # the child has written every row and waits before COMMIT
        assert line.strip() == "SAVING killed-run", child.stderr.read() if child.stderr else line
        assert_holds_an_open_write(store_url)
        with RunStore.open(store_url) as reader:  # readers see nothing of the open transaction
            assert reader.list() == []
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    deadline = time.monotonic() + 10  # PostgreSQL ends the dead client's backend promptly
    while counts(store_url) != {"runs": 0, "run_results": 0, "run_tables": 0} and time.monotonic() < deadline:
        time.sleep(0.1)
    assert counts(store_url) == {"runs": 0, "run_results": 0, "run_tables": 0}
    with RunStore.open(store_url) as store:
        with pytest.raises(RunNotFound):
            store.get("killed-run")
        # The write lock died with the process, and no row of the run is left: it can be saved again.
        store.save(make_record("killed-run"))
        assert [s.run_id for s in store.list()] == ["killed-run"]


def test_two_processes_saving_at_once_both_land(store_url: str) -> None:
    """Both open the (new, unmigrated) store at the same moment, then save runs that overlap in time."""
    start_at = f"{time.time() + 1.5:.3f}"
    children = [spawn(store_url, "many", name, "4", "300", start_at, "0.05") for name in ("left", "right")]
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert out.strip() == "DONE"
    with RunStore.open(store_url) as store:
        ids = sorted(s.run_id for s in store.list(limit=None))
        assert ids == [f"{name}-{i:03d}" for name in ("left", "right") for i in range(4)]
        assert len(store.get("left-003").tables["table9"]) == 300
    assert counts(store_url) == {"runs": 8, "run_results": 8 * 20, "run_tables": 8 * 10}
