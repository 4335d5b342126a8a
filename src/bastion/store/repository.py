"""`RunStore`: save, list, get and delete finished runs in a SQL database."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import Text, cast, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bastion.store.engine import WRITE_OPTION, create_store_engine
from bastion.store.errors import (
    AmbiguousRunId,
    InvalidRecord,
    RunExists,
    RunNotFound,
    StoreDamaged,
    StoreReadOnly,
    StoreUnavailable,
)
from bastion.store.faults import check_schema, sqlite_read_only, translated
from bastion.store.location import chosen_url, describe, resolve_url
from bastion.store.migrate import current_revision, head_revision, upgrade
from bastion.store.record import RunRecord, RunSummary, scenario_hash
from bastion.store.schema import Run, RunResult, RunTable

#: How many matching ids an ambiguity error lists.
_SHOWN_MATCHES = 5


class RunStore:
    """Finished runs in a SQL database (a SQLite file by default, PostgreSQL by URL).

    Open with `RunStore.open()`, which migrates the schema; close with `close()` or use
    it as a context manager. Each `save` is one transaction: a run lands with all its
    results and tables, or not at all. Any database trouble comes out as a `StoreError`
    whose message names the store and fits on one line.
    """

    def __init__(self, engine: Engine, *, read_only: bool = False, where: str | None = None) -> None:
        """Wrap an engine made by `create_store_engine` whose schema is migrated; see `open`."""
        self._engine = engine
        self.read_only = read_only
        """True for a store opened read-only (a read-only file or folder): `save` and `delete` refuse."""
        self._where = where or describe(engine.url)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        # `get` reads a run in several statements: on PostgreSQL make them one snapshot
        # (a SQLite read transaction is one already).
        self._snapshot = (
            engine.execution_options(isolation_level="REPEATABLE READ")
            if engine.dialect.name == "postgresql"
            else engine
        )

    @classmethod
    def open(cls, url: str | None = None, *, for_writing: bool = False, verify: bool = False) -> RunStore:
        """Open the store at `url` (see `bastion.store.location` for the default) and migrate it.

        A SQLite file that cannot be written (or whose folder cannot) is opened read-only,
        unless `for_writing`, which raises `StoreReadOnly` then. `verify` also runs SQLite's
        integrity check over the whole file (what `bastion run` does before any work).
        Raises a `StoreError` for every problem: `StoreUnavailable` (bad or in-memory URL,
        unreachable or hung server), `StoreDamaged`, `StoreReadOnly`, `SchemaTooNew`.
        """
        resolved = resolve_url(url)
        where = describe(resolved, chosen_url(url))
        read_only = sqlite_read_only(resolved, where)
        if read_only and for_writing:
            raise StoreReadOnly(f"the run store {where} is read-only (its file or folder is not writable)")
        with translated(where, "opening"):
            engine = create_store_engine(resolved, read_only=read_only)
        try:
            with translated(where, "opening"):
                if read_only:
                    current = current_revision(engine)
                    if current is not None and current != head_revision():
                        raise StoreReadOnly(
                            f"the run store {where} is read-only and at schema revision {current!r}, "
                            f"not {head_revision()!r}: it cannot be migrated"
                        )
                else:
                    upgrade(engine)
                check_schema(engine, where, deep=verify)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, read_only=read_only, where=where)

    @property
    def url(self) -> str:
        """The database URL as given, with any password hidden."""
        return self._where

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def save(self, record: RunRecord) -> str:
        """Store `record` in one transaction and return its id.

        Raises `InvalidRecord` if a JSON part is not JSON-able or the hash does not match
        the text, and `RunExists` if the id is taken.
        """
        _check(record)
        if self.read_only:
            raise StoreReadOnly(f"the run store {self._where} is read-only: the run cannot be saved")
        row = Run(
            run_id=record.run_id,
            created_at=record.created_at,
            scenario_name=record.scenario_name,
            scenario_file=record.scenario_file,
            scenario_text=record.scenario_text,
            scenario_hash=record.scenario_hash,
            seed=record.seed,
            paths=record.paths,
            versions=dict(record.versions),
            timings=dict(record.timings),
            status=record.status,
            headline=record.headline,
            results=[
                RunResult(engine=engine, position=index, data=data)
                for index, (engine, data) in enumerate(record.results.items())
            ],
            tables=[
                RunTable(name=name, position=index, rows=rows)
                for index, (name, rows) in enumerate(record.tables.items())
            ],
        )
        try:
            with (
                translated(self._where, f"saving run {record.run_id}"),
                Session(self._writer) as session,
                session.begin(),
            ):
                if session.get(Run, record.run_id) is not None:
                    raise RunExists(record.run_id)
                session.add(row)
        except StoreUnavailable as exc:
            if isinstance(exc.__cause__, IntegrityError):  # the same id saved by another process meanwhile
                raise RunExists(record.run_id) from exc.__cause__
            raise
        return record.run_id

    def list(self, limit: int | None = 50) -> builtins.list[RunSummary]:
        """The newest `limit` runs (all if None), newest first, without their texts and results."""
        query = (
            select(
                Run.run_id,
                Run.created_at,
                Run.scenario_name,
                Run.scenario_hash,
                Run.status,
                cast(Run.headline, Text).label("headline"),
            )
            .order_by(Run.created_at.desc(), Run.run_id.desc())
            .limit(limit)
        )
        with translated(self._where, "listing runs"), Session(self._engine) as session:
            return [
                RunSummary(
                    run_id=row.run_id,
                    created_at=row.created_at,
                    scenario_name=row.scenario_name,
                    scenario_hash=row.scenario_hash,
                    status=row.status,
                    headline=self._headline(row.run_id, row.headline),
                )
                for row in session.execute(query)
            ]

    def _headline(self, run_id: str, text: str | None) -> dict[str, Any]:
        """A stored headline's JSON text as a dict; `StoreDamaged` naming the run if it is not one."""
        try:
            value = json.loads(text) if text is not None else None
        except ValueError as exc:
            raise StoreDamaged(
                f"the run store {self._where} is damaged: run {run_id}'s headline is not valid JSON ({exc})"
            ) from exc
        if not isinstance(value, dict):
            raise StoreDamaged(f"the run store {self._where} is damaged: run {run_id}'s headline is not a JSON object")
        return value

    def resolve(self, run_id: str) -> str:
        """The full id of the run whose id is `run_id` or starts with it.

        Raises `RunNotFound` or `AmbiguousRunId`.
        """
        with (
            self._not_found_check(),
            translated(self._where, f"finding run {run_id}"),
            Session(self._engine) as session,
        ):
            return _resolve(session, run_id)

    def get(self, run_id: str) -> RunRecord:
        """The run with this id, or with the one id that starts with it (see `resolve`)."""
        with (
            self._not_found_check(),
            translated(self._where, f"reading run {run_id}"),
            Session(self._snapshot) as session,
        ):
            full_id = _resolve(session, run_id)
            row = session.get(Run, full_id, options=[selectinload(Run.results), selectinload(Run.tables)])
            if row is None:  # pragma: no cover - cannot happen inside one snapshot
                raise RunNotFound(run_id)
            return RunRecord(
                run_id=row.run_id,
                created_at=row.created_at,
                scenario_name=row.scenario_name,
                scenario_file=row.scenario_file,
                scenario_text=row.scenario_text,
                scenario_hash=row.scenario_hash,
                seed=row.seed,
                paths=row.paths,
                versions=row.versions,
                timings=row.timings,
                status=row.status,
                headline=row.headline,
                results={result.engine: result.data for result in row.results},
                tables={table.name: table.rows for table in row.tables},
            )

    @contextmanager
    def _not_found_check(self) -> Iterator[None]:
        """A damaged SQLite index can hide a run: before saying "no run", check the file's integrity."""
        try:
            yield
        except RunNotFound:
            if self._engine.dialect.name == "sqlite":
                with translated(self._where, "checking the file"):
                    check_schema(self._engine, self._where, deep=True)
            raise

    def delete(self, run_id: str) -> str:
        """Delete the run (a unique id prefix is accepted, as in `get`); return its full id."""
        if self.read_only:
            raise StoreReadOnly(f"the run store {self._where} is read-only: the run cannot be deleted")
        with translated(self._where, f"deleting run {run_id}"), Session(self._writer) as session, session.begin():
            full_id = _resolve(session, run_id)
            session.execute(delete(RunResult).where(RunResult.run_id == full_id))
            session.execute(delete(RunTable).where(RunTable.run_id == full_id))
            session.execute(delete(Run).where(Run.run_id == full_id))
        return full_id


def _resolve(session: Session, run_id: str) -> str:
    if not run_id:
        raise RunNotFound(run_id)
    if session.scalar(select(Run.run_id).where(Run.run_id == run_id)) is not None:
        return run_id
    # substr rather than LIKE: case-sensitive on every backend, and no wildcards to escape.
    matches = session.scalars(
        select(Run.run_id)
        .where(func.substr(Run.run_id, 1, len(run_id)) == run_id)
        .order_by(Run.run_id)
        .limit(_SHOWN_MATCHES + 1)
    ).all()
    if not matches:
        raise RunNotFound(run_id)
    if len(matches) > 1:
        raise AmbiguousRunId(run_id, builtins.list(matches))
    return matches[0]


def _check(record: RunRecord) -> None:
    if record.scenario_hash != scenario_hash(record.scenario_text):
        raise InvalidRecord(f"run {record.run_id}: scenario_hash is not the sha256 of scenario_text")
    parts: dict[str, Any] = {
        "versions": record.versions,
        "timings": record.timings,
        "headline": record.headline,
        "results": record.results,
        "tables": record.tables,
    }
    for name, value in parts.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidRecord(f"run {record.run_id}: {name} is not JSON-able: {exc}") from exc
