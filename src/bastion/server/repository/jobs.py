"""Jobs (runs and studies, the job queue's rows) as seen by one caller: a job is visible iff its scenario
is (the same filter); and which scenario and job ids named by an audit record a caller sees."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, bindparam, func, select, update
from sqlalchemy.orm import Session

from bastion.server.repository.scenarios import NATIONS
from bastion.server.repository.visibility import VISIBLE, Caller, visible, who
from bastion.store.server_tables import ServerRun, ServerScenario

CANCELLABLE = ("queued", "running")

_JOB = (
    select(ServerRun)
    .join(ServerScenario, ServerScenario.id == ServerRun.scenario_id)
    .where(ServerRun.id == bindparam("job"), ServerRun.kind == bindparam("kind"), VISIBLE)
)

RUN_COLUMNS = (
    ServerRun.id,
    ServerRun.scenario_id,
    ServerRun.revision,
    ServerRun.status,
    ServerRun.stage,
    ServerRun.step,
    ServerRun.paths,
    ServerRun.seed,
    ServerRun.confidence,
    ServerRun.futures,
    ServerRun.created_by,
    ServerRun.created_at,
    ServerRun.finished_at,
    ServerRun.error,
    ServerRun.result,
)
"""What a run's answer shows (`GET /api/v1/runs/{id}`): not its reports, which may be megabytes."""
_RUN_ROW = (  # with its scenario's releasability (`level`, `owner`, `nations`): the run's marking, same query
    select(*RUN_COLUMNS, ServerScenario.level, ServerScenario.owner, NATIONS)
    .join(ServerScenario, ServerScenario.id == ServerRun.scenario_id)
    .where(ServerRun.id == bindparam("job"), ServerRun.kind == "run", VISIBLE)
)


def _visible_job(session: Session, caller: Caller, job_id: str, kind: str) -> ServerRun | None:
    """The job `job_id` of this kind (run | study) if its scenario is visible to `caller`, else None."""
    return session.execute(_JOB, {"job": job_id, "kind": kind, **who(caller)}).scalar_one_or_none()


def visible_ids(
    session: Session, caller: Caller, scenario_ids: set[str], job_ids: set[str]
) -> tuple[set[str], set[str]]:
    """Of these scenario ids and job (run or study) ids, those `caller` sees (the same filter as every
    query: a job is visible iff its scenario is); a missing id is simply left out, as an invisible one."""
    scenarios: set[str] = set()
    jobs: set[str] = set()
    wanted, jobs_wanted = sorted(scenario_ids), sorted(job_ids)
    for start in range(0, len(wanted), 500):  # bound the IN list
        scenarios.update(
            session.execute(
                select(ServerScenario.id).where(ServerScenario.id.in_(wanted[start : start + 500]), visible(caller))
            ).scalars()
        )
    for start in range(0, len(jobs_wanted), 500):
        jobs.update(
            session.execute(
                select(ServerRun.id)
                .join(ServerScenario, ServerScenario.id == ServerRun.scenario_id)
                .where(ServerRun.id.in_(jobs_wanted[start : start + 500]), visible(caller))
            ).scalars()
        )
    return scenarios, jobs


class Runs:
    """Run jobs as seen by one caller: a run is visible iff its scenario is (same filter)."""

    def __init__(self, session: Session, caller: Caller) -> None:
        self.session = session
        self.caller = caller

    def get(self, run_id: str) -> ServerRun | None:
        return _visible_job(self.session, self.caller, run_id, "run")

    def row(self, run_id: str) -> Row[Any] | None:
        """A visible run's `RUN_COLUMNS` as a row (attributes named as the ORM object's), with its scenario's
        `level`, `owner` and `nations` (its marking), in one query."""
        return self.session.connection().execute(_RUN_ROW, {"job": run_id, **who(self.caller)}).first()

    def list(
        self, scenario_id: str | None = None, status: str | None = None, limit: int | None = None, offset: int = 0
    ) -> tuple[Sequence[ServerRun], int]:
        """The visible runs (of one scenario, in one status), newest first, and how many match in all."""
        where = [VISIBLE, ServerRun.kind == "run"]  # studies share the queue, not this list
        if scenario_id is not None:
            where.append(ServerRun.scenario_id == scenario_id)
        if status is not None:
            where.append(ServerRun.status == status)
        joined = select(ServerRun).join(ServerScenario, ServerScenario.id == ServerRun.scenario_id).where(*where)
        params = who(self.caller)
        total = self.session.execute(select(func.count()).select_from(joined.subquery()), params).scalar_one()
        rows = (
            self.session.execute(
                joined.order_by(ServerRun.created_at.desc(), ServerRun.id).offset(offset).limit(limit), params
            )
            .scalars()
            .all()
        )
        return rows, int(total)

    def cancel(self, run: ServerRun) -> bool:
        """Cancel a visible queued or running job (one UPDATE, so a worker cannot claim it meanwhile).

        False when it had already ended. A worker running it stops at its next progress step.
        """
        done = cast(
            CursorResult[Any],
            self.session.execute(
                update(ServerRun)
                .where(ServerRun.id == run.id, ServerRun.status.in_(CANCELLABLE))
                .values(status="cancelled", finished_at=datetime.now(UTC), error="cancelled by " + self.caller.name)
                .execution_options(synchronize_session=False)
            ),
        )
        self.session.refresh(run)
        return done.rowcount == 1

    def add(
        self,
        scenario: ServerScenario,
        revision: int,
        paths: int,
        seed: int,
        confidence: float | None = None,
        futures: int | None = None,
    ) -> ServerRun:
        run = ServerRun(
            id=secrets.token_hex(8),
            scenario_id=scenario.id,
            revision=revision,
            created_by=self.caller.name,
            created_at=datetime.now(UTC),
            paths=paths,
            seed=seed,
            confidence=confidence,
            futures=futures,
            status="queued",
            stage="",
            step="",
        )
        self.session.add(run)
        self.session.flush()
        return run


class Studies:
    """Study jobs (the same queue as runs, kind `study`) as seen by one caller: visible iff their scenario is."""

    def __init__(self, session: Session, caller: Caller) -> None:
        self.session = session
        self.caller = caller

    def get(self, job_id: str) -> ServerRun | None:
        return _visible_job(self.session, self.caller, job_id, "study")

    def add(self, scenario: ServerScenario, revision: int, paths: int, seed: int, spec: dict[str, Any]) -> ServerRun:
        job = ServerRun(
            id=secrets.token_hex(8),
            scenario_id=scenario.id,
            revision=revision,
            created_by=self.caller.name,
            created_at=datetime.now(UTC),
            paths=paths,
            seed=seed,
            status="queued",
            stage="",
            step="",
            kind="study",
            spec=spec,
        )
        self.session.add(job)
        self.session.flush()
        return job
