"""Service functions the web app needs that `bastion.server.services` does not have (yet).

Each calls existing code: the repository decides what the caller sees (a scenario not visible
is not found, and so are its revisions and runs), `bastion.store.compare` diffs texts and runs
(what `bastion runs compare` prints), `bastion.server.users` adds users. A later version of
the services may replace any of them: the web routes only call these names.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bastion.server import audit, services
from bastion.server.audit_read import count_visible, reading_left_out, visible_records
from bastion.server.errors import Forbidden, Invalid, NotFound
from bastion.server.repository import Runs, Scenarios, Users
from bastion.server.services import NOT_FOUND, Context
from bastion.server.users import UserError, add_user, check, keep_an_admin, serialise
from bastion.store.compare import compare, line_changes
from bastion.store.record import RunRecord
from bastion.store.repository import RunStore
from bastion.store.server_tables import AuditRecord, ServerRun, User


@dataclass(frozen=True)
class ScenarioRow:
    """One line of the scenarios list."""

    id: str
    name: str
    marking: str
    level: str
    owner: str
    revision: int
    changed_at: datetime | None
    changed_by: str
    last_run: str
    last_run_id: str
    releasable_to: tuple[str, ...] = ()


def _caller(ctx: Context) -> Any:
    if ctx.caller is None:  # pragma: no cover - the session dependency sets it
        raise NotFound(NOT_FOUND)
    return ctx.caller


def scenario_rows(ctx: Context) -> list[ScenarioRow]:
    """The visible scenarios, newest change first, with their last run's status."""
    repo = Scenarios(ctx.session, _caller(ctx))
    rows = []
    scenarios, _count = repo.list()  # not archived
    for scenario in scenarios:
        head = repo.revision(scenario.id, scenario.head)
        last = ctx.session.execute(
            select(ServerRun)
            .where(ServerRun.scenario_id == scenario.id, ServerRun.kind == "run")
            .order_by(ServerRun.created_at.desc())
            .limit(1)
        ).scalar_one_or_none()
        rows.append(
            ScenarioRow(
                scenario.id,
                scenario.name,
                services.marking(rel := repo.releasability(scenario)),
                scenario.level,
                scenario.owner,
                scenario.head,
                head.created_at if head is not None else None,
                head.author if head is not None else "",
                last.status if last is not None else "",
                last.id if last is not None else "",
                rel.releasable_to,
            )
        )
    ctx.record("list-scenarios", "-", "ok")
    rows.sort(key=lambda r: r.changed_at or datetime.min, reverse=True)
    return rows


def revision_diff(ctx: Context, scenario_id: str, a: int, b: int) -> dict[str, Any]:
    """The readable diff from revision `a` to `b` of a visible scenario (as `runs compare` shows)."""
    first = services.get_revision(ctx, scenario_id, a)
    second = services.get_revision(ctx, scenario_id, b)
    text_a, text_b = str(first["yaml"]), str(second["yaml"])
    unified = "".join(
        difflib.unified_diff(
            text_a.splitlines(keepends=True), text_b.splitlines(keepends=True), f"revision {a}", f"revision {b}"
        )
    )
    return {"a": first, "b": second, "changes": line_changes(text_a, text_b), "diff": unified}


def runs_of(ctx: Context, scenario_id: str, kind: str = "run") -> list[ServerRun]:
    """The runs (or studies: `kind` "study") of a visible scenario, newest first (not found when the
    scenario is not visible)."""
    repo = Scenarios(ctx.session, _caller(ctx))
    if repo.get(scenario_id) is None:
        raise ctx.refuse(NotFound(NOT_FOUND), f"list-{kind}s", f"scenario:{scenario_id}", "not-found")
    return list(
        ctx.session.execute(
            select(ServerRun)
            .where(ServerRun.scenario_id == scenario_id, ServerRun.kind == kind)
            .order_by(ServerRun.created_at.desc())
        ).scalars()
    )


def visible_run(ctx: Context, run_id: str) -> ServerRun:
    """The job of a visible run (recorded as a read); not found otherwise."""
    services.get_run(ctx, run_id)
    run = Runs(ctx.session, _caller(ctx)).get(run_id)
    if run is None:  # pragma: no cover - get_run raised already
        raise NotFound(NOT_FOUND)
    return run


def run_record(ctx: Context, run_id: str) -> RunRecord | None:
    """The stored run (every result and table) of a visible, finished run; None while not done."""
    job = visible_run(ctx, run_id)
    if job.status != "done" or not job.run_id:
        return None
    # Read through the request's own connection: it holds the store's write lock (SQLite) already.
    connection = cast(Engine, ctx.session.connection())
    return RunStore(connection, where="the server's store").get(job.run_id)


