"""Turning database trouble into one clear line: the store's checks and error translation.

Every way a store can fail (a file that is not a database, a page of garbage, a dropped
table, JSON that does not parse, a read-only folder, a server that refuses, hangs or
drops) leaves the store as a `StoreError` whose message names the store's URL and says
what is wrong in one line; nothing else escapes the store.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bastion.store.errors import StoreDamaged, StoreError, StoreReadOnly, StoreUnavailable

#: The tables every store has (see `schema.py`).
TABLES = ("runs", "run_results", "run_tables")

_DAMAGE = ("malformed", "not a database", "no such table", "no such column", "corrupt", "disk i/o error")
_READ_ONLY = ("readonly", "read-only", "read only")


def first_line(error: BaseException) -> str:
    """The driver's own message, first line, without SQLAlchemy's SQL and background lines."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


@contextmanager
def translated(where: str, doing: str) -> Iterator[None]:
    """Re-raise any database error inside the block as a one-line `StoreError` about `where`."""
    try:
        yield
    except StoreError:
        raise
    except DBAPIError as error:
        raise classify(error, where, doing) from error
    except (sqlite3.Error, SQLAlchemyError, CommandError, OSError) as error:
        raise StoreUnavailable(f"cannot use the run store {where} ({doing}): {first_line(error)}") from error
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        # JSON that does not parse, a date that is not one, a value of the wrong type.
        raise StoreDamaged(f"the run store {where} is damaged ({doing}): {first_line(error)}") from error


def classify(error: DBAPIError, where: str, doing: str) -> StoreError:
    """Which kind of store trouble a driver error is."""
    message = first_line(error)
    lowered = message.lower()
    if any(word in lowered for word in _READ_ONLY):
        return StoreReadOnly(f"the run store {where} is read-only ({doing}): {message}")
    if isinstance(error.orig, sqlite3.DatabaseError) and any(word in lowered for word in _DAMAGE):
        return StoreDamaged(f"the run store {where} is damaged ({doing}): {message}")
    if "timeout" in lowered or "timed out" in lowered or "canceling statement" in lowered:
        return StoreUnavailable(f"the run store {where} did not answer in time ({doing}): {message}")
    return StoreUnavailable(f"cannot use the run store {where} ({doing}): {message}")


def sqlite_read_only(url: URL, where: str) -> bool:
    """For a SQLite file URL: True if the file exists but cannot be written (or its folder).

    Raises `StoreUnavailable` when the file does not exist and cannot be created there.
    """
    if url.get_backend_name() != "sqlite" or not url.database or url.database.startswith("file:"):
        return False
    path = Path(url.database).expanduser()
    if path.exists():
        if path.is_dir():
            raise StoreUnavailable(f"cannot open the run store {where}: {path} is a folder, not a file")
        return not (os.access(path, os.R_OK | os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK))
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise StoreUnavailable(f"cannot create the run store {where}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise StoreUnavailable(f"cannot create the run store {where}: the folder {ancestor} is not writable")
    return False


def check_schema(engine: Engine, where: str, *, deep: bool) -> None:
    """Raise `StoreDamaged` if a table is missing, or (`deep`, SQLite) the file fails its integrity check."""
    names = set(inspect(engine).get_table_names())
    missing = [name for name in TABLES if name not in names]
    if missing:
        raise StoreDamaged(
            f"the run store {where} is damaged: table{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} missing"
        )
    if deep and engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            rows = connection.execute(text("PRAGMA quick_check(3)")).scalars().all()
        if [str(row) for row in rows] != ["ok"]:
            found = [line.strip() for row in rows for line in str(row).splitlines()]
            found = [line for line in found if line and not line.startswith("***")]
            raise StoreDamaged(f"the run store {where} is damaged: integrity check: {'; '.join(found[:2])}")
