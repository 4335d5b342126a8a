"""Alembic environment: runs the migrations on the connection `bastion.store.migrate` passes.

Called with `config.attributes["connection"]` set (the normal case, inside the caller's
transaction), or with a `sqlalchemy.url` main option (a developer's autogenerate).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection, make_url

from bastion.store.engine import create_store_engine
from bastion.store.schema import Base


def run_on(connection: Connection) -> None:
    """Run the pending migrations on `connection`."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Entry point alembic calls when it loads this file."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no connection and no sqlalchemy.url: use bastion.store.migrate")
    engine = create_store_engine(make_url(url))
    try:
        with engine.begin() as new_connection:
            run_on(new_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported by the run store")
main()
