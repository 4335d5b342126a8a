"""The server's services: what each request does, with its audit record. Routes stay thin.

Each service method runs inside the request's session; a refused request records its audit
record and commits it before raising, so denials are in the trail too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, RowMapping
from sqlalchemy.orm import Session

from bastion.scenario.errors import ScenarioError
from bastion.scenario.model import release_marking
from bastion.server import audit
from bastion.server.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError, TooManyAttempts, Unauthorized
from bastion.server.repository import Caller, Releasability, Runs, Scenarios, Users
from bastion.server.repository.scenarios import releasability_of
from bastion.server.scenario_input import Received, problems_json
from bastion.server.security import DUMMY_HASH, new_token, rank, verify_password
from bastion.server.settings import ServerSettings
from bastion.store.server_tables import ScenarioRevision, ServerRun, ServerScenario, User

NOT_FOUND = "not found"
#: A run's sampled futures for a confidence plan unless the request says (as `bastion run --futures`).
DEFAULT_FUTURES = 200
MAX_FUTURES = 2000


@dataclass
class Context:
    """One request: its session, the caller (None before login) and the client's address."""

    session: Session
    caller: Caller | None
    address: str

    @property
    def who(self) -> str:
        return self.caller.name if self.caller is not None else "-"

    def record(self, action: str, obj: str, outcome: str) -> None:
        audit.append(self.session, actor=self.who, address=self.address, action=action, obj=obj, outcome=outcome)

    def refuse(self, error: ServiceError, action: str, obj: str, outcome: str) -> ServiceError:
        """Record the refusal, commit it, and give the error to raise."""
        self.record(action, obj, outcome)
        self.session.commit()
        return error


def login(ctx: Context, settings: ServerSettings, username: str, password: str) -> str:
    """A new bearer token for a correct user name and password; 401 otherwise, 429 when rate-limited."""
    user = authenticate(ctx, settings, username, password)
    token = new_token()
    Users(ctx.session).issue_token(user, token, settings.token_ttl_s)
    ctx.record("login", username, "success")
    return token


def authenticate(ctx: Context, settings: ServerSettings, username: str, password: str) -> User:
    """The user of a correct name and password, now the context's caller; 401 otherwise, 429 when
    rate-limited (5 failures per name or per address within the window). The caller records the login."""
    users = Users(ctx.session)
    users.forget_failures(settings.login_window_s)
    by_user, by_address = users.recent_failures(username, ctx.address, settings.login_window_s)
    if max(by_user, by_address) >= settings.login_max_failures:
        raise ctx.refuse(TooManyAttempts("too many failed logins: try again later"), "login", username, "rate-limited")
    user = users.by_name(username)
    ok = verify_password(user.password_hash if user is not None else DUMMY_HASH, password)
    if user is None or not ok or user.disabled:
        users.add_failure(username, ctx.address)
        raise ctx.refuse(Unauthorized("wrong user name or password"), "login", username, "failure")
    ctx.caller = Caller.of(user)
    return user


def _caller(ctx: Context) -> Caller:
    if ctx.caller is None:  # pragma: no cover - the auth dependency sets it
        raise Unauthorized("not authenticated")
    return ctx.caller


def scenario_json(repo: Scenarios, scenario: ServerScenario, rel: Releasability | None = None) -> dict[str, Any]:
    rel = rel if rel is not None else repo.releasability(scenario)
    return {
        "id": scenario.id,
        "name": scenario.name,
        "revision": scenario.head,
        "created_at": scenario.created_at,
        "created_by": scenario.created_by,
        "releasability": rel.as_json(),
        "marking": marking(rel),
        "archived": scenario.archived,
    }


def with_head(repo: Scenarios, scenario: ServerScenario) -> dict[str, Any]:
    """`scenario_json` with its newest revision's author and time (`revised_by`, `revised_at`), as a
    single scenario's answers give them (`created_by`, `created_at` stay the scenario's, revision 1's)."""
    out = scenario_json(repo, scenario)
    head = repo.revision(scenario.id, scenario.head)
    out["revised_by"] = head.author if head is not None else None
    out["revised_at"] = head.created_at if head is not None else None
    return out


