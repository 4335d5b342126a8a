"""Reading sessions: no lock, their audit records appended in batches (a group commit), each
committed before its request is answered; and the admission of readers beside writers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from tests.server.conftest import Server

from bastion.server import audit
from bastion.server.db import CONNECTIONS, Database, Read
from bastion.server.serial import AdmitRequests, Limits
from bastion.store.engine import create_store_engine
from bastion.store.server_tables import AuditRecord, User


def records(server: Server) -> list[AuditRecord]:
    with server.db.session() as session:
        return list(session.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars())


def test_concurrent_readers_and_writers_extend_one_unbroken_chain(make_server: Callable[..., Server]) -> None:
    """12 threads append 20 records each through reading sessions while 3 append through writing
    ones: every record is there once, numbered 1..N without a gap, and the chain verifies."""
    server = make_server()
    errors: list[BaseException] = []
    start = threading.Barrier(15)

    def reader(n: int) -> None:
        try:
            start.wait()
            for i in range(20):
                with server.db.session(read=True) as session:
                    audit.append(session, actor=f"r{n}", address="t", action="read", obj=f"{n}/{i}", outcome="ok")
                    session.commit()
        except BaseException as error:
            errors.append(error)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(10):
                with server.db.transaction() as session:
                    audit.append(session, actor=f"w{n}", address="t", action="write", obj=f"{n}/{i}", outcome="ok")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(12)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    rows = records(server)
    assert [r.seq for r in rows] == list(range(1, 12 * 20 + 3 * 10 + 1))
    assert sorted(r.object for r in rows if r.action == "read") == sorted(
        f"{n}/{i}" for n in range(12) for i in range(20)
    )
    assert sorted(r.object for r in rows if r.action == "write") == sorted(
        f"{n}/{i}" for n in range(3) for i in range(10)
    )
    # each thread's records in the order it appended them (it waits for each one's commit)
    for n in range(12):
        assert [r.object for r in rows if r.actor == f"r{n}"] == [f"{n}/{i}" for i in range(20)]
    with server.db.session() as session:
        assert audit.verify(session) == (len(rows), None)


def test_a_reading_session_appends_before_it_returns_and_refuses_other_writes(server: Server) -> None:
    with server.db.session(read=True) as session:
        audit.append(session, actor="ana", address="t", action="read-scenario", obj="scenario:x", outcome="ok")
        # committed already, by the batch, although this session has not committed
        assert [(r.actor, r.action) for r in records(server)] == [("ana", "read-scenario")]
        session.add(
            User(
                name="mallory",
                role="admin",
                nation="LVA",
                clearance="SECRET",
                disabled=False,
                password_hash="x",
                created_at=datetime.now(UTC),
            )
        )
        with pytest.raises(Read, match="a reading request tried to change the store"):
            session.flush()
        session.rollback()
    with server.db.session() as session:
        assert session.execute(select(User).where(User.name == "mallory")).first() is None


def test_a_failed_batch_fails_its_requests_and_the_next_one_writes(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = audit._write

    def broken(session: object, rows: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "_write", broken)
    with server.db.session(read=True) as session, pytest.raises(RuntimeError, match="disk full"):
        audit.append(session, actor="ana", address="t", action="read-run", obj="run:1", outcome="ok")
    assert records(server) == []
    monkeypatch.setattr(audit, "_write", real)
    with server.db.session(read=True) as session:
        audit.append(session, actor="ana", address="t", action="read-run", obj="run:2", outcome="ok")
    assert [(r.seq, r.object) for r in records(server)] == [(1, "run:2")]


def test_readers_pass_a_writer_that_holds_its_slot_and_writers_go_in_turn() -> None:
    """With 1 writer and 2 readers admitted: while a POST is inside, GETs are answered, a second POST
    waits until the first is out, and a third GET waits for one of two GETs held inside."""
    inside: list[str] = []
    release: dict[str, asyncio.Event] = {}

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        name = str(scope["path"])
        inside.append(name)
        await release[name].wait()
        inside.remove(name)

    gate = AdmitRequests(app, Limits(readers=2, writers=1))  # type: ignore[arg-type]

    async def request(method: str, name: str) -> None:
        release[name] = asyncio.Event()
        await gate({"type": "http", "method": method, "path": name, "headers": []}, None, None)  # type: ignore[arg-type]

    async def scenario() -> None:
        tasks = {
            n: asyncio.create_task(request(m, n))
            for m, n in (("POST", "w1"), ("POST", "w2"), ("GET", "r1"), ("GET", "r2"), ("HEAD", "r3"))
        }
        await asyncio.sleep(0.05)
        assert sorted(inside) == ["r1", "r2", "w1"]
        release["r1"].set()
        await tasks["r1"]
        await asyncio.sleep(0.05)
        assert sorted(inside) == ["r2", "r3", "w1"]
        release["w1"].set()
        await tasks["w1"]
        await asyncio.sleep(0.05)
        assert sorted(inside) == ["r2", "r3", "w2"]
        for name in ("r2", "r3", "w2"):
            release[name].set()
        await asyncio.gather(*tasks.values())
        assert inside == []

    asyncio.run(scenario())


def test_every_sqlite_connection_of_the_server_is_in_wal_with_normal_sync_and_a_busy_timeout(tmp_path: Path) -> None:
    """Set per connection when it is opened (event listeners): the requests' reading and writing sessions
    and the audit batch's own connection alike."""
    db = Database(f"sqlite:///{tmp_path / 'pragmas.sqlite'}")
    pragmas = ("journal_mode", "synchronous", "busy_timeout")
    try:
        for read in (True, False):
            with db.session(read=read) as session:
                assert [session.execute(text(f"PRAGMA {name}")).scalar() for name in pragmas] == ["wal", 1, 60_000]
        with db.session(read=True) as session:  # the batch opens its connection on its first record
            audit.append(session, actor="ana", address="t", action="read-run", obj="run:1", outcome="ok")
        connection = db.audit._connection
        assert connection is not None
        assert [connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in pragmas] == ["wal", 1, 60_000]
    finally:
        db.close()


