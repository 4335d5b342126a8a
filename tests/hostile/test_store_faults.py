"""A bad store gives one clear line and exit 2 from every `runs` command and `run`, never a traceback.

Corrupted files (garbage mid-file, a dropped table, a headline that is not JSON), a
read-only home, an in-memory URL, a server that refuses or accepts and never answers;
`run` checks the store before any work, so it writes nothing then.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bastion.store import RunRecord, RunStore, StoreDamaged, StoreReadOnly, StoreUnavailable


def record(index: int, rows: int = 50) -> RunRecord:
    text = f"name: run {index}\n"
    return RunRecord.new(
        scenario_name=f"run {index}",
        scenario_file="s.yaml",
        scenario_text=text,
        seed=index,
        paths=100,
        status="ok",
        headline={"status": "ok", "plan_cost": 1000.0 + index},
        results={"plan": {"status": "optimal", "lines": [{"line": f"L{i}"} for i in range(rows)]}},
        tables={"production": [{"line": f"L{i % 3}", "month": "2027-01", "units": i * 1.5} for i in range(rows)]},
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A BASTION_HOME whose store holds three runs."""
    folder = tmp_path / "home"
    with RunStore.open(f"sqlite:///{folder / 'runs.sqlite'}") as store:
        for index in range(3):
            store.save(record(index, rows=2000))
    return folder


def ids(home: Path) -> list[str]:
    with RunStore.open(f"sqlite:///{home / 'runs.sqlite'}") as store:
        return [row.run_id for row in store.list()]


