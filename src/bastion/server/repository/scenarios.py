"""Scenarios and their revisions as seen by one caller: every query carries the visibility filter."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, RowMapping, Select, and_, bindparam, delete, func, or_, select
from sqlalchemy.orm import Session

from bastion.server.repository.visibility import VISIBLE, Caller, Releasability, who
from bastion.server.security import rank
from bastion.store.server_tables import ScenarioRelease, ScenarioRevision, ServerScenario

ARCHIVED = ("no", "yes", "all")
"""The `archived` filter of a list: live scenarios only (default), archived ones only, or both."""

# The hot read paths' statements, built once (building a statement costs more CPU than running it on a
# small table): the caller's clearance rank and nation are the parameters `who_rank` and `who_nation`.
_GET = select(ServerScenario).where(ServerScenario.id == bindparam("sid"), VISIBLE)
_REVISION = (
    select(ScenarioRevision)
    .join(ServerScenario, ServerScenario.id == ScenarioRevision.scenario_id)
    .where(ScenarioRevision.scenario_id == bindparam("sid"), ScenarioRevision.number == bindparam("number"), VISIBLE)
)
_RELEASES = (
    select(ScenarioRelease.nation)
    .where(ScenarioRelease.scenario_id == bindparam("sid"))
    .order_by(ScenarioRelease.nation)
)

# Rows, not ORM objects, for the reads that answer most requests (a list page, a scenario, a diff): the
# columns an answer shows, and the nations a scenario is released to folded in as one text (`nations`,
# comma-separated in no particular order: `releasability_of` sorts them), so no second query.
_NATIONS = (
    select(func.aggregate_strings(ScenarioRelease.nation, ","))
    .where(ScenarioRelease.scenario_id == ServerScenario.id)
    .scalar_subquery()
    .label("nations")
)
NATIONS = _NATIONS
"""The nations a scenario (`ServerScenario`, in the statement) is released to, as one text column."""
_COLUMNS = (
    ServerScenario.id,
    ServerScenario.name,
    ServerScenario.head,
    ServerScenario.created_at,
    ServerScenario.created_by,
    ServerScenario.owner,
    ServerScenario.level,
    ServerScenario.archived,
)
SUMMARY = (*_COLUMNS, _NATIONS)
"""The columns of a scenario's summary row (`Scenarios.page`, `Scenarios.summary_with_head`)."""
_SUMMARY_WITH_HEAD = (
    select(
        *SUMMARY,
        ScenarioRevision.text,
        ScenarioRevision.author.label("revised_by"),
        ScenarioRevision.created_at.label("revised_at"),
    )
    .outerjoin(
        ScenarioRevision,
        and_(ScenarioRevision.scenario_id == ServerScenario.id, ScenarioRevision.number == ServerScenario.head),
    )
    .where(ServerScenario.id == bindparam("sid"), VISIBLE)
)
_DIFF_PAIR = (
    select(
        ScenarioRevision.number,
        ScenarioRevision.text,
        ScenarioRevision.releasability,
        ServerScenario.head,
        ServerScenario.level,
        ServerScenario.owner,
        _NATIONS,
    )
    .join(ServerScenario, ServerScenario.id == ScenarioRevision.scenario_id)
    .where(
        ScenarioRevision.scenario_id == bindparam("sid"),
        or_(
            ScenarioRevision.number == bindparam("a"),
            ScenarioRevision.number == func.coalesce(bindparam("b", type_=Integer), ServerScenario.head),
        ),
        VISIBLE,
    )
)
_PAGES: dict[tuple[bool, str, bool], tuple[Select[*tuple[Any, ...]], Select[int]]] = {}
"""A list page's statement and its count, by (name filter, `archived`, limit), built on first use."""


def _page_statements(
    named: bool, archived: str, limited: bool
) -> tuple[Select[*tuple[Any, ...]], Select[int]]:
    key = (named, archived, limited)
    if key not in _PAGES:
        where: list[ColumnElement[bool]] = [VISIBLE]
        if named:  # `name_like`: the lower-cased part of the name, escaped with `/` (`_contains_pattern`)
            where.append(func.lower(ServerScenario.name).like(bindparam("name_like"), escape="/"))
        if archived != "all":
            where.append(ServerScenario.archived.is_(archived == "yes"))
        count = select(func.count()).select_from(ServerScenario).where(*where)
        chosen = (
            select(*_COLUMNS)
            .where(*where)
            .order_by(ServerScenario.created_at, ServerScenario.id)
            .offset(bindparam("offset", type_=Integer))
        )
        if limited:
            chosen = chosen.limit(bindparam("limit", type_=Integer))
        rows = chosen.subquery()  # the page first, then the nations of its rows only (not of those skipped)
        nations = (
            select(func.aggregate_strings(ScenarioRelease.nation, ","))
            .where(ScenarioRelease.scenario_id == rows.c.id)
            .scalar_subquery()
            .label("nations")
        )
        columns: list[Any] = [*rows.c, nations]
        if limited:  # a page of `limit` carries the count of every match (one statement, not two: same filter)
            columns.append(count.scalar_subquery().correlate(None).label("total"))
        page = select(*columns).order_by(rows.c.created_at, rows.c.id)
        _PAGES[key] = (page, count)
    return _PAGES[key]