def compare_runs(ctx: Context, first: str, second: str) -> dict[str, Any]:
    """What changed from run `first` to run `second` (both visible and done): `bastion runs compare`."""
    a, b = run_record(ctx, first), run_record(ctx, second)
    if a is None or b is None:
        raise Invalid("both runs must be finished to compare them")
    from bastion.report.fmt import currency
    from bastion.server.web.compare_view import catalogue

    ctx.record("compare-runs", f"run:{first},run:{second}", "ok")
    names = catalogue(a.results)
    for kind, codes in catalogue(b.results).items():  # the newer run's names win
        names[kind] = {**names.get(kind, {}), **codes}
    return {**compare(a, b), "currency": currency(b.results), "names": names}


def _admin(ctx: Context, action: str) -> None:
    if _caller(ctx).role != "admin":
        raise ctx.refuse(Forbidden("only administrators manage users"), action, "-", "forbidden")


def list_users(ctx: Context) -> list[User]:
    _admin(ctx, "list-users")
    ctx.record("list-users", "-", "ok")
    return list(Users(ctx.session).all())


def user_name(ctx: Context, user_id: int) -> str | None:
    """The name of user `user_id`, for an administrator's change (None: no such user). Nothing is
    recorded here: the change is, after its own writes (audit.append's lock comes last)."""
    _admin(ctx, "change-user")
    user = ctx.session.get(User, user_id)
    return None if user is None else str(user.name)


def first_analyst_wanted(ctx: Context) -> bool:
    """True for an administrator while no active analyst exists (a fresh server): the scenarios page
    then offers the one-step "create your analyst account" form (docs/web.md, "First start")."""
    if _caller(ctx).role != "admin":
        return False
    active = select(func.count()).select_from(User).where(User.role == "analyst", User.disabled.is_(False))
    return int(ctx.session.execute(active).scalar_one()) == 0


def lock_users(ctx: Context) -> None:
    """Serialise this request's user change with any other (`users.serialise`): called before anything
    in the request appends an audit record."""
    serialise(ctx.session)


def new_user(ctx: Context, name: str, role: str, nation: str, clearance: str, password: str) -> None:
    _admin(ctx, "add-user")
    try:
        add_user(ctx.session, name, role, nation, clearance, password, actor=ctx.who)
    except UserError as error:
        raise Invalid(str(error)) from None


def change_user(ctx: Context, name: str, *, role: str, nation: str, clearance: str, disabled: bool) -> None:
    """Set a user's role, nation, clearance and whether disabled; their tokens are revoked on any change."""
    _admin(ctx, "change-user")
    serialise(ctx.session)  # before reading the user: the last-administrator check (users.serialise)
    users = Users(ctx.session)
    user = users.by_name(name)
    if user is None:
        raise NotFound(NOT_FOUND)
    try:
        check(role, nation, clearance)
    except UserError as error:
        raise Invalid(str(error)) from None
    before = (user.role, user.nation, user.clearance, user.disabled)
    after = (role, nation, clearance, disabled)
    if before == after:
        return
    try:
        keep_an_admin(ctx.session, user, role, disabled)
    except UserError as error:
        raise Invalid(str(error)) from None
    user.role, user.nation, user.clearance, user.disabled = after
    users.revoke_tokens(user)
    change = f"user:{name} role={role} nation={nation} clearance={clearance} disabled={disabled}"
    ctx.record("change-user", change, "ok")


@dataclass(frozen=True)
class AuditPage:
    records: list[AuditRecord]
    total: int
    checked: int
    broken: str | None


def audit_page(ctx: Context, filters: dict[str, str], limit: int = 200) -> AuditPage:
    """Audit records (newest first) matching the filters, and the whole chain's verification."""
    if _caller(ctx).role != "auditor":
        raise ctx.refuse(Forbidden("only auditors read the audit trail"), "read-audit", "-", "forbidden")
    query = select(AuditRecord)
    for name, column in (("actor", AuditRecord.actor), ("action", AuditRecord.action),
                         ("outcome", AuditRecord.outcome)):
        if filters.get(name):
            query = query.where(column == filters[name])
    if filters.get("object"):
        query = query.where(AuditRecord.object.contains(filters["object"]))
    if filters.get("since"):
        try:
            query = query.where(AuditRecord.at >= audit.since_text(filters["since"]))
        except ValueError as error:
            raise ctx.refuse(Invalid(str(error)), "read-audit", "-", "invalid") from None
    query = reading_left_out(query, filters.get("action") or None, _caller(ctx).name)
    # only the records about what the auditor may see, and only those counted (audit_read)
    total = count_visible(ctx.session, _caller(ctx), query)
    records = visible_records(ctx.session, _caller(ctx), query, limit, newest_first=True)
    # The chain is checked on a connection and snapshot of its own (audit.checked: under PostgreSQL's
    # READ COMMITTED this session's statements each see newer commits); this session's transaction ends
    # first (it only read; its objects stay loaded), so that a request never holds two connections.
    ctx.session.commit()
    bind = ctx.session.get_bind()
    found = audit.checked(bind if isinstance(bind, Engine) else bind.engine)
    ctx.record("read-audit", "-", "ok")
    return AuditPage(records, total, found.records, None if found.broken is None else str(found.broken))
