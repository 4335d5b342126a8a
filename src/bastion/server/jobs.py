"""Runs and studies as jobs, kept in the `server_runs` table: queued, running, then done, failed,
cancelled or interrupted.

A dispatcher (`bastion.server.queue`) claims the oldest queued job (an UPDATE that only one
claimant can win, raising the job's `attempt`) and hands it to a Dask worker, where
`run_job_task` runs every stage with `bastion.run.execute` on the revision's text (at the job's
confidence and futures, when it asked one, as `bastion run` does), writing the
progress (stage, step, progress_at) as it goes, stores the finished run in the run store (same
database) and keeps the report's HTML and XLSX with the job.

Every write a worker makes names the job *and its attempt* and requires the job to be running:
a job cancelled meanwhile, or marked interrupted by a restarted server, is never overwritten by
a worker that was still busy with it, and that worker stops at its next progress step. On
start, jobs left running by a stopped server are marked `interrupted` (`recover`); queued jobs
stay queued and are picked up. `resubmit_job` queues an interrupted, cancelled or failed job
again (same id, a new attempt); `cancel_job` cancels a queued or running one.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from bastion.server.db import Database
from bastion.store.server_tables import ScenarioRevision, ServerRun
from bastion.study.worker import process_defaults

FINISHED = ("done", "failed", "interrupted", "cancelled")
RESUBMITTABLE = ("interrupted", "cancelled", "failed")
STOPPED_BY_RESTART = "the server stopped while it ran; resubmit it"
#: A worker writes its progress at most this often (a stage's start and end are always written).
PROGRESS_EVERY_S = 0.25


class JobStopped(Exception):
    """The job is no longer this worker's (cancelled, or interrupted by a restart): stop quietly."""


@dataclass(frozen=True)
class Claimed:
    """A job taken from the queue: its id, kind (run | study) and attempt number."""

    id: str
    kind: str
    attempt: int


def recover(db: Database) -> int:
    """Mark the jobs a stopped server left running as interrupted; return how many."""
    with db.transaction() as session:
        done = cast(
            CursorResult[Any],
            session.execute(
                update(ServerRun)
                .where(ServerRun.status == "running")
                .values(status="interrupted", finished_at=datetime.now(UTC), error=STOPPED_BY_RESTART)
            ),
        )
        return int(done.rowcount or 0)


def claim_job(db: Database) -> Claimed | None:
    """Take the oldest queued job (queued -> running, attempt + 1); None when there is none."""
    with db.transaction() as session:
        rows = session.execute(
            select(ServerRun.id, ServerRun.kind, ServerRun.attempt)
            .where(ServerRun.status == "queued")
            .order_by(ServerRun.created_at, ServerRun.id)
            .limit(5)
        ).all()
        for job_id, kind, attempt in rows:
            won = cast(
                CursorResult[Any],
                session.execute(
                    update(ServerRun)
                    .where(ServerRun.id == job_id, ServerRun.status == "queued", ServerRun.attempt == attempt)
                    .values(status="running", attempt=attempt + 1, stage="", step="", progress_at=datetime.now(UTC))
                ),
            )
            if won.rowcount == 1:
                return Claimed(str(job_id), str(kind), int(attempt) + 1)
    return None


def claim(db: Database) -> str | None:
    """The id of the job `claim_job` took (None when none was queued)."""
    job = claim_job(db)
    return None if job is None else job.id


def _session_of(target: Session | Database) -> tuple[Session, bool]:
    if isinstance(target, Database):
        return target.session(), True
    return target, False


def cancel_job(target: Session | Database, run_id: str) -> str | None:
    """Cancel a queued or running job; return its status afterwards, None when there is no such job.

    A queued job is cancelled at once; a running one is marked cancelled at once and its worker
    stops at its next progress step (nothing it does afterwards is kept). A finished job keeps its
    status (returned unchanged). With a Session, the caller commits (the route's transaction); the
    caller has checked that the job is visible to the user. With a Database, it commits itself.
    """
    session, own = _session_of(target)
    try:
        session.execute(
            update(ServerRun)
            .where(ServerRun.id == run_id, ServerRun.status.in_(("queued", "running")))
            .values(status="cancelled", finished_at=datetime.now(UTC), error="cancelled by a user")
            .execution_options(synchronize_session=False)
        )
        status = session.execute(select(ServerRun.status).where(ServerRun.id == run_id)).scalar_one_or_none()
        if own:
            session.commit()
        return status
    finally:
        if own:
            session.close()


def resubmit_job(target: Session | Database, run_id: str) -> str | None:
    """Queue an interrupted, cancelled or failed job again (same id and request); return its status.

    None when there is no such job; a job in another state keeps it (returned unchanged).
    """
    session, own = _session_of(target)
    try:
        session.execute(
            update(ServerRun)
            .where(ServerRun.id == run_id, ServerRun.status.in_(RESUBMITTABLE))
            .values(status="queued", finished_at=None, error=None, stage="", step="", progress_at=None, result=None)
            .execution_options(synchronize_session=False)
        )
        status = session.execute(select(ServerRun.status).where(ServerRun.id == run_id)).scalar_one_or_none()
        if own:
            session.commit()
        return status
    finally:
        if own:
            session.close()