def test_steady_reading_lets_the_sqlite_log_restart(tmp_path: Path) -> None:
    """A read ends its own transaction before its record is committed, so SQLite's automatic
    checkpoint (every 1,000 pages, ~4 MB) completes and the write-ahead log restarts from its start:
    over 1,500 reads one at a time it stays within two checkpoints' worth. (Holding the read open
    while its record committed, the log only grew: 27 MB over the same reads.)"""
    db = Database(f"sqlite:///{tmp_path / 'wal.sqlite'}")
    try:
        for i in range(1500):
            with db.session(read=True) as session:
                session.execute(select(AuditRecord.seq).limit(1)).all()
                audit.append(session, actor="a", address="t", action="read", obj=str(i), outcome="ok")
                session.commit()
        assert (tmp_path / "wal.sqlite-wal").stat().st_size < 8 * 1024 * 1024
        with db.session() as session:
            assert session.execute(select(AuditRecord.seq).order_by(AuditRecord.seq.desc())).scalars().first() == 1500
    finally:
        db.close()


def test_the_request_pool_keeps_every_connection_it_opens(make_server: Callable[..., Server]) -> None:
    """Readers returning their connections together (as a group commit's do) close none of them: 12
    sessions at once open 12 connections, and 12 more at once afterwards open none (SQLAlchemy's
    default pool kept 5 and closed the other 7: 7 new connections, on PostgreSQL 7 new server
    processes). The pool opens at most `db.CONNECTIONS` (15)."""
    server = make_server()
    server.db.engine.dispose()
    opened: list[object] = []
    event.listen(server.db.engine, "connect", lambda dbapi, record: opened.append(dbapi))
    for _ in range(2):
        sessions = [server.db.session(read=True) for _ in range(12)]
        for session in sessions:
            session.execute(text("SELECT 1"))
        for session in sessions:
            session.commit()
            session.close()
    assert len(opened) == 12
    assert CONNECTIONS == 15 and server.db.engine.pool.size() == 15  # type: ignore[attr-defined]


