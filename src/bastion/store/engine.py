"""The SQLAlchemy engine factory: one engine per `RunStore`, never a module-level one.

SQLite is set up so that several processes can write one file: WAL journal (readers
never block the writer), a busy timeout (a second writer waits instead of failing),
foreign keys on, and transactions that SQLAlchemy begins itself, so that DDL is
transactional too and a writing transaction takes the write lock at its start
(`BEGIN IMMEDIATE`, asked for with the `WRITE_OPTION` execution option) rather than
failing half way when another process holds it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry

#: Seconds a SQLite writer waits for another process's write to finish before giving up.
BUSY_TIMEOUT_S = 60.0

#: Seconds to wait for a PostgreSQL server to accept a connection and answer its start-up.
CONNECT_TIMEOUT_S = 5

#: Seconds one PostgreSQL statement may run (a hung or locked server gives an error, not a hang).
STATEMENT_TIMEOUT_S = 10

#: Execution option that marks a connection as about to write (SQLite: `BEGIN IMMEDIATE`).
WRITE_OPTION = "bastion_write"


def json_dumps(value: Any) -> str:
    """Strict JSON: NaN and Infinity are refused (PostgreSQL's json type refuses them too)."""
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def normalise_url(url: URL) -> URL:
    """Pick the psycopg (3) driver for a bare `postgresql://` (or `postgres://`) URL."""
    if url.drivername in ("postgres", "postgresql"):
        return url.set(drivername="postgresql+psycopg")
    return url


def create_store_engine(
    url: URL, *, read_only: bool = False, connections: int | None = None, prepare_at_once: bool = False
) -> Engine:
    """A new engine for `url`, with the SQLite settings above where the URL is SQLite.

    PostgreSQL gets a connect timeout, a statement timeout and TCP keepalives, so that an
    unreachable or hung server gives an error within seconds. `read_only` (SQLite only)
    opens an existing file without ever writing to it or beside it (no WAL switch, no
    journal files): for a store in a read-only file or folder.

    `connections`: the most connections the engine's pool opens, all of them kept open once opened
    (SQLAlchemy's default pool keeps 5 and closes any more as soon as they are returned, so a caller
    using 6 to 15 at once opens and closes connections all the time: on PostgreSQL each is a new
    server process). None: SQLAlchemy's default (5 kept, 10 more opened when needed).

    `prepare_at_once` (PostgreSQL): psycopg prepares each statement on a connection the first time it
    runs there (`prepare_threshold=0`), not the sixth: a server repeats the same few statements on
    each of its pooled connections, and until each is prepared PostgreSQL plans it at every run (a
    list page's statement: about 0.5-0.9 ms of planning on a busy machine).
    """
    url = normalise_url(url)
    pool: dict[str, Any] = {} if connections is None else {"pool_size": connections, "max_overflow": 0}
    if url.get_backend_name() == "postgresql":
        connect = _postgres_args(url)
        if prepare_at_once:
            connect["prepare_threshold"] = 0
        return create_engine(url, json_serializer=json_dumps, pool_pre_ping=True, connect_args=connect, **pool)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, json_serializer=json_dumps, pool_pre_ping=True, **pool)
    database = url.database
    if not database or database == ":memory:" or "mode=memory" in database:
        pool = {}  # one connection per thread (SQLAlchemy's pool for an in-memory database): nothing to size
    if read_only and database:
        path = quote(str(Path(database).expanduser()))
        url = url.set(database=f"file:{path}", query={"mode": "ro", "immutable": "1", "uri": "true"})
    elif database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, json_serializer=json_dumps, connect_args={"timeout": BUSY_TIMEOUT_S}, **pool)
    event.listen(engine, "connect", _sqlite_on_connect_read_only if read_only else _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _postgres_args(url: URL) -> dict[str, Any]:
    """libpq settings for timeouts, unless the URL sets them itself."""
    args: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
    }
    if "options" not in url.query:
        args["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_S * 1000}"
    return {key: value for key, value in args.items() if key not in url.query}


def _sqlite_on_connect_read_only(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see _sqlite_on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Put the file in WAL mode (persistent: once set, later connections only read it).

    Switching needs an exclusive lock, and SQLite can answer "database is
    locked" at once, without its busy handler, while another process is
    creating or switching the same new file; so retry for up to BUSY_TIMEOUT_S.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.01
    while True:
        try:
            row = cursor.execute("PRAGMA journal_mode").fetchone()
            if row is not None and str(row[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(0.2, delay * 2)


def _sqlite_on_begin(connection: Connection) -> None:
    immediate = bool(connection.get_execution_options().get(WRITE_OPTION, False))
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
