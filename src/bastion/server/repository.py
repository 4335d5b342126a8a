"""The repository layer: every query on scenarios is filtered by the caller's nation and clearance.

A scenario is visible to a caller iff the caller's clearance ranks at or above the scenario's
level and the caller's nation is the owner's or one it is releasable to. Nothing outside this
module reads the scenario tables, so no route can forget the filter: an invisible scenario is
simply not found, exactly as a missing one.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from bastion.server.audit import BATCH_KEY
from bastion.server.security import rank, token_digest
from bastion.store.server_tables import (
    ApiToken,
    LoginFailure,
    ScenarioRelease,
    ScenarioRevision,
    ServerRun,
    ServerScenario,
    User,
)

ARCHIVED = ("no", "yes", "all")
"""The `archived` filter of a list: live scenarios only (default), archived ones only, or both."""

CANCELLABLE = ("queued", "running")
USE_NOTED_EVERY_S = 60
"""A token's `last_used_at` is written when it is older than this (not on every request)."""


@dataclass(frozen=True)
class Caller:
    """Who is asking: the user's name, role, nation and clearance."""

    name: str
    role: str
    nation: str
    clearance: str

    @classmethod
    def of(cls, user: User) -> Caller:
        return cls(user.name, user.role, user.nation, user.clearance)


@dataclass(frozen=True)
class Releasability:
    """A scenario's level, owner nation and the other nations it is releasable to."""

    level: str
    owner: str
    releasable_to: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"level": self.level, "owner": self.owner, "releasable_to": list(self.releasable_to)}


def _visible(caller: Caller) -> ColumnElement[bool]:
    released = exists().where(
        and_(ScenarioRelease.scenario_id == ServerScenario.id, ScenarioRelease.nation == caller.nation)
    )
    return and_(
        ServerScenario.level_rank <= rank(caller.clearance), or_(ServerScenario.owner == caller.nation, released)
    )


# The hot read paths' statements, built once (building a statement costs more CPU than running it on a
# small table): the caller's clearance rank and nation are the parameters `who_rank` and `who_nation`.
_VISIBLE = and_(
    ServerScenario.level_rank <= bindparam("who_rank"),
    or_(
        ServerScenario.owner == bindparam("who_nation"),
        exists().where(
            and_(ScenarioRelease.scenario_id == ServerScenario.id, ScenarioRelease.nation == bindparam("who_nation"))
        ),
    ),
)
_GET = select(ServerScenario).where(ServerScenario.id == bindparam("sid"), _VISIBLE)
_GET_WITH_HEAD = (
    select(ServerScenario, ScenarioRevision.text)
    .outerjoin(
        ScenarioRevision,
        and_(ScenarioRevision.scenario_id == ServerScenario.id, ScenarioRevision.number == ServerScenario.head),
    )
    .where(ServerScenario.id == bindparam("sid"), _VISIBLE)
)
_REVISION = (
    select(ScenarioRevision)
    .join(ServerScenario, ServerScenario.id == ScenarioRevision.scenario_id)
    .where(ScenarioRevision.scenario_id == bindparam("sid"), ScenarioRevision.number == bindparam("number"), _VISIBLE)
)
_REVISION_PAIR = (
    select(ScenarioRevision)
    .join(ServerScenario, ServerScenario.id == ScenarioRevision.scenario_id)
    .where(
        ScenarioRevision.scenario_id == bindparam("sid"),
        or_(ScenarioRevision.number == bindparam("a"), ScenarioRevision.number == bindparam("b")),
        _VISIBLE,
    )
)
_JOB = (
    select(ServerRun)
    .join(ServerScenario, ServerScenario.id == ServerRun.scenario_id)
    .where(ServerRun.id == bindparam("job"), ServerRun.kind == bindparam("kind"), _VISIBLE)
)
_RELEASES = (
    select(ScenarioRelease.nation)
    .where(ScenarioRelease.scenario_id == bindparam("sid"))
    .order_by(ScenarioRelease.nation)
)
_BY_TOKEN = (
    select(User, ApiToken)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked.is_(False), User.disabled.is_(False))
)