def revision_json(revision: ScenarioRevision, *, with_text: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "scenario_id": revision.scenario_id,
        "revision": revision.number,
        "parent": revision.parent,
        "author": revision.author,
        "created_at": revision.created_at,
        "message": revision.message,
        "sha256": revision.sha256,
        "releasability": revision.releasability,
    }
    if with_text:
        out["yaml"] = revision.text
    return out


def summary_json(row: RowMapping) -> dict[str, Any]:
    """As `scenario_json`, from a row of the repository's `SUMMARY` (a list page, a read)."""
    rel, shown = _released(row["level"], row["owner"], row["nations"])
    return {
        "id": row["id"],
        "name": row["name"],
        "revision": row["head"],
        "created_at": row["created_at"],
        "created_by": row["created_by"],
        "releasability": rel.as_json(),
        "marking": shown,
        "archived": row["archived"],
    }


@lru_cache(maxsize=4096)
def _released(level: str, owner: str, nations: str | None) -> tuple[Releasability, str]:
    """The releasability of a row's `level`, `owner` and `nations`, and its marking: a list page of 50
    shows the same few over and over (kept, as `marking`; the key is the row's own text)."""
    rel = releasability_of({"level": level, "owner": owner, "nations": nations})
    return rel, marking(rel)


@lru_cache(maxsize=4096)
def marking(rel: Releasability) -> str:
    """The marking shown with a scenario, e.g. `RESTRICTED // REL TO LVA, EST, LTU` (a list page shows
    the same few markings over and over: kept)."""
    return release_marking(rel.level, rel.owner, rel.releasable_to)


def combined_marking(rels: list[Releasability]) -> str | None:
    """The marking of an answer that shows several scenarios' content at once (a comparison of runs, a
    list page): the highest level among them, released only to the nations that may see every one of
    them (each scenario's owner and the nations it is released to, intersected); the owner first when
    they all share one. None for no scenario."""
    if not rels:
        return None
    level = max((r.level for r in rels), key=rank)
    common = set.intersection(*({r.owner, *r.releasable_to} for r in rels))
    owners = {r.owner for r in rels}
    if len(owners) == 1:
        owner = next(iter(owners))
        return release_marking(level, owner, tuple(sorted(common - {owner})))
    if not common:  # no nation may see them all (no caller sees such an answer: each sees every part)
        return f"{level} // NOT RELEASABLE TOGETHER"
    return release_marking(level, None, tuple(sorted(common)))


def _visible(ctx: Context, repo: Scenarios, scenario_id: str, action: str) -> ServerScenario:
    scenario = repo.get(scenario_id)
    if scenario is None:
        raise ctx.refuse(NotFound(NOT_FOUND), action, f"scenario:{scenario_id}", "not-found")
    return scenario


def refuse_if_archived(ctx: Context, scenario: ServerScenario, action: str) -> None:
    """409 for a change to, or a run of, an archived scenario (restore it first)."""
    if scenario.archived:
        raise ctx.refuse(
            Conflict("the scenario is archived: restore it first"), action, f"scenario:{scenario.id}", "archived"
        )


def get_scenario(ctx: Context, scenario_id: str) -> dict[str, Any]:
    repo = Scenarios(ctx.session, _caller(ctx))
    found = repo.summary_with_head(scenario_id)  # the scenario, its nations and newest text in one query
    if found is None:
        raise ctx.refuse(NotFound(NOT_FOUND), "read-scenario", f"scenario:{scenario_id}", "not-found")
    out = summary_json(found)
    out["yaml"] = found["text"]
    out["revised_by"], out["revised_at"] = found["revised_by"], found["revised_at"]
    ctx.record("read-scenario", f"scenario:{scenario_id}", "ok")
    return out


def list_revisions(ctx: Context, scenario_id: str) -> list[dict[str, Any]]:
    repo = Scenarios(ctx.session, _caller(ctx))
    revisions = repo.revisions(scenario_id)
    if revisions is None:
        raise ctx.refuse(NotFound(NOT_FOUND), "list-revisions", f"scenario:{scenario_id}", "not-found")
    ctx.record("list-revisions", f"scenario:{scenario_id}", "ok")
    return [revision_json(r, with_text=False) for r in revisions]


