"""Studies in the run store: a study row, and each variant's member run (a run like any other).

`save_study` writes the study, its member runs and the links in one transaction;
`list_studies` and `get_study` read them back (`get_study` accepts a unique prefix).
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bastion.store.errors import AmbiguousRunId, InvalidRecord, RunExists, RunNotFound
from bastion.store.record import RunRecord, scenario_hash
from bastion.store.repository import RunStore, _check
from bastion.store.schema import Run, RunResult, RunTable, Study, StudyRun

STUDY_PREFIX = "study-"


@dataclass(frozen=True)
class Member:
    """One variant of a stored study: its id, status and member run (None if it did not run)."""

    variant_id: str
    status: str
    run_id: str | None


@dataclass(frozen=True)
class StudyRecord:
    """What the store keeps about one study."""

    study_id: str
    created_at: datetime
    scenario_name: str
    scenario_file: str
    scenario_text: str
    scenario_hash: str
    seed: int
    paths: int
    versions: dict[str, str]
    spec: dict[str, Any]
    status: str
    data: dict[str, Any]
    """The study JSON object."""
    members: list[Member] = field(default_factory=list)


def new_study_id(now: datetime | None = None) -> str:
    """`study-YYYYMMDD-HHMMSS-xxxxxx`: sorts by creation time, never taken for a run id."""
    from bastion.store.record import new_run_id

    return STUDY_PREFIX + new_run_id(now)


def _run_row(record: RunRecord) -> Run:
    _check(record)
    return Run(
        run_id=record.run_id, created_at=record.created_at, scenario_name=record.scenario_name,
        scenario_file=record.scenario_file, scenario_text=record.scenario_text,
        scenario_hash=record.scenario_hash, seed=record.seed, paths=record.paths,
        versions=dict(record.versions), timings=dict(record.timings), status=record.status,
        headline=record.headline,
        results=[RunResult(engine=e, position=i, data=d) for i, (e, d) in enumerate(record.results.items())],
        tables=[RunTable(name=n, position=i, rows=r) for i, (n, r) in enumerate(record.tables.items())],
    )


def save_study(store: RunStore, study: StudyRecord, runs: builtins.list[RunRecord]) -> str:
    """Store the study, its member runs and the links in one transaction; return its id."""
    if study.scenario_hash != scenario_hash(study.scenario_text):
        raise InvalidRecord(f"study {study.study_id}: scenario_hash is not the sha256 of scenario_text")
    try:
        json.dumps([study.data, study.spec, study.versions], allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(f"study {study.study_id}: not JSON-able: {exc}") from exc
    row = Study(
        study_id=study.study_id, created_at=study.created_at, scenario_name=study.scenario_name,
        scenario_file=study.scenario_file, scenario_text=study.scenario_text, scenario_hash=study.scenario_hash,
        seed=study.seed, paths=study.paths, versions=dict(study.versions), spec=study.spec,
        status=study.status, data=study.data,
        members=[StudyRun(variant_id=m.variant_id, position=i, run_id=m.run_id, status=m.status)
                 for i, m in enumerate(study.members)],
    )
    run_rows = [_run_row(r) for r in runs]
    try:
        with Session(store._writer) as session, session.begin():
            if session.get(Study, study.study_id) is not None:
                raise RunExists(study.study_id)
            session.add_all(run_rows)
            session.flush()
            session.add(row)
    except IntegrityError as exc:
        raise RunExists(study.study_id) from exc
    return study.study_id


@dataclass(frozen=True)
class StudySummary:
    """One line of `bastion runs list` for a study."""

    study_id: str
    created_at: datetime
    scenario_name: str
    scenario_hash: str
    status: str
    variants: int
    mode: str


def list_studies(store: RunStore, limit: int | None = 50) -> builtins.list[StudySummary]:
    """The newest `limit` studies, newest first."""
    count = (select(func.count()).where(StudyRun.study_id == Study.study_id).scalar_subquery())
    query = (select(Study.study_id, Study.created_at, Study.scenario_name, Study.scenario_hash, Study.status,
                    Study.data, count.label("n"))
             .order_by(Study.created_at.desc(), Study.study_id.desc()).limit(limit))
    with Session(store._engine) as session:
        return [StudySummary(r.study_id, r.created_at, r.scenario_name, r.scenario_hash, r.status, int(r.n),
                             str((r.data or {}).get("mode") or ""))
                for r in session.execute(query)]


def member_run_ids(store: RunStore) -> set[str]:
    """The ids of every run that is a study's member (left out of the plain run listing)."""
    with Session(store._engine) as session:
        return {r for r in session.scalars(select(StudyRun.run_id).where(StudyRun.run_id.is_not(None)))
                if r is not None}


def get_study(store: RunStore, study_id: str) -> StudyRecord:
    """The study with this id or the one id starting with it; RunNotFound / AmbiguousRunId otherwise."""
    with Session(store._snapshot) as session:
        full = _resolve(session, study_id)
        row = session.get(Study, full, options=[selectinload(Study.members)])
        if row is None:  # pragma: no cover - inside one snapshot
            raise RunNotFound(study_id)
        return StudyRecord(
            study_id=row.study_id, created_at=row.created_at.astimezone(UTC), scenario_name=row.scenario_name,
            scenario_file=row.scenario_file, scenario_text=row.scenario_text, scenario_hash=row.scenario_hash,
            seed=row.seed, paths=row.paths, versions=row.versions, spec=row.spec, status=row.status,
            data=row.data, members=[Member(m.variant_id, m.status, m.run_id) for m in row.members],
        )


def _resolve(session: Session, study_id: str) -> str:
    if not study_id:
        raise RunNotFound(study_id)
    if session.get(Study, study_id) is not None:
        return study_id
    matches = session.scalars(
        select(Study.study_id).where(func.substr(Study.study_id, 1, len(study_id)) == study_id)
        .order_by(Study.study_id).limit(6)
    ).all()
    if not matches:
        raise RunNotFound(study_id)
    if len(matches) > 1:
        raise AmbiguousRunId(study_id, builtins.list(matches))
    return matches[0]