def _who(caller: Caller) -> dict[str, Any]:
    """The parameters of `_VISIBLE` for `caller`."""
    return {"who_rank": rank(caller.clearance), "who_nation": caller.nation}


class Users:
    """Users, tokens and failed logins."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_name(self, name: str) -> User | None:
        return self.session.execute(select(User).where(User.name == name)).scalar_one_or_none()

    def all(self) -> Sequence[User]:
        return self.session.execute(select(User).order_by(User.name)).scalars().all()

    def count(self) -> int:
        return int(self.session.execute(select(func.count()).select_from(User)).scalar_one())

    def add(self, name: str, role: str, nation: str, clearance: str, password_hash: str) -> User:
        user = User(
            name=name,
            role=role,
            nation=nation,
            clearance=clearance,
            disabled=False,
            password_hash=password_hash,
            created_at=datetime.now(UTC),
        )
        self.session.add(user)
        self.session.flush()
        return user

    def issue_token(self, user: User, token: str, ttl_s: int, kind: str = "login", name: str | None = None) -> ApiToken:
        now = datetime.now(UTC)
        row = ApiToken(
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
            revoked=False,
            kind=kind,
            name=name,
        )
        self.session.add(row)
        return row

    def by_token(self, token: str) -> User | None:
        """The enabled user holding an unexpired, unrevoked `token` (its last use noted, to the minute)."""
        row = self.session.execute(_BY_TOKEN, {"digest": token_digest(token)}).one_or_none()
        now = datetime.now(UTC)
        if row is None or row[1].expires_at <= now:
            return None
        if row[1].last_used_at is None or row[1].last_used_at <= now - timedelta(seconds=USE_NOTED_EVERY_S):
            if BATCH_KEY in self.session.info:  # a reading session writes nothing itself (db.py)
                self._note_use_apart(row[1].token_hash, now)
            else:
                row[1].last_used_at = now
        return row[0]

    def _note_use_apart(self, token_hash: str, now: datetime) -> None:
        """A token's last use, from a reading request: its own short transaction on a connection of
        its own (WAL lets it commit beside the readers), at most once a minute per token."""
        engine = self.session.get_bind().engine
        with engine.begin() as connection:
            connection.execute(update(ApiToken).where(ApiToken.token_hash == token_hash).values(last_used_at=now))

    def active_tokens(self, user: User) -> Sequence[ApiToken]:
        """The user's unrevoked, unexpired tokens (every kind), newest first."""
        return (
            self.session.execute(
                select(ApiToken)
                .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
                .where(ApiToken.expires_at > datetime.now(UTC))
                .order_by(ApiToken.created_at.desc(), ApiToken.token_hash)
            )
            .scalars()
            .all()
        )

    def revoke_tokens(self, user: User) -> None:
        """Revoke every token of `user`: bearer tokens and browser sessions alike."""
        for token in self.session.execute(select(ApiToken).where(ApiToken.user_id == user.id)).scalars():
            token.revoked = True

    def revoke_token(self, token: str) -> None:
        """Revoke one token (logging a browser session out); kept, like every token, for the record."""
        self.session.execute(update(ApiToken).where(ApiToken.token_hash == token_digest(token)).values(revoked=True))

    def recent_failures(self, username: str, address: str, window_s: int) -> tuple[int, int]:
        """Failed logins within the window: (for this user name, from this address)."""
        since = datetime.now(UTC) - timedelta(seconds=window_s)
        recent = LoginFailure.at >= since
        by_user = self.session.execute(
            select(func.count()).where(recent, LoginFailure.username == username)
        ).scalar_one()
        by_address = self.session.execute(
            select(func.count()).where(recent, LoginFailure.address == address)
        ).scalar_one()
        return int(by_user), int(by_address)

    def add_failure(self, username: str, address: str) -> None:
        self.session.add(LoginFailure(username=username[:200], address=address[:100], at=datetime.now(UTC)))

    def forget_failures(self, window_s: int) -> None:
        """Drop failures older than the window (they no longer count)."""
        since = datetime.now(UTC) - timedelta(seconds=window_s)
        self.session.execute(delete(LoginFailure).where(LoginFailure.at < since))