def test_reading_sessions_send_no_begin_on_postgresql_and_give_their_connection_back_as_it_was(
    make_server: Callable[..., Server],
) -> None:
    """On PostgreSQL a reading session's statements run without BEGIN and COMMIT (autocommit: each reads
    its own snapshot, as under READ COMMITTED in a transaction); its connection goes back to the pool
    transactional, so a writing session on it still rolls back as a whole. SQLite: plain transactions."""
    server = make_server()
    server.db.engine.dispose()
    postgresql = server.db.engine.dialect.name == "postgresql"
    with server.db.session(read=True) as session:
        connection = session.connection()
        assert connection.execute(text("SELECT 1")).scalar() == 1
        if postgresql:
            assert connection.connection.driver_connection.autocommit is True  # type: ignore[union-attr]
    assert server.db.engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    with server.db.session() as writing:
        driver = writing.connection().connection.driver_connection
        assert driver is not None
        if postgresql:
            assert driver.autocommit is False
        writing.add(
            User(
                name="w",
                role="analyst",
                nation="LVA",
                clearance="SECRET",
                password_hash="-",
                created_at=datetime.now(UTC),
            )
        )
        writing.flush()
        writing.rollback()
    with server.db.session(read=True) as session:
        assert session.execute(select(User).where(User.name == "w")).first() is None


def test_a_batch_starts_a_missing_head_and_the_chain_verifies(make_server: Callable[..., Server]) -> None:
    """The batch writer moves the chain's head, or starts it when its row is missing, as a writing
    request's append does (on PostgreSQL the batch writes in two round trips, the head by an upsert:
    audit._write_pipelined); the records it appends one or several at a time form one chain."""
    server = make_server()
    with server.db.transaction() as session:
        session.execute(text("DELETE FROM audit_head"))
    with server.db.session(read=True) as session:
        audit.append(session, actor="ana", address="t", action="read", obj="-", outcome="ok")
    start = threading.Barrier(4)

    def read(n: int) -> None:
        start.wait()
        with server.db.session(read=True) as session:
            audit.append(session, actor="ana", address="t", action="read", obj=f"run:{n}", outcome="ok")

    threads = [threading.Thread(target=read, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    chain = records(server)
    assert [r.seq for r in chain] == [1, 2, 3, 4, 5]
    assert sorted(r.object for r in chain[1:]) == ["run:0", "run:1", "run:2", "run:3"]
    with server.db.session() as session:
        assert session.execute(text("SELECT id, seq, hash FROM audit_head")).all() == [(1, 5, chain[-1].hash)]
        assert audit.verify(session) == (5, None)


def test_a_batch_hashes_any_text_as_verify_does(make_server: Callable[..., Server]) -> None:
    """Records whose fields hold quotes, backslashes, control characters and non-ASCII text, appended by
    the batch writer (on PostgreSQL in psycopg's pipeline mode): the chain verifies, each stored hash is
    `digest` of its record, and the fields read back unchanged (cut at their columns' lengths)."""
    server = make_server()
    texts = ['"quoted" \\ back', "tab\tnew\nline\r\x01\x1f", "Zīle Šķērsiela ķ", "日本 🚀 \u2028", "a" * 250]
    for n, value in enumerate(texts):
        with server.db.session(read=True) as session:
            audit.append(session, actor=value, address="t", action=f"read-{n}", obj=value, outcome="ok")
    chain = records(server)
    assert [r.actor for r in chain] == [t[:200] for t in texts] and [r.object for r in chain] == [
        t[:200] for t in texts
    ]
    assert [r.hash for r in chain] == [audit.digest(r) for r in chain]
    with server.db.session() as session:
        assert audit.verify(session) == (len(texts), None)


def test_the_server_s_postgresql_connections_prepare_statements_at_once(make_server: Callable[..., Server]) -> None:
    """psycopg prepares a statement the first time a server connection runs it (`prepare_threshold`
    0, not its default 5): otherwise each of a process's 15 connections planned every statement five
    times over before using a prepared one. Other engines (the command line's) keep the default."""
    server = make_server()
    if server.db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    with server.db.session(read=True) as session:
        assert session.connection().connection.driver_connection.prepare_threshold == 0  # type: ignore[union-attr]
    plain = create_store_engine(server.db.engine.url)
    try:
        with plain.connect() as connection:
            assert connection.connection.driver_connection.prepare_threshold == 5  # type: ignore[union-attr]
    finally:
        plain.dispose()
