"""Schema migrations: alembic, driven from code (no alembic.ini at run time).

The revisions live in `bastion/store/migrations/versions/` and ship with the package.
`upgrade(engine)` brings a database to the newest revision; it is cheap when the
database is already there, and safe when several processes open a new store at once
(SQLite: the migration holds the write lock; PostgreSQL: an advisory lock).

To write a new revision after changing `schema.py`::

    .venv/bin/python -c "from alembic import command; from bastion.store.migrate import alembic_config; \\
        command.revision(alembic_config(url='sqlite:////tmp/x.sqlite'), 'what changed', autogenerate=True)"

(upgrade /tmp/x.sqlite to head first), then edit the generated file under `versions/`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from bastion.store.engine import WRITE_OPTION
from bastion.store.errors import SchemaTooNew

MIGRATIONS = Path(__file__).resolve().with_name("migrations")

#: Key of the PostgreSQL advisory lock held while migrating ("bastion" in a 31-bit number).
ADVISORY_LOCK_KEY = 0x0BA57104


def alembic_config(connection: Connection | None = None, *, url: str | None = None) -> Config:
    """An alembic Config for the packaged migrations, run on `connection` (or on `url`)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    # Revision files must be importable module names (mypy checks them): start with a letter.
    config.set_main_option("file_template", "r%%(rev)s_%%(slug)s")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this version of Bastion knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision; None for a database the store has never opened."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Migrate the database to `head_revision()`; nothing to do (and no lock taken) if it is there."""
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    current = current_revision(engine)
    if current == head:
        return
    if current is not None:
        try:
            script.get_revision(current)
        except CommandError as exc:
            raise SchemaTooNew(
                f"the database is at schema revision {current!r}, unknown to this Bastion "
                f"(newest known: {head!r}); upgrade Bastion to use it"
            ) from exc
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        command.upgrade(alembic_config(connection), "head")
