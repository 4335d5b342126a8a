"""The store's tables, as SQLAlchemy 2 typed ORM classes.

`runs` holds one row per run (inputs, provenance, headline); `run_results` one row per
engine result (JSON) and `run_tables` one row per tidy table (its rows as a JSON list).
JSON columns use `sqlalchemy.JSON`, which is TEXT on SQLite and `json` on PostgreSQL
(kept verbatim, so key order survives a round trip; nothing queries inside it).

The schema is created and changed only by the alembic migrations in `migrations/`;
`tests/store` checks that they produce exactly these tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC; read back as UTC-aware on every backend.

    SQLite has no time zones: values are converted to UTC before they are written and
    marked UTC when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone-aware one (UTC)")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Run(Base):
    """One finished run."""

    __tablename__ = "runs"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    scenario_name: Mapped[str] = mapped_column(Text)
    scenario_file: Mapped[str] = mapped_column(Text)
    scenario_text: Mapped[str] = mapped_column(Text)
    scenario_hash: Mapped[str] = mapped_column(String(64), index=True)
    seed: Mapped[int] = mapped_column(Integer)
    paths: Mapped[int] = mapped_column(Integer)
    versions: Mapped[dict[str, str]] = mapped_column(JSON)
    timings: Mapped[dict[str, float]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32))
    headline: Mapped[dict[str, Any]] = mapped_column(JSON)

    results: Mapped[list[RunResult]] = relationship(
        back_populates="run",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RunResult.position",
    )
    tables: Mapped[list[RunTable]] = relationship(
        back_populates="run",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RunTable.position",
    )


class RunResult(Base):
    """One engine's result object of a run."""

    __tablename__ = "run_results"

    run_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    )
    engine: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    """Order of the engine in the record's `results` (kept on a round trip)."""
    data: Mapped[Any] = mapped_column("json", JSON)

    run: Mapped[Run] = relationship(back_populates="results")


class RunTable(Base):
    """One tidy table of a run: its rows as a JSON list of objects."""

    __tablename__ = "run_tables"

    run_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    """Order of the table in the record's `tables` (kept on a round trip)."""
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    run: Mapped[Run] = relationship(back_populates="tables")


class Study(Base):
    """One study: many variants of one scenario, each stored as a run (see `StudyRun`)."""

    __tablename__ = "studies"

    study_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    scenario_name: Mapped[str] = mapped_column(Text)
    scenario_file: Mapped[str] = mapped_column(Text)
    scenario_text: Mapped[str] = mapped_column(Text)
    scenario_hash: Mapped[str] = mapped_column(String(64), index=True)
    seed: Mapped[int] = mapped_column(Integer)
    paths: Mapped[int] = mapped_column(Integer)
    versions: Mapped[dict[str, str]] = mapped_column(JSON)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column("json", JSON)
    """The study JSON object (`bastion study --json`)."""

    members: Mapped[list[StudyRun]] = relationship(
        back_populates="study",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="StudyRun.position",
    )


class StudyRun(Base):
    """One variant of a study: its member run (none for a variant that did not run)."""

    __tablename__ = "study_runs"

    study_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("studies.study_id", ondelete="CASCADE"), primary_key=True
    )
    variant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("runs.run_id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(32))

    study: Mapped[Study] = relationship(back_populates="members")


# The server's tables share this Base (imported last: they need Base and UTCDateTime).
from bastion.store import server_tables as _server_tables  # noqa: E402,F401  (fills Base.metadata)
