"""Studies through the server's job queue: what each study request does, with its audit record.

A study is a job of kind `study` on a visible scenario's revision; it is visible exactly when its
scenario is (the repository's filter), and answers 404 otherwise, as a missing one.
"""

from __future__ import annotations

from typing import Any

from bastion.scenario.errors import ScenarioError
from bastion.server.errors import Conflict, Forbidden, Invalid, NotFound
from bastion.server.jobs import revision_text
from bastion.server.repository import Scenarios, Studies
from bastion.server.run_ops import refuse_unless_resubmittable
from bastion.server.scenario_input import problems_json
from bastion.server.services import NOT_FOUND, Context, _caller, _visible, marking, refuse_if_archived
from bastion.server.study_jobs import MAX_VARIANTS, prepare_request, variant_count
from bastion.store.schema import Study
from bastion.store.server_tables import ServerRun


def study_json(job: ServerRun, scenarios: Scenarios) -> dict[str, Any]:
    scenario = scenarios.get(job.scenario_id)
    return {
        "id": job.id,
        "scenario_id": job.scenario_id,
        "revision": job.revision,
        "status": job.status,
        "progress": {"stage": job.stage, "step": job.step, "at": job.progress_at},
        "paths": job.paths,
        "seed": job.seed,
        "spec": job.spec or {},
        "created_by": job.created_by,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "error": job.error,
        "result": job.result if job.status == "done" else None,
        "marking": marking(scenarios.releasability(scenario)) if scenario is not None else None,
    }


def start_study(ctx: Context, scenario_id: str, revision: int | None, paths: int, seed: int,
                spec: dict[str, Any]) -> dict[str, Any]:
    """Queue a study of a visible scenario's revision (default: the newest); analysts only.

    Every variant is made and checked first (422 with the problems; nothing queued)."""
    caller = _caller(ctx)
    repo = Scenarios(ctx.session, caller)
    obj = f"scenario:{scenario_id}"
    scenario = _visible(ctx, repo, scenario_id, "start-study")
    if caller.role != "analyst":
        raise ctx.refuse(Forbidden("only analysts start studies"), "start-study", obj, "forbidden")
    number = scenario.head if revision is None else revision
    if repo.revision(scenario_id, number) is None:
        raise ctx.refuse(NotFound(NOT_FOUND), "start-study", f"{obj}@{number}", "not-found")
    count = variant_count(spec)
    if count > MAX_VARIANTS:
        raise ctx.refuse(Invalid([{"message": f"the request makes {count:,} variants; at most {MAX_VARIANTS:,}"}]),
                         "start-study", f"{obj}@{number}", "invalid")
    try:
        from bastion.study import StudyError

        prepare_request(revision_text(ctx.session, scenario_id, number), f"scenario-{scenario_id}@{number}.yaml",
                        spec, paths=paths, seed=seed)
    except StudyError as error:
        raise ctx.refuse(Invalid([{"message": p} for p in error.problems]), "start-study", f"{obj}@{number}",
                         "invalid") from None
    except ScenarioError as error:  # pragma: no cover - stored revisions are valid
        raise ctx.refuse(Invalid(problems_json(error)), "start-study", f"{obj}@{number}", "invalid") from None
    job = Studies(ctx.session, caller).add(scenario, number, paths, seed, spec)
    ctx.record("start-study", f"study:{job.id}", "ok")
    return study_json(job, repo)


def _visible_study(ctx: Context, job_id: str, action: str) -> ServerRun:
    job = Studies(ctx.session, _caller(ctx)).get(job_id)
    if job is None:
        raise ctx.refuse(NotFound(NOT_FOUND), action, f"study:{job_id}", "not-found")
    return job


def resubmit_study(ctx: Context, job_id: str) -> dict[str, Any]:
    """A new queued study with an interrupted, failed or cancelled study's revision and request, as
    `run_ops.resubmit_run` does for runs (analysts who see it; 404, 403, 409 likewise)."""
    caller = _caller(ctx)
    job = _visible_study(ctx, job_id, "resubmit-study")
    obj = f"study:{job_id}"
    refuse_unless_resubmittable(ctx, job, "study", "studies", obj)
    repo = Scenarios(ctx.session, caller)
    scenario = _visible(ctx, repo, job.scenario_id, "resubmit-study")
    refuse_if_archived(ctx, scenario, "resubmit-study")
    again = Studies(ctx.session, caller).add(scenario, job.revision, job.paths, job.seed, dict(job.spec or {}))
    ctx.record("resubmit-study", obj, "ok")
    ctx.record("start-study", f"study:{again.id}", "ok")
    return study_json(again, repo)


def get_study(ctx: Context, job_id: str) -> dict[str, Any]:
    job = _visible_study(ctx, job_id, "read-study")
    ctx.record("read-study", f"study:{job_id}", "ok")
    return study_json(job, Scenarios(ctx.session, _caller(ctx)))


def _done(ctx: Context, job: ServerRun, action: str) -> None:
    if job.status != "done":
        raise ctx.refuse(Conflict(f"no result: the study is {job.status}"), action, f"study:{job.id}", "not-ready")


def study_result(ctx: Context, job_id: str) -> dict[str, Any]:
    """The study JSON (as `bastion study --json`) of a finished study, with its marking; 409 until done."""
    job = _visible_study(ctx, job_id, "read-study-result")
    _done(ctx, job, "read-study-result")
    stored = ctx.session.get(Study, job.run_id) if job.run_id else None
    if stored is None:  # pragma: no cover - a done study job always names its stored study
        raise ctx.refuse(Conflict("the stored study is missing"), "read-study-result", f"study:{job_id}", "missing")
    ctx.record("read-study-result", f"study:{job_id}", "ok")
    scenario = Scenarios(ctx.session, _caller(ctx))
    head = scenario.get(job.scenario_id)
    data = dict(stored.data)
    if head is not None:
        data["marking"] = marking(scenario.releasability(head))
    return data


def study_report(ctx: Context, job_id: str, kind: str) -> bytes:
    """The study page (HTML) or workbook (XLSX) of a finished study; 409 until done."""
    action = f"download-study-{kind}"
    job = _visible_study(ctx, job_id, action)
    _done(ctx, job, action)
    data = job.report_html if kind == "html" else job.report_xlsx
    if data is None:  # pragma: no cover - a done study job keeps both
        raise ctx.refuse(Conflict("no report"), action, f"study:{job_id}", "missing")
    ctx.record(action, f"study:{job_id}", "ok")
    return data