def get_revision(ctx: Context, scenario_id: str, number: int) -> dict[str, Any]:
    repo = Scenarios(ctx.session, _caller(ctx))
    revision = repo.revision(scenario_id, number)
    obj = f"scenario:{scenario_id}@{number}"
    if revision is None:
        raise ctx.refuse(NotFound(NOT_FOUND), "read-revision", obj, "not-found")
    ctx.record("read-revision", obj, "ok")
    return revision_json(revision, with_text=True)


def _releasability(received: Received, default: Releasability) -> Releasability:
    """The file's releasability (owner: the default's if left out), or `default` when the file has none."""
    rel = received.releasability
    if rel is None:
        return default
    owner = rel.owner or default.owner
    # The loader refuses a repeated nation and the owner in `releasable_to`; an owner left out (the
    # creator's nation) may still be listed there, and is dropped. Stored sorted.
    return Releasability(rel.level, owner, tuple(sorted(n for n in rel.releasable_to if n != owner)))


def _parse(ctx: Context, parse: Any, action: str, obj: str) -> Received:
    try:
        received: Received = parse()
    except ScenarioError as error:
        raise ctx.refuse(Invalid(problems_json(error)), action, obj, "invalid") from None
    return received


def create_scenario(ctx: Context, parse: Any, message: str) -> dict[str, Any]:
    """Create a scenario from a parser of the request's text or file (first revision)."""
    caller = _caller(ctx)
    if caller.role != "analyst":
        raise ctx.refuse(Forbidden("only analysts create scenarios"), "create-scenario", "-", "forbidden")
    received = _parse(ctx, parse, "create-scenario", "-")
    rel = _releasability(received, Releasability("UNCLASSIFIED", caller.nation, ()))
    if rel.owner != caller.nation:
        raise ctx.refuse(
            Forbidden(f"a scenario you create is owned by your nation ({caller.nation})"),
            "create-scenario",
            "-",
            "forbidden",
        )
    if rank(rel.level) > rank(caller.clearance):
        raise ctx.refuse(
            Forbidden(f"the level {rel.level} is above your clearance"), "create-scenario", "-", "forbidden"
        )
    repo = Scenarios(ctx.session, caller)
    scenario = repo.create(received.scenario.name, received.text, received.sha256, message, rel)
    ctx.record("create-scenario", f"scenario:{scenario.id}@1", "ok")
    return with_head(repo, scenario)


def add_revision(ctx: Context, scenario_id: str, parse: Any, message: str) -> dict[str, Any]:
    """A new revision of a visible scenario; a change of releasability only by analysts of the owner nation."""
    caller = _caller(ctx)
    repo = Scenarios(ctx.session, caller)
    obj = f"scenario:{scenario_id}"
    scenario = _visible(ctx, repo, scenario_id, "edit-scenario")
    if caller.role != "analyst":
        raise ctx.refuse(Forbidden("only analysts edit scenarios"), "edit-scenario", obj, "forbidden")
    refuse_if_archived(ctx, scenario, "edit-scenario")
    received = _parse(ctx, parse, "edit-scenario", obj)
    current = repo.releasability(scenario)
    # A file that leaves `releasability` out keeps the scenario's; writing it may change it.
    rel = _releasability(received, current)
    if rel != current:
        if caller.nation != current.owner:
            raise ctx.refuse(
                Forbidden("only analysts of the owner nation change a scenario's releasability"),
                "change-releasability",
                obj,
                "forbidden",
            )
        if rank(rel.level) > rank(caller.clearance):
            raise ctx.refuse(
                Forbidden(f"the level {rel.level} is above your clearance"), "change-releasability", obj, "forbidden"
            )
    revision = repo.add_revision(scenario, received.scenario.name, received.text, received.sha256, message, rel)
    if rel != current:
        ctx.record("change-releasability", f"{obj}@{revision.number}", "ok")
    ctx.record("edit-scenario", f"{obj}@{revision.number}", "ok")
    return {**scenario_json(repo, scenario), "revised_by": revision.author, "revised_at": revision.created_at}


