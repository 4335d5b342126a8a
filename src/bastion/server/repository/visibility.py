"""Who is asking, what a scenario is released to, and the filter every query on scenarios carries.

A scenario is visible to a caller iff the caller's clearance ranks at or above the scenario's level
and the caller's nation is the owner's or one it is releasable to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_

from bastion.server.security import rank
from bastion.store.server_tables import ScenarioRelease, ServerScenario, User


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


def visible(caller: Caller) -> ColumnElement[bool]:
    """The filter for `caller`, its values inlined (for statements built per call)."""
    released = exists().where(
        and_(ScenarioRelease.scenario_id == ServerScenario.id, ScenarioRelease.nation == caller.nation)
    )
    return and_(
        ServerScenario.level_rank <= rank(caller.clearance), or_(ServerScenario.owner == caller.nation, released)
    )


# The hot read paths' statements, built once (building a statement costs more CPU than running it on a
# small table): the caller's clearance rank and nation are the parameters `who_rank` and `who_nation`.
VISIBLE = and_(
    ServerScenario.level_rank <= bindparam("who_rank"),
    or_(
        ServerScenario.owner == bindparam("who_nation"),
        exists().where(
            and_(ScenarioRelease.scenario_id == ServerScenario.id, ScenarioRelease.nation == bindparam("who_nation"))
        ),
    ),
)


def who(caller: Caller) -> dict[str, Any]:
    """The parameters of `VISIBLE` for `caller`."""
    return {"who_rank": rank(caller.clearance), "who_nation": caller.nation}
