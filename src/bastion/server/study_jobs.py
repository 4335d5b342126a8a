"""A study as a job: the request checked when it is queued, then run by the job queue.

`prepare_request` makes and validates every variant of a study request on a scenario text
(the study engine's `prepare`, as `bastion study` does); the API calls it before queueing, so a
bad request answers 422 and nothing is queued. `execute_study_job` runs a claimed study job on
the queue's Dask client (each variant one task on the same cluster as the runs), writes its
progress (`variants`, "3 of 9 variants"), stores the study and its member runs in the run store
(as `bastion study` does) and keeps the study page (HTML) and workbook with the job.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bastion.server.db import Database
from bastion.server.jobs import Claimed, JobStopped, Reporter, fail_job, revision_text, write_job
from bastion.store.server_tables import ServerRun
from bastion.study import Prepared
from bastion.study.task import DEFAULT_FUTURES

#: The most variants one study request may make (grid products grow fast).
MAX_VARIANTS = 1_000


def variant_count(spec: dict[str, Any]) -> int:
    """The variants a `vary`/`sample` request makes (grid: the product of the value counts), times its
    confidence levels, computed before any is built; a tornado adds two per range of the file (bounded
    by the file, so not counted here)."""
    from bastion.study.variants import StudyError, parse_vary

    levels = max(1, len(spec.get("confidence") or []))
    if spec.get("sample") is not None:
        return int(spec["sample"]) * levels
    count = 1
    for text in spec.get("vary") or []:
        try:
            count *= max(1, len(parse_vary(text).values))
        except StudyError:
            return levels  # prepare names the problem
    return count * levels


def prepare_request(text: str, file: str, spec: dict[str, Any], *, paths: int, seed: int) -> Prepared:
    """Every variant of the request made and validated; StudyError (or ScenarioError) names each problem."""
    from bastion.server.scenario_input import from_text
    from bastion.study import prepare

    scenario = from_text(text, file).scenario
    return prepare(
        scenario,
        file,
        text,
        vary=list(spec.get("vary") or []),
        sample=spec.get("sample"),
        tornado=spec.get("tornado"),
        confidence=tuple(spec.get("confidence") or ()),
        futures=int(spec.get("futures") or DEFAULT_FUTURES),
        seed=seed,
        paths=paths,
        skip_invalid=bool(spec.get("skip_invalid")),
    )


def execute_study_job(db: Database, job: Claimed, client: Any = None) -> None:
    """Run a claimed study job to its end: done (study stored, page kept) or failed (with the reason)."""
    from bastion.cli.study_cmd import records
    from bastion.store import RunStore
    from bastion.store.studies import new_study_id, save_study
    from bastion.study import execute
    from bastion.study.engine import Progress
    from bastion.study.report import study_files

    reporter = Reporter(db, job)
    try:
        with db.transaction() as session:
            row = session.get(ServerRun, job.id)
            if row is None:
                return
            text = revision_text(session, row.scenario_id, row.revision)
            file = f"scenario-{row.scenario_id}@{row.revision}.yaml"
            spec, paths, seed = dict(row.spec or {}), row.paths, row.seed
        reporter("prepare", "start")
        prepared = prepare_request(text, file, spec, paths=paths, seed=seed)

        def tell(progress: Progress) -> None:
            reporter("variants", f"{progress.done} of {progress.total} variants")

        reporter("variants", "start")
        study = execute(prepared, study_id=new_study_id(), client=client, workers=None if client else 1, tell=tell)
        reporter("variants", "done")
        files = study_files(study)
        html, xlsx = files["study.html"], files["study.xlsx"]
        record, runs = records(study)
        if not write_job(db, job, stage="storing", step="", progress_at=datetime.now(UTC)):
            return
        with RunStore.open(db.engine.url.render_as_string(hide_password=False), for_writing=True) as store:
            save_study(store, record, runs)
    except JobStopped:
        return
    except Exception as error:  # the reason stays with the job; the queue goes on
        fail_job(db, job, f"{type(error).__name__}: {error}")
        return
    summary = {
        "study_id": study.study_id,
        "status": study.status,
        "mode": study.mode,
        "variants": len(study.variants),
        "answered": sum(1 for v in study.variants if v["status"] in ("ok", "short")),
    }
    write_job(
        db,
        job,
        status="done",
        run_id=study.study_id,
        result=summary,
        report_html=html.encode("utf-8") if isinstance(html, str) else html,
        report_xlsx=xlsx.encode("utf-8") if isinstance(xlsx, str) else xlsx,
        finished_at=datetime.now(UTC),
        stage="done",
        step="",
        progress_at=datetime.now(UTC),
    )