def assert_run_writes_nothing(cli: Any, home: Path, tmp_path: Path, *extra: str) -> str:
    out = tmp_path / "report"
    proc = cli.run("run", str(cli.minimal), "--out", str(out), "--paths", "50", *extra, home=home, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert not out.exists() and not (tmp_path / "bastion-runs").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    line: str = cli.one_clear_line(proc)
    return line


def test_a_dropped_table_is_named(cli: Any, home: Path, tmp_path: Path) -> None:
    run_id = ids(home)[0]
    with sqlite3.connect(home / "runs.sqlite") as connection:
        connection.execute("DROP TABLE run_tables")
    url = f"sqlite:///{home / 'runs.sqlite'}"
    for args in (("runs", "list"), ("runs", "show", run_id), ("runs", "compare", run_id, run_id)):
        proc = cli.run(*args, home=home)
        assert proc.returncode == 2
        assert cli.one_clear_line(proc) == f"the run store {url} is damaged: table run_tables missing"
    line = assert_run_writes_nothing(cli, home, tmp_path)
    assert line == f"the run store {url} is damaged: table run_tables missing"


def test_a_headline_that_is_not_json_names_the_run(cli: Any, home: Path, tmp_path: Path) -> None:
    bad, good = ids(home)[1], ids(home)[0]
    with sqlite3.connect(home / "runs.sqlite") as connection:
        connection.execute("UPDATE runs SET headline = ? WHERE run_id = ?", ('{"status": ', bad))
    proc = cli.run("runs", "list", home=home)
    assert proc.returncode == 2
    line = cli.one_clear_line(proc)
    assert f"is damaged: run {bad}'s headline is not valid JSON" in line
    proc = cli.run("runs", "show", bad, home=home)
    assert proc.returncode == 2
    assert f"is damaged (reading run {bad}):" in cli.one_clear_line(proc)
    assert cli.run("runs", "show", good, "--json", home=home).returncode == 0  # the others still read
    with pytest.raises(StoreDamaged, match="headline is not valid JSON"), RunStore.open(
        f"sqlite:///{home / 'runs.sqlite'}"
    ) as store:
        store.list()


def test_garbage_mid_file(cli: Any, home: Path, tmp_path: Path) -> None:
    path = home / "runs.sqlite"
    run_id = ids(home)[0]
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    page = 4096
    with path.open("r+b") as handle:  # every page after the first few: headers and cells alike
        for offset in range(3 * page, size, page):
            handle.seek(offset + 8)
            handle.write(b"\xa5" * 200)
    url = f"sqlite:///{path}"
    for args in (("runs", "list"), ("runs", "show", run_id)):
        proc = cli.run(*args, home=home)
        assert proc.returncode == 2, proc.stdout
        assert cli.one_clear_line(proc).startswith(f"the run store {url} is damaged")
    line = assert_run_writes_nothing(cli, home, tmp_path)
    assert line.startswith(f"the run store {url} is damaged")
    with pytest.raises(StoreDamaged):
        RunStore.open(url, verify=True)


def test_a_file_that_is_not_a_database(cli: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "runs.sqlite").write_bytes(b"this is not a database\n" * 300)
    proc = cli.run("runs", "list", home=home)
    assert proc.returncode == 2
    assert cli.one_clear_line(proc) == (
        f"the run store sqlite:///{home / 'runs.sqlite'} is damaged (opening): file is not a database"
    )
    assert_run_writes_nothing(cli, home, tmp_path)


def test_a_read_only_home_can_be_listed_but_not_written(cli: Any, restore_modes: Path) -> None:
    home = restore_modes / "home"
    with RunStore.open(f"sqlite:///{home / 'runs.sqlite'}") as store:
        store.save(record(1))
        run_id = store.list()[0].run_id
    before = cli.files_under(home)
    (home / "runs.sqlite").chmod(0o444)
    home.chmod(0o555)
    proc = cli.run("runs", "list", "--json", home=home, unprivileged=True)
    assert proc.returncode == 0, proc.stderr
    assert run_id in proc.stdout
    proc = cli.run("runs", "show", run_id[:15], "--json", home=home, unprivileged=True)
    assert proc.returncode == 0, proc.stderr
    assert '"plan_cost": 1001.0' in proc.stdout
    out = restore_modes / "out"
    proc = cli.run(
        "run", str(cli.minimal), "--out", str(out), "--paths", "50", home=home, cwd=restore_modes, unprivileged=True
    )
    assert proc.returncode == 2
    assert cli.one_clear_line(proc) == (
        f"the run store sqlite:///{home / 'runs.sqlite'} is read-only (its file or folder is not writable)"
    )
    assert not out.exists()
    assert cli.files_under(home) == before  # no journal, no WAL file, nothing


def test_a_home_that_cannot_be_created(cli: Any, restore_modes: Path) -> None:
    locked = restore_modes / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    proc = cli.run("runs", "list", home=locked / "home", unprivileged=True)
    assert proc.returncode == 2
    assert cli.one_clear_line(proc) == (
        f"cannot create the run store sqlite:///{locked / 'home' / 'runs.sqlite'}: "
        f"the folder {locked} is not writable"
    )


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://", "sqlite:///file::memory:?uri=true"])
def test_an_in_memory_store_is_refused(cli: Any, tmp_path: Path, url: str) -> None:
    proc = cli.run("runs", "list", "--db", url, home=tmp_path)
    assert proc.returncode == 2
    line = cli.one_clear_line(proc)
    assert line.startswith(f"the run store {url} is an in-memory database: a run saved there is lost")
    assert_run_writes_nothing(cli, tmp_path, tmp_path, "--db", url)
    with pytest.raises(StoreUnavailable, match="in-memory"):
        RunStore.open(url)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections and never says a word."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_a_server_that_never_answers_gives_one_line(cli: Any, tmp_path: Path, silent_server: int) -> None:
    url = f"postgresql://bastion:secret@127.0.0.1:{silent_server}/runs"
    shown = f"postgresql://bastion:***@127.0.0.1:{silent_server}/runs"
    # The subprocess limit only stops a hang from hanging the suite; the store gives up after 5 s.
    proc = cli.run("runs", "list", "--db", url, home=tmp_path, timeout=60)
    assert proc.returncode == 2
    line = cli.one_clear_line(proc)
    assert line.startswith(f"the run store {shown} did not answer in time (opening): ")
    assert "secret" not in line and "default store" not in line
    line = assert_run_writes_nothing(cli, tmp_path, tmp_path, "--db", url)
    assert line.startswith(f"the run store {shown} did not answer in time")


def test_a_refused_connection_names_the_url_given(cli: Any, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://bastion@127.0.0.1:{port}/runs"
    proc = cli.run("runs", "list", home=tmp_path, db=url)
    assert proc.returncode == 2
    line = cli.one_clear_line(proc)
    assert line.startswith(f"cannot use the run store {url} (opening): ")
    assert "refused" in line.lower()


def test_not_a_url(cli: Any, tmp_path: Path) -> None:
    proc = cli.run("runs", "list", "--db", "nonsense", home=tmp_path)
    assert proc.returncode == 2
    assert "is not a database URL" in cli.one_clear_line(proc)


def test_save_on_a_read_only_store_refuses(tmp_path: Path) -> None:
    with RunStore.open(f"sqlite:///{tmp_path / 'runs.sqlite'}") as store:
        store.save(record(1))
    from sqlalchemy.engine import make_url

    from bastion.store.engine import create_store_engine

    store = RunStore(create_store_engine(make_url(f"sqlite:///{tmp_path / 'runs.sqlite'}"), read_only=True),
                     read_only=True)
    with store, pytest.raises(StoreReadOnly, match="cannot be saved"):
        store.save(record(2))