def write_job(db: Database, job: Claimed, **values: Any) -> bool:
    """Write `values` on the job while it is running in this attempt; False when it no longer is."""
    with db.transaction() as session:
        done = cast(
            CursorResult[Any],
            session.execute(
                update(ServerRun)
                .where(ServerRun.id == job.id, ServerRun.attempt == job.attempt, ServerRun.status == "running")
                .values(**values)
            ),
        )
        return done.rowcount == 1


class Reporter:
    """The worker's progress callback: writes (stage, step) at most every PROGRESS_EVERY_S seconds,
    a stage's start and end always, and raises JobStopped once the job is no longer this attempt's."""

    def __init__(self, db: Database, job: Claimed) -> None:
        self.db, self.job = db, job
        self._last = 0.0

    def __call__(self, stage: str, step: str) -> None:
        now = time.monotonic()
        if step not in ("start", "done") and now - self._last < PROGRESS_EVERY_S:
            return
        self._last = now
        if not write_job(self.db, self.job, stage=stage[:64], step=step[:1000], progress_at=datetime.now(UTC)):
            raise JobStopped(self.job.id)


def fail_job(db: Database, job: Claimed, error: str) -> None:
    """Mark the job failed with its reason (kept only while it is this attempt's and running)."""
    write_job(db, job, status="failed", error=error[:10_000], finished_at=datetime.now(UTC))


def revision_text(session: Session, scenario_id: str, number: int) -> str:
    """The job's revision as a scenario text carrying the revision's releasability as the server applied it
    (owner filled in), so that its report and exports show the server's marking."""
    from bastion.scenario.load import dump_scenario
    from bastion.scenario.model import Releasability
    from bastion.server.scenario_input import from_text

    revision = session.get(ScenarioRevision, (scenario_id, number))
    if revision is None:  # pragma: no cover - revisions are never deleted
        raise LookupError(f"revision {number} of scenario {scenario_id} is missing")
    scenario = from_text(revision.text).scenario
    scenario = scenario.model_copy(update={"releasability": Releasability.model_validate(revision.releasability)})
    return dump_scenario(scenario)


def execute_job(db: Database, job: Claimed) -> None:
    """Run a claimed run job to its end: done (with run id, headline and report) or failed (with the reason)."""
    from bastion.plan.solve import SolverError
    from bastion.report import write_report
    from bastion.run import execute, headline, tables
    from bastion.scenario.errors import ScenarioError
    from bastion.store import RunRecord, RunStore

    try:
        with db.transaction() as session:
            row = session.get(ServerRun, job.id)
            if row is None:
                return
            paths, seed = row.paths, row.seed
            # as `bastion run --confidence P --futures S`; jobs queued before r0006 have no futures: its default
            confidence, futures = row.confidence, row.futures if row.futures is not None else 200
            text = revision_text(session, row.scenario_id, row.revision)
        with tempfile.TemporaryDirectory(prefix="bastion-job-") as folder:
            file = Path(folder) / "scenario.yaml"
            file.write_text(text, "utf-8")
            run = execute(
                file, paths=paths, seed=seed, progress=Reporter(db, job), confidence=confidence, futures=futures
            )
            data = run.to_json()
            record = RunRecord.new(
                scenario_name=run.scenario.name,
                scenario_file=f"server:{job.id}",
                scenario_text=run.scenario_text,
                seed=seed,
                paths=paths,
                status=run.status,
                headline=headline(run),
                results={
                    k: data[k]
                    for k in ("schedule", "plan", "confidence", "simulate", "resilience", "economics")
                    if k in data
                },
                tables=tables(run),
                timings=run.timings,
            )
            write_report({**data, "run_id": record.run_id}, record.tables, Path(folder) / "report")
            html = (Path(folder) / "report" / "report.html").read_bytes()
            xlsx = (Path(folder) / "report" / "report.xlsx").read_bytes()
        if not write_job(db, job, stage="storing", step="", progress_at=datetime.now(UTC)):
            return  # cancelled meanwhile: nothing kept
        with RunStore.open(db.engine.url.render_as_string(hide_password=False), for_writing=True) as store:
            store.save(record)
    except JobStopped:
        return
    except (ScenarioError, SolverError, MemoryError) as error:
        fail_job(db, job, str(error))
        return
    except Exception as error:  # a job never takes its worker down; the reason stays with the job
        fail_job(db, job, f"internal error: {type(error).__name__}: {error}")
        return
    write_job(
        db,
        job,
        status="done",
        run_id=record.run_id,
        result={"run_id": record.run_id, **record.headline},
        report_html=html,
        report_xlsx=xlsx,
        finished_at=datetime.now(UTC),
        stage="done",
        step="",
        progress_at=datetime.now(UTC),
    )


def work_once(db: Database, client: Any = None) -> bool:
    """Claim and run one job here (a study's variants on `client`, or on a local cluster); False when none
    was queued."""
    job = claim_job(db)
    if job is None:
        return False
    if job.kind == "study":
        from bastion.server.study_jobs import execute_study_job

        execute_study_job(db, job, client=client)
    else:
        execute_job(db, job)
    return True


_databases: dict[str, Database] = {}


def run_job_task(url: str, job_id: str, kind: str, attempt: int) -> str:
    """A run job as a Dask task (in a worker process): one Database per URL per process. It runs
    with the process's thread defaults, as `bastion run` does, even where a study's variant ran
    before it on the same worker (`bastion.study.worker.process_defaults`)."""
    process_defaults()
    db = _databases.get(url)
    if db is None:
        db = _databases[url] = Database(url)
    execute_job(db, Claimed(job_id, kind, attempt))
    return job_id
