"""Alembic migrations: they build the schema on an empty database, match the ORM, and rerun as no-ops."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url

from bastion.store import RunRecord, RunStore, SchemaTooNew
from bastion.store.engine import create_store_engine
from bastion.store.migrate import MIGRATIONS, alembic_config, current_revision, head_revision, upgrade
from bastion.store.schema import Base
from bastion.store.server_tables import User  # noqa: F401 (imports the server tables into the schema)

MakeRecord = Callable[..., RunRecord]
ALL_TABLES = {
    "alembic_version", "runs", "run_results", "run_tables", "studies", "study_runs",
    "users", "api_tokens", "login_failures", "server_scenarios", "scenario_releases", "scenario_revisions",
    "audit_records", "audit_head", "server_runs",
}


def create_store_engine_for(url: str) -> Engine:
    return create_store_engine(make_url(url))


def tables_of(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS / "env.py").is_file()
    assert list((MIGRATIONS / "versions").glob("r*_*.py"))
    assert head_revision() == "0009"


def test_opening_an_empty_database_creates_the_schema_at_head(store_url: str) -> None:
    assert tables_of(store_url) == set()
    RunStore.open(store_url).close()
    assert tables_of(store_url) == ALL_TABLES
    engine = create_store_engine_for(store_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_the_migrated_schema_is_exactly_the_orm_schema(store_url: str) -> None:
    RunStore.open(store_url).close()
    engine = create_store_engine_for(store_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_a_second_open_changes_nothing_and_keeps_the_runs(store_url: str, make_record: MakeRecord) -> None:
    with RunStore.open(store_url) as store:
        store.save(make_record("before"))
    engine = create_store_engine_for(store_url)
    try:
        upgrade(engine)  # idempotent: already at head
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert versions == [head_revision()]
    finally:
        engine.dispose()
    with RunStore.open(store_url) as store:
        assert [s.run_id for s in store.list()] == ["before"]


def test_a_database_from_a_newer_bastion_is_refused(store_url: str) -> None:
    RunStore.open(store_url).close()
    engine = create_store_engine_for(store_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    finally:
        engine.dispose()
    with pytest.raises(SchemaTooNew, match="9999_future"):
        RunStore.open(store_url)


def test_downgrade_to_base_and_back(store_url: str) -> None:
    RunStore.open(store_url).close()
    engine = create_store_engine_for(store_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert tables_of(store_url) == {"alembic_version"}
        upgrade(engine)
        assert tables_of(store_url) == ALL_TABLES
    finally:
        engine.dispose()