def run_json(run: ServerRun | Row[Any]) -> dict[str, Any]:
    """A run's answer, from its ORM object or a row of the repository's `RUN_COLUMNS`."""
    return {
        "id": run.id,
        "scenario_id": run.scenario_id,
        "revision": run.revision,
        "status": run.status,
        "progress": {"stage": run.stage, "step": run.step},
        "paths": run.paths,
        "seed": run.seed,
        "confidence": run.confidence,
        "futures": run.futures if run.futures is not None else DEFAULT_FUTURES,
        "created_by": run.created_by,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "error": run.error,
        "result": run.result if run.status == "done" else None,
    }


def marked(ctx: Context, *runs: dict[str, Any]) -> str | None:
    """Each run's answer gets its scenario's releasability `marking` (as the scenario's answers show it),
    the scenarios read in one query; returns the marking of the runs together (`combined_marking`: the
    highest level, released to the nations that may see every one; None for no run). A run is visible
    iff its scenario is: a scenario not found (none in practice) leaves the marking null."""
    found = Scenarios(ctx.session, _caller(ctx)).releasabilities({str(run["scenario_id"]) for run in runs})
    rels = {sid: _released(level, owner, nations) for sid, (level, owner, nations) in found.items()}
    for run in runs:
        got = rels.get(str(run["scenario_id"]))
        run["marking"] = got[1] if got is not None else None
    return combined_marking([rel for rel, _shown in rels.values()])


def start_run(
    ctx: Context,
    scenario_id: str,
    revision: int | None,
    paths: int,
    seed: int,
    confidence: float | None = None,
    futures: int = DEFAULT_FUTURES,
) -> dict[str, Any]:
    """Queue a run of a visible scenario's revision (default: the newest); analysts only.

    `confidence` (0 < P < 1): the run plans at that confidence against `futures` sampled futures,
    as `bastion run --confidence P --futures S` (docs/method-confidence.md); None: the deterministic
    plan (or the targets' own confidence, as in the file)."""
    if confidence is not None and not 0 < confidence < 1:
        raise Invalid("confidence: a probability strictly between 0 and 1, such as 0.9 (or none)")
    if not 1 <= futures <= MAX_FUTURES:
        raise Invalid(f"futures: a whole number from 1 to {MAX_FUTURES:,}")
    caller = _caller(ctx)
    repo = Scenarios(ctx.session, caller)
    obj = f"scenario:{scenario_id}"
    scenario = _visible(ctx, repo, scenario_id, "start-run")
    if caller.role != "analyst":
        raise ctx.refuse(Forbidden("only analysts start runs"), "start-run", obj, "forbidden")
    refuse_if_archived(ctx, scenario, "start-run")
    number = scenario.head if revision is None else revision
    if repo.revision(scenario_id, number) is None:
        raise ctx.refuse(NotFound(NOT_FOUND), "start-run", f"{obj}@{number}", "not-found")
    run = Runs(ctx.session, caller).add(scenario, number, paths, seed, confidence, futures)
    ctx.record("start-run", f"run:{run.id}", "ok")
    out = run_json(run)
    marked(ctx, out)
    return out


def _visible_run(ctx: Context, run_id: str, action: str) -> ServerRun:
    run = Runs(ctx.session, _caller(ctx)).get(run_id)
    if run is None:
        raise ctx.refuse(NotFound(NOT_FOUND), action, f"run:{run_id}", "not-found")
    return run


def get_run(ctx: Context, run_id: str) -> dict[str, Any]:
    run = Runs(ctx.session, _caller(ctx)).row(run_id)  # the columns shown, in one query
    if run is None:
        raise ctx.refuse(NotFound(NOT_FOUND), "read-run", f"run:{run_id}", "not-found")
    ctx.record("read-run", f"run:{run_id}", "ok")
    return {**run_json(run), "marking": _released(run.level, run.owner, run.nations)[1]}


def report(ctx: Context, run_id: str, kind: str) -> bytes:
    """The report's HTML or XLSX bytes of a finished run; 409 while it is not done."""
    run = _visible_run(ctx, run_id, f"download-{kind}")
    data = run.report_html if kind == "html" else run.report_xlsx
    if run.status != "done" or data is None:
        raise ctx.refuse(
            Conflict(f"no report: the run is {run.status}"), f"download-{kind}", f"run:{run_id}", "not-ready"
        )
    ctx.record(f"download-{kind}", f"run:{run_id}", "ok")
    return data
