"""The server's database: the run store's engine and schema (migrated), and a session factory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bastion.store.engine import WRITE_OPTION, create_store_engine
from bastion.store.faults import translated
from bastion.store.location import chosen_url, describe, resolve_url
from bastion.store.migrate import upgrade


class Database:
    """One engine on the store, migrated to head; sessions take the write lock at their start."""

    def __init__(self, url: str | None = None) -> None:
        resolved = resolve_url(url)
        self.where = describe(resolved, chosen_url(url))
        with translated(self.where, "opening"):
            self.engine: Engine = create_store_engine(resolved)
            upgrade(self.engine)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_server_connect)
            self.engine.dispose()  # the migration's pooled connection predates the setting
        # Every request writes (at least its audit record): begin as a writer (SQLite: BEGIN IMMEDIATE).
        self._sessions = sessionmaker(self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)

    def session(self) -> Session:
        """A new session (the caller commits or rolls back, and closes it)."""
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed at the end of the block, rolled back on an exception."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


def _sqlite_server_connect(dbapi_connection: Any, record: Any) -> None:
    """The server's SQLite connections commit without waiting for the disk (WAL with synchronous=NORMAL):
    every request commits an audit record, and a full sync took most of a request's time. The file
    stays consistent after a crash or power loss; the last commits before a power loss may be lost."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