def _contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character `/`) matching any text that contains `text` as it is."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def releasability_of(row: Mapping[Any, Any]) -> Releasability:
    """The releasability of a scenario read as a row with `level`, `owner` and `nations`."""
    nations = row["nations"]
    return Releasability(row["level"], row["owner"], tuple(sorted(nations.split(","))) if nations else ())


class Scenarios:
    """Scenarios and revisions as seen by one caller: everything here is filtered by `VISIBLE`."""

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
        where: list[ColumnElement[bool]] = [VISIBLE]
        if name:
            where.append(func.lower(ServerScenario.name).contains(name.lower(), autoescape=True))
        if archived != "all":
            where.append(ServerScenario.archived.is_(archived == "yes"))
        params = who(self.caller)
        count = select(func.count()).select_from(ServerScenario).where(*where)
        total = self.session.execute(count, params).scalar_one()
        rows = (
            self.session.execute(
                select(ServerScenario)
                .where(*where)
                .order_by(ServerScenario.created_at, ServerScenario.id)
                .offset(offset)
                .limit(limit),
                params,
            )
            .scalars()
            .all()
        )
        return rows, int(total)

    def page(
        self, name: str | None = None, archived: str = "no", limit: int | None = None, offset: int = 0
    ) -> tuple[Sequence[RowMapping], int]:
        """As `list`, as rows of `SUMMARY`. The count is taken under the same filter as the rows: in the
        page's own statement when it has a `limit` (its rows' `total`), by a second query only when the
        page does not tell it (a page past the end). Core execution: the statement selects columns, no
        ORM entity, so the ORM's execution layer would only add its cost."""
        page, count = _page_statements(bool(name), archived, limit is not None)
        params = {**who(self.caller), "offset": offset}
        if name:
            params["name_like"] = _contains_pattern(name.lower())
        if limit is not None:
            params["limit"] = limit
        connection = self.session.connection()
        rows = connection.execute(page, params).mappings().all()
        if rows and limit is not None:
            return rows, int(rows[0]["total"])
        if rows or offset == 0:
            return rows, offset + len(rows)  # everything from `offset` on (no limit), or nothing visible at all
        return rows, int(connection.execute(count, params).scalar_one())

    def releasabilities(self, scenario_ids: set[str]) -> dict[str, tuple[str, str, str | None]]:
        """The `level`, `owner` and `nations` text of each visible scenario among `scenario_ids`, in one
        query (an invisible or unknown id is left out)."""
        if not scenario_ids:
            return {}
        stmt = select(ServerScenario.id, ServerScenario.level, ServerScenario.owner, _NATIONS).where(
            ServerScenario.id.in_(sorted(scenario_ids)), VISIBLE
        )
        rows = self.session.connection().execute(stmt, who(self.caller)).all()
        return {str(r[0]): (str(r[1]), str(r[2]), r[3]) for r in rows}

    def summary_with_head(self, scenario_id: str) -> RowMapping | None:
        """A visible scenario as a row of `SUMMARY` with its newest revision's `text`, in one query."""
        return (
            self.session.connection()
            .execute(_SUMMARY_WITH_HEAD, {"sid": scenario_id, **who(self.caller)})
            .mappings()
            .first()
        )

    def diff_pair(self, scenario_id: str, a: int, b: int | None) -> Sequence[RowMapping]:
        """Revisions `a` and `b` (None: the newest) of a visible scenario, in one query: rows of their
        `number`, `text` and `releasability` with the scenario's `head`, `level`, `owner` and `nations`.
        None found: the scenario is not visible, or neither revision exists."""
        return (
            self.session.connection()
            .execute(_DIFF_PAIR, {"sid": scenario_id, "a": a, "b": b, **who(self.caller)})
            .mappings()
            .all()
        )

    def get(self, scenario_id: str) -> ServerScenario | None:
        return self.session.execute(_GET, {"sid": scenario_id, **who(self.caller)}).scalar_one_or_none()

    def releasability(self, scenario: ServerScenario) -> Releasability:
        nations = self.session.execute(_RELEASES, {"sid": scenario.id}).scalars().all()
        return Releasability(scenario.level, scenario.owner, tuple(nations))

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
            _REVISION, {"sid": scenario_id, "number": number, **who(self.caller)}
        ).scalar_one_or_none()

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
