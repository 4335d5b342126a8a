"""Scenario services beyond create/read/revise: list with filters, diff, validate, copy, archive.

Like `bastion.server.services`, every function runs in the request's session, reads scenarios
only through the repository (so only visible ones) and appends its audit record; a refusal is
recorded and committed before it is raised.
"""

from __future__ import annotations

from typing import Any

from bastion.cli.run_view import change_text
from bastion.scenario.errors import ScenarioError
from bastion.server.errors import Forbidden, Invalid, NotFound
from bastion.server.repository import Scenarios
from bastion.server.repository.scenarios import releasability_of
from bastion.server.scenario_input import Received, problems_json
from bastion.server.services import (
    NOT_FOUND,
    Context,
    _caller,
    _visible,
    marking,
    summary_json,
    with_head,
)
from bastion.store.compare import compare_texts
from bastion.store.server_tables import ScenarioRevision


def list_scenarios(
    ctx: Context, name: str | None, archived: str, limit: int | None, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The visible scenarios matching `name` (substring, any case) and `archived`, and their total count."""
    repo = Scenarios(ctx.session, _caller(ctx))
    rows, total = repo.page(name=name, archived=archived, limit=limit, offset=offset)  # one query, as rows
    ctx.record("list-scenarios", "-", "ok")
    return [summary_json(row) for row in rows], total


def _revision(ctx: Context, repo: Scenarios, scenario_id: str, number: int, action: str) -> ScenarioRevision:
    revision = repo.revision(scenario_id, number)
    if revision is None:
        raise ctx.refuse(NotFound(NOT_FOUND), action, f"scenario:{scenario_id}@{number}", "not-found")
    return revision


def diff_revisions(ctx: Context, scenario_id: str, a: int, b: int | None) -> dict[str, Any]:
    """How revision `b` (default: the newest) differs from revision `a`, as `bastion runs compare` says it."""
    repo = Scenarios(ctx.session, _caller(ctx))
    rows = repo.diff_pair(scenario_id, a, b)  # both revisions and the scenario's marking in one query
    if not rows:  # not visible (or missing), or neither revision exists: which one, for the record
        _visible(ctx, repo, scenario_id, "diff-scenario")
        raise ctx.refuse(NotFound(NOT_FOUND), "diff-scenario", f"scenario:{scenario_id}@{a}", "not-found")
    number_b = rows[0]["head"] if b is None else b
    pair = {row["number"]: row for row in rows}
    for number in (a, number_b):
        if number not in pair:
            raise ctx.refuse(NotFound(NOT_FOUND), "diff-scenario", f"scenario:{scenario_id}@{number}", "not-found")
    first, second = pair[a], pair[number_b]
    texts = compare_texts(first["text"], second["text"], f"{scenario_id}@{a}", f"{scenario_id}@{number_b}")
    for change in texts["changes"]:
        change["text"] = change_text(change)
    ctx.record("diff-scenario", f"scenario:{scenario_id}@{a}..{number_b}", "ok")
    return {
        "scenario_id": scenario_id,
        "revision_a": a,
        "revision_b": number_b,
        "releasability_a": first["releasability"],
        "releasability_b": second["releasability"],
        "marking": marking(releasability_of(first)),
        **texts,
    }


def validate(ctx: Context, parse: Any) -> dict[str, Any]:
    """The loader's verdict on a scenario text or file: nothing is stored (any role may ask)."""
    _caller(ctx)
    try:
        received: Received = parse()
    except ScenarioError as error:
        ctx.record("validate-scenario", "-", "invalid")
        return {"valid": False, "name": None, "releasability": None, "problems": problems_json(error)}
    ctx.record("validate-scenario", "-", "ok")
    rel = received.releasability
    return {
        "valid": True,
        "name": received.scenario.name,
        "releasability": None if rel is None else rel.model_dump(mode="json"),
        "problems": [],
    }


def copy_scenario(ctx: Context, scenario_id: str, revision: int | None, message: str) -> dict[str, Any]:
    """A new scenario whose revision 1 is a revision of a visible scenario; analysts only.

    The copy keeps the source's current releasability (level, owner, nations): it is never
    released wider than its source, and only analysts of the owner nation may widen it later.
    """
    from bastion.server.scenario_input import from_text

    caller = _caller(ctx)
    repo = Scenarios(ctx.session, caller)
    obj = f"scenario:{scenario_id}"
    source = _visible(ctx, repo, scenario_id, "copy-scenario")
    if caller.role != "analyst":
        raise ctx.refuse(Forbidden("only analysts copy scenarios"), "copy-scenario", obj, "forbidden")
    number = source.head if revision is None else revision
    original = _revision(ctx, repo, scenario_id, number, "copy-scenario")
    try:
        received = from_text(original.text)
    except ScenarioError as error:  # a text this version's loader no longer accepts
        raise ctx.refuse(Invalid(problems_json(error)), "copy-scenario", f"{obj}@{number}", "invalid") from None
    rel = repo.releasability(source)
    note = message or f"copy of {scenario_id}@{number}"
    copy = repo.create(received.scenario.name, original.text, original.sha256, note, rel)
    ctx.record("copy-scenario", f"scenario:{copy.id}@1 from {obj}@{number}", "ok")
    return with_head(repo, copy)


def set_archived(ctx: Context, scenario_id: str, archived: bool) -> dict[str, Any]:
    """Archive ("delete") or restore a visible scenario; analysts of its owner nation only."""
    action = "archive-scenario" if archived else "restore-scenario"
    caller = _caller(ctx)
    repo = Scenarios(ctx.session, caller)
    obj = f"scenario:{scenario_id}"
    scenario = _visible(ctx, repo, scenario_id, action)
    if caller.role != "analyst" or caller.nation != scenario.owner:
        raise ctx.refuse(
            Forbidden("only analysts of the owner nation archive or restore a scenario"), action, obj, "forbidden"
        )
    repo.set_archived(scenario, archived)
    ctx.record(action, obj, "ok")
    return with_head(repo, scenario)
