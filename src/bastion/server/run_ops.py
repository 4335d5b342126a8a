"""Run services beyond start/read/report: list, cancel, resubmit, compare.

As in `bastion.server.services`: runs are read only through the repository (a run is visible
iff its scenario is), each request appends its audit record, and refusals are recorded.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.engine import Engine

from bastion.server.errors import Conflict, Forbidden
from bastion.server.repository import Runs, Scenarios
from bastion.server.services import (
    Context,
    _caller,
    _visible,
    _visible_run,
    marked,
    refuse_if_archived,
    run_json,
)
from bastion.store.engine import WRITE_OPTION
from bastion.store.server_tables import ServerRun


def list_runs(
    ctx: Context, scenario_id: str | None, status: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The visible runs (of one scenario, in one status), newest first, and how many match in all."""
    rows, total = Runs(ctx.session, _caller(ctx)).list(scenario_id, status, limit=limit, offset=offset)
    out = [run_json(r) for r in rows]
    marked(ctx, *out)  # in the list's own snapshot (a read's audit record ends its transaction)
    ctx.record("list-runs", f"scenario:{scenario_id}" if scenario_id is not None else "-", "ok")
    return out, total


def list_scenario_runs(
    ctx: Context, scenario_id: str, status: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A visible scenario's runs (404 for one the caller does not see, as for a missing one)."""
    _visible(ctx, Scenarios(ctx.session, _caller(ctx)), scenario_id, "list-runs")
    return list_runs(ctx, scenario_id, status, limit, offset)


def cancel_run(ctx: Context, run_id: str) -> dict[str, Any]:
    """Cancel a queued or running job (analysts only); 409 once it has ended.

    A queued job never starts; a running one stops at its worker's next progress step (the
    worker's writes only touch a job still `running`, so it stays cancelled).
    """
    caller = _caller(ctx)
    run = _visible_run(ctx, run_id, "cancel-run")
    obj = f"run:{run_id}"
    if caller.role != "analyst":
        raise ctx.refuse(Forbidden("only analysts cancel runs"), "cancel-run", obj, "forbidden")
    if not Runs(ctx.session, caller).cancel(run):
        raise ctx.refuse(Conflict(f"the run has ended: it is {run.status}"), "cancel-run", obj, "ended")
    ctx.record("cancel-run", obj, "ok")
    out = run_json(run)
    marked(ctx, out)
    return out


RESUBMITTABLE = ("interrupted", "failed", "cancelled")


def refuse_unless_resubmittable(ctx: Context, job: ServerRun, kind: str, kinds: str, obj: str) -> None:
    """Resubmitting a visible run or study (`kind`): analysts only (403), an ended job only (409:
    "not-ended" while queued or running, "done" once done); each refusal audited."""
    action = f"resubmit-{kind}"
    if _caller(ctx).role != "analyst":
        raise ctx.refuse(Forbidden(f"only analysts resubmit {kinds}"), action, obj, "forbidden")
    if job.status not in RESUBMITTABLE:
        raise ctx.refuse(
            Conflict(f"only an interrupted, failed or cancelled {kind} is resubmitted: this one is {job.status}"),
            action,
            obj,
            "not-ended" if job.status in ("queued", "running") else "done",
        )


def resubmit_run(ctx: Context, run_id: str) -> dict[str, Any]:
    """A new queued run of an interrupted, failed or cancelled run's revision, with its settings (paths,
    seed, confidence, futures); analysts who see the run only (404 otherwise, 403 for other roles),
    409 for a run that is queued, running or done, or whose scenario is archived. The old run keeps
    its state, so the history shows both; the new one is the caller's."""
    caller = _caller(ctx)
    run = _visible_run(ctx, run_id, "resubmit-run")
    obj = f"run:{run_id}"
    refuse_unless_resubmittable(ctx, run, "run", "runs", obj)
    scenario = _visible(ctx, Scenarios(ctx.session, caller), run.scenario_id, "resubmit-run")
    refuse_if_archived(ctx, scenario, "resubmit-run")
    again = Runs(ctx.session, caller).add(scenario, run.revision, run.paths, run.seed, run.confidence, run.futures)
    ctx.record("resubmit-run", obj, "ok")
    ctx.record("start-run", f"run:{again.id}", "ok")
    out = run_json(again)
    marked(ctx, out)
    return out


def compare_runs(ctx: Context, run_a: str, run_b: str) -> dict[str, Any]:
    """How run `b` differs from run `a` (both visible and done): `bastion runs compare`'s object
    (the scenario's changed lines in words, settings, headline numbers side by side with their
    change) with the two jobs under `run_a` and `run_b`."""
    from bastion.cli.run_view import change_text
    from bastion.store import RunStore, compare

    first = _visible_run(ctx, run_a, "compare-runs")
    second = _visible_run(ctx, run_b, "compare-runs")
    for run in (first, second):
        if run.status != "done" or run.run_id is None:
            raise ctx.refuse(
                Conflict(f"run {run.id} has no result: it is {run.status}"),
                "compare-runs",
                f"run:{run.id}",
                "not-ready",
            )
    # The server's own engine, as a reader (the request's session holds the write lock); not closed here.
    store = RunStore(cast(Engine, ctx.session.get_bind()).execution_options(**{WRITE_OPTION: False}))
    diff = compare(store.get(str(first.run_id)), store.get(str(second.run_id)))
    for change in diff["scenario"]["changes"]:
        change["text"] = change_text(change)
    a, b = run_json(first), run_json(second)
    together = marked(ctx, a, b)  # the highest level, released to who may see both (combined_marking)
    ctx.record("compare-runs", f"run:{run_a}..{run_b}", "ok")
    return {"run_a": a, "run_b": b, **diff, "marking": together}
