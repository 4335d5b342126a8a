"""Each line's earliest online month, as a month index from `horizon.start`.

A line's `online` is a month, a milestone (a programme task's finish), or left
out (month 0). A milestone finishing at f months after the horizon start
brings the line online in month ceil(f) (SCENARIO.md, "Time"). The
deterministic plan uses mode durations.
"""

from __future__ import annotations

import math

from bastion.scenario.model import MilestoneRef, Scenario
from bastion.scenario.types import month_index


def online_month_from_finish(finish: float) -> int:
    """The first whole month after a milestone finishing at `finish` months (ceil, 1e-6 tolerant)."""
    return math.ceil(round(finish, 6))


def milestone_finishes(scenario: Scenario) -> dict[str, float]:
    """Each programme task's finish, in months from `horizon.start`, with mode durations.

    Uses the programme engine's deterministic schedule (resource-constrained
    where the programme has resources).
    """
    if scenario.programme is None or not scenario.programme.tasks:
        return {}
    from bastion.programme.scenario import deterministic_schedule

    return deterministic_schedule(scenario).finish_from_horizon()


def line_online_months(scenario: Scenario) -> dict[str, int]:
    """Line id -> the first month index it can produce (may be < 0: online before the horizon)."""
    finishes: dict[str, float] | None = None
    out: dict[str, int] = {}
    for lid, (_sid, line) in scenario.all_lines().items():
        if line.online is None:
            out[lid] = 0
        elif isinstance(line.online, MilestoneRef):
            if finishes is None:
                finishes = milestone_finishes(scenario)
            out[lid] = online_month_from_finish(finishes[line.online.milestone])
        else:
            out[lid] = month_index(line.online, scenario.horizon.start)
    return out