class Scenarios:
    """Scenarios and revisions as seen by one caller: everything here is filtered by `_visible`."""

    def __init__(self, session: Session, caller: Caller) -> None:
        self.session = session
        self.caller = caller

    def list(
        self, name: str | None = None, archived: str = "no", limit: int | None = None, offset: int = 0
    ) -> tuple[Sequence[ServerScenario], int]:
        """The visible scenarios matching the filters, oldest first, and how many match in all.

        `name`: a case-insensitive substring of the name; `archived`: one of `ARCHIVED`. The count
        is taken under the same filter as the rows, so it never counts an invisible scenario.
        """
        where: list[ColumnElement[bool]] = [_VISIBLE]
        if name:
            where.append(func.lower(ServerScenario.name).contains(name.lower(), autoescape=True))
        if archived != "all":
            where.append(ServerScenario.archived.is_(archived == "yes"))
        who = _who(self.caller)
        total = self.session.execute(select(func.count()).select_from(ServerScenario).where(*where), who).scalar_one()
        rows = (
            self.session.execute(
                select(ServerScenario)
                .where(*where)
                .order_by(ServerScenario.created_at, ServerScenario.id)
                .offset(offset)
                .limit(limit),
                who,
            )
            .scalars()
            .all()
        )
        return rows, int(total)

    def get(self, scenario_id: str) -> ServerScenario | None:
        return self.session.execute(_GET, {"sid": scenario_id, **_who(self.caller)}).scalar_one_or_none()

    def get_with_head(self, scenario_id: str) -> tuple[ServerScenario, str | None] | None:
        """A visible scenario and its newest revision's text, in one query."""
        row = self.session.execute(_GET_WITH_HEAD, {"sid": scenario_id, **_who(self.caller)}).one_or_none()
        return None if row is None else (row[0], row[1])

    def releasability(self, scenario: ServerScenario) -> Releasability:
        nations = self.session.execute(_RELEASES, {"sid": scenario.id}).scalars().all()
        return Releasability(scenario.level, scenario.owner, tuple(nations))

    def releasabilities(self, scenarios: Sequence[ServerScenario]) -> dict[str, Releasability]:
        """The releasability of each scenario, in one query (a list page without a query per scenario)."""
        nations: dict[str, list[str]] = {s.id: [] for s in scenarios}
        ids = list(nations)
        for start in range(0, len(ids), 500):  # bound the IN list
            for scenario_id, nation in self.session.execute(
                select(ScenarioRelease.scenario_id, ScenarioRelease.nation)
                .where(ScenarioRelease.scenario_id.in_(ids[start : start + 500]))
                .order_by(ScenarioRelease.scenario_id, ScenarioRelease.nation)
            ):
                nations[scenario_id].append(nation)
        return {s.id: Releasability(s.level, s.owner, tuple(nations[s.id])) for s in scenarios}

    def revisions(self, scenario_id: str) -> Sequence[ScenarioRevision] | None:
        if self.get(scenario_id) is None:
            return None
        return (
            self.session.execute(
                select(ScenarioRevision)
                .where(ScenarioRevision.scenario_id == scenario_id)
                .order_by(ScenarioRevision.number)
            )
            .scalars()
            .all()
        )

    def revision(self, scenario_id: str, number: int) -> ScenarioRevision | None:
        """Revision `number` of a visible scenario (one query: the revision joined to its visible scenario)."""
        return self.session.execute(
            _REVISION, {"sid": scenario_id, "number": number, **_who(self.caller)}
        ).scalar_one_or_none()

    def revision_pair(self, scenario_id: str, a: int, b: int) -> dict[int, ScenarioRevision]:
        """Revisions `a` and `b` of a visible scenario by number, in one query (those that exist)."""
        found = self.session.execute(_REVISION_PAIR, {"sid": scenario_id, "a": a, "b": b, **_who(self.caller)})
        return {revision.number: revision for revision in found.scalars()}

    def create(self, name: str, text: str, sha256: str, message: str, rel: Releasability) -> ServerScenario:
        scenario = ServerScenario(
            id=secrets.token_hex(8),
            name=name,
            created_at=datetime.now(UTC),
            created_by=self.caller.name,
            owner=rel.owner,
            level=rel.level,
            level_rank=rank(rel.level),
            head=0,
            archived=False,
        )
        self.session.add(scenario)
        self.session.flush()
        self.add_revision(scenario, name, text, sha256, message, rel)
        return scenario

    def add_revision(
        self, scenario: ServerScenario, name: str, text: str, sha256: str, message: str, rel: Releasability
    ) -> ScenarioRevision:
        """A new immutable revision on top of the head; the scenario takes its name and releasability."""
        number = scenario.head + 1
        revision = ScenarioRevision(
            scenario_id=scenario.id,
            number=number,
            parent=scenario.head or None,
            author=self.caller.name,
            created_at=datetime.now(UTC),
            message=message,
            text=text,
            sha256=sha256,
            releasability=rel.as_json(),
        )
        self.session.add(revision)
        scenario.head = number
        scenario.name = name
        scenario.owner = rel.owner
        scenario.level = rel.level
        scenario.level_rank = rank(rel.level)
        self.session.execute(delete(ScenarioRelease).where(ScenarioRelease.scenario_id == scenario.id))
        self.session.add_all(ScenarioRelease(scenario_id=scenario.id, nation=n) for n in rel.releasable_to)
        self.session.flush()
        return revision

    def set_archived(self, scenario: ServerScenario, archived: bool) -> None:
        """Archive ("delete") or restore a visible scenario: nothing is removed."""
        scenario.archived = archived
        self.session.flush()


