"""Runs as jobs: claimed from the `server_runs` table and executed outside the request.

`bastion serve` starts worker processes (`start_workers`), each looping over `work_once`: it
claims the oldest queued job (an UPDATE that only one worker can win), runs every stage with
`bastion.run.execute` on the revision's text, writes the progress (stage and step) as it goes,
stores the finished run in the run store (same database) and keeps the report's HTML and XLSX
with the job. On start, jobs left `running` by a stopped server are marked `interrupted`;
queued jobs stay queued and are picked up.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from bastion.server.db import Database
from bastion.store.server_tables import ScenarioRevision, ServerRun

FINISHED = ("done", "failed", "interrupted", "cancelled")
_POLL_S = 0.5


def recover(db: Database) -> int:
    """Mark the jobs a stopped server left running as interrupted; return how many."""
    with db.transaction() as session:
        done = cast(
            CursorResult[Any],
            session.execute(
                update(ServerRun)
                .where(ServerRun.status == "running")
                .values(status="interrupted", finished_at=datetime.now(UTC), error="the server stopped while it ran")
            ),
        )
        return int(done.rowcount or 0)


def claim(db: Database) -> str | None:
    """Take the oldest queued job (queued -> running); None when there is none."""
    with db.transaction() as session:
        for job_id in (
            session.execute(
                select(ServerRun.id).where(ServerRun.status == "queued").order_by(ServerRun.created_at).limit(5)
            )
            .scalars()
            .all()
        ):
            won = cast(
                CursorResult[Any],
                session.execute(
                    update(ServerRun)
                    .where(ServerRun.id == job_id, ServerRun.status == "queued")
                    .values(status="running")
                ),
            )
            if won.rowcount == 1:
                return str(job_id)
    return None


class JobCancelled(Exception):
    """Raised in a worker at a progress step when its job is no longer running (cancelled)."""


def _set(db: Database, job_id: str, **values: Any) -> bool:
    """Update a running job; False when it is no longer running (cancelled meanwhile): nothing written."""
    with db.transaction() as session:
        done = cast(
            CursorResult[Any],
            session.execute(
                update(ServerRun).where(ServerRun.id == job_id, ServerRun.status == "running").values(**values)
            ),
        )
        return done.rowcount == 1


def execute_job(db: Database, job_id: str) -> None:
    """Run a claimed job to its end: done (with run id, headline and report) or failed (with the reason)."""
    from bastion.plan.solve import SolverError
    from bastion.report import write_report
    from bastion.run import execute, headline, tables
    from bastion.scenario.errors import ScenarioError
    from bastion.scenario.load import dump_scenario
    from bastion.scenario.model import Releasability
    from bastion.server.scenario_input import from_text
    from bastion.store import RunRecord, RunStore

    with db.transaction() as session:
        job = session.get(ServerRun, job_id)
        if job is None:
            return
        revision = session.get(ScenarioRevision, (job.scenario_id, job.revision))
        text = revision.text if revision is not None else ""
        release = dict(revision.releasability) if revision is not None else None
        paths, seed = job.paths, job.seed

    def progress(stage: str, step: str) -> None:
        if not _set(db, job_id, stage=stage[:64], step=step[:1000]):
            raise JobCancelled(job_id)

    try:
        with tempfile.TemporaryDirectory(prefix="bastion-job-") as folder:
            file = Path(folder) / "scenario.yaml"
            # The run's scenario carries the revision's releasability as the server applied it (owner
            # filled in), so its report and exports show the server's marking.
            scenario = from_text(text).scenario
            if release is not None:
                scenario = scenario.model_copy(update={"releasability": Releasability.model_validate(release)})
            file.write_text(dump_scenario(scenario), "utf-8")
            run = execute(file, paths=paths, seed=seed, progress=progress)
            data = run.to_json()
            record = RunRecord.new(
                scenario_name=run.scenario.name,
                scenario_file=f"server:{job_id}",
                scenario_text=run.scenario_text,
                seed=seed,
                paths=paths,
                status=run.status,
                headline=headline(run),
                results={k: data[k] for k in ("schedule", "plan", "simulate", "resilience", "economics") if k in data},
                tables=tables(run),
                timings=run.timings,
            )
            write_report({**data, "run_id": record.run_id}, record.tables, Path(folder) / "report")
            html = (Path(folder) / "report" / "report.html").read_bytes()
            xlsx = (Path(folder) / "report" / "report.xlsx").read_bytes()
        with RunStore.open(db.engine.url.render_as_string(hide_password=False), for_writing=True) as store:
            store.save(record)
    except (ScenarioError, SolverError, MemoryError) as error:
        _set(db, job_id, status="failed", error=str(error)[:10_000], finished_at=datetime.now(UTC))
        return
    except Exception as error:  # a job never takes its worker down; the reason stays with the job
        _set(
            db,
            job_id,
            status="failed",
            error=f"internal error: {type(error).__name__}: {error}"[:10_000],
            finished_at=datetime.now(UTC),
        )
        return
    _set(
        db,
        job_id,
        status="done",
        run_id=record.run_id,
        result={"run_id": record.run_id, **record.headline},
        report_html=html,
        report_xlsx=xlsx,
        finished_at=datetime.now(UTC),
        stage="done",
        step="",
    )


def work_once(db: Database) -> bool:
    """Claim and run one job; False when none was queued."""
    job_id = claim(db)
    if job_id is None:
        return False
    execute_job(db, job_id)
    return True


def _worker(url: str, stop: Event) -> None:  # pragma: no cover - runs in a child process
    db = Database(url)
    try:
        while not stop.is_set():
            if not work_once(db):
                stop.wait(_POLL_S)
    finally:
        db.close()


class Workers:
    """Worker processes (spawned, so no state is shared with the server's threads)."""

    def __init__(self, url: str, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._processes = [context.Process(target=_worker, args=(url, self._stop), daemon=True) for _ in range(count)]

    def start(self) -> None:
        for process in self._processes:
            process.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout_s
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join()
