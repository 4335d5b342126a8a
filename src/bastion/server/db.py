"""The server's database: the run store's engine and schema (migrated), and a session factory.

A request that changes something (`Database.session()`) writes from its start: on SQLite its
transaction takes the file's write lock at once (`BEGIN IMMEDIATE`), so two writers queue instead
of failing half way. A request that only reads (`Database.session(read=True)`: GET, HEAD,
OPTIONS) takes no lock: SQLite in WAL mode lets any number of readers run beside the writer, each
on a snapshot. Its audit record (the one thing it writes) goes through the database's
`AuditBatch`, which appends the records of concurrent readers together in one short transaction
of its own and returns once they are committed (audit.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session, sessionmaker

from bastion.server.audit import BATCH_KEY, AuditBatch
from bastion.store.engine import WRITE_OPTION, create_store_engine
from bastion.store.errors import StoreUnavailable
from bastion.store.faults import translated
from bastion.store.location import chosen_url, describe, resolve_url
from bastion.store.migrate import upgrade

CONNECTIONS = 15
"""Connections of a server process's request pool, each kept open once opened: more than the requests
admitted at once (serial.py: 8 readers and up to 4 writers; event streams and sign-ins beside them).
SQLAlchemy's default pool kept 5 and closed any other as soon as it was returned; the readers of a
group commit return theirs together, so under 20 clients about one request in ten opened a new
connection (on PostgreSQL a new server process, whose start costs more CPU than the request)."""


class Read(Exception):
    """A reading session was asked to write something other than its audit record."""


class Database:
    """One engine on the store, migrated to head; writing sessions take the write lock at their start."""

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        """Open (and migrate) the store at `url` (default: `$BASTION_DATABASE_URL`, else the default
        SQLite file). `create=False`: a SQLite file that does not exist is refused (`StoreUnavailable`
        naming it) rather than created, for the commands that only read or change an existing store."""
        resolved = resolve_url(url)
        self.where = describe(resolved, chosen_url(url))
        if not create and (missing := missing_sqlite_file(resolved)) is not None:
            raise StoreUnavailable(
                f"no server store at {missing} ({self.where}): the file does not exist; check the path "
                "(or $BASTION_DATABASE_URL, $BASTION_HOME); `bastion serve` creates the store on its first start"
            )
        self.created = missing_sqlite_file(resolved)
        """The SQLite file this opening created (None: it existed, or the store is not a SQLite file)."""
        with translated(self.where, "opening"):
            self.engine: Engine = create_store_engine(resolved, connections=CONNECTIONS, prepare_at_once=True)
            upgrade(self.engine)
        # The audit batch's own engine (one writer at a time uses it), outside the requests' pool.
        self._audit_engine = create_store_engine(resolved, prepare_at_once=True)
        if self.engine.dialect.name == "sqlite":
            for engine in (self.engine, self._audit_engine):
                event.listen(engine, "connect", _sqlite_server_connect)
            self.engine.dispose()  # the migration's pooled connection predates the setting
        writing = {WRITE_OPTION: True}  # SQLite: BEGIN IMMEDIATE
        self._sessions = sessionmaker(self.engine.execution_options(**writing), expire_on_commit=False)
        self._readers = sessionmaker(self.engine, expire_on_commit=False)
        self._reads_autocommit = self.engine.dialect.name == "postgresql"
        self.audit = AuditBatch(self._audit_engine.execution_options(**writing))

    def session(self, read: bool = False) -> Session:
        """A new session (the caller commits or rolls back, and closes it). `read`: a session that
        only reads (it takes no lock; its audit records go through `self.audit`); writing anything
        else through it raises `Read`."""
        if not read:
            return self._sessions()
        session = self._readers(info={BATCH_KEY: self.audit})
        event.listen(session, "before_flush", _refuse_writes)
        if self._reads_autocommit:
            # PostgreSQL: no BEGIN and COMMIT around the read's statements (two round trips). Under READ
            # COMMITTED each statement reads its own snapshot, in a transaction or not, so a read sees the
            # same either way. Set on this session's first connection only (given back to the pool as it
            # was): the engine stays plain, so what derives its own settings from `get_bind()` (the chain's
            # check, REPEATABLE READ; a run store) gets them.
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed at the end of the block, rolled back on an exception."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        """Release the connections."""
        self.audit.close()
        self.engine.dispose()
        self._audit_engine.dispose()


def missing_sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL when it does not exist yet (None for an existing file or another database)."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    return None if path.exists() else path


def _refuse_writes(session: Session, flush_context: Any, instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise Read("a reading request tried to change the store (open it with Database.session())")


def _sqlite_server_connect(dbapi_connection: Any, record: Any) -> None:
    """The server's SQLite connections commit without waiting for the disk (WAL with synchronous=NORMAL):
    every request commits an audit record, and a full sync took most of a request's time. The file
    stays consistent after a crash or power loss; the last commits before a power loss may be lost."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