def _visible_job(session: Session, caller: Caller, job_id: str, kind: str) -> ServerRun | None:
    """The job `job_id` of this kind (run | study) if its scenario is visible to `caller`, else None."""
    return session.execute(_JOB, {"job": job_id, "kind": kind, **_who(caller)}).scalar_one_or_none()


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
                select(ServerScenario.id).where(ServerScenario.id.in_(wanted[start : start + 500]), _visible(caller))
            ).scalars()
        )
    for start in range(0, len(jobs_wanted), 500):
        jobs.update(
            session.execute(
                select(ServerRun.id)
                .join(ServerScenario, ServerScenario.id == ServerRun.scenario_id)
                .where(ServerRun.id.in_(jobs_wanted[start : start + 500]), _visible(caller))
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

    def list(
        self, scenario_id: str | None = None, status: str | None = None, limit: int | None = None, offset: int = 0
    ) -> tuple[Sequence[ServerRun], int]:
        """The visible runs (of one scenario, in one status), newest first, and how many match in all."""
        where = [_VISIBLE, ServerRun.kind == "run"]  # studies share the queue, not this list
        if scenario_id is not None:
            where.append(ServerRun.scenario_id == scenario_id)
        if status is not None:
            where.append(ServerRun.status == status)
        joined = select(ServerRun).join(ServerScenario, ServerScenario.id == ServerRun.scenario_id).where(*where)
        who = _who(self.caller)
        total = self.session.execute(select(func.count()).select_from(joined.subquery()), who).scalar_one()
        rows = (
            self.session.execute(
                joined.order_by(ServerRun.created_at.desc(), ServerRun.id).offset(offset).limit(limit), who
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
