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
    prog = scenario.programme
    if prog is None or not prog.tasks:
        return {}
    offset = float(month_index(scenario.programme_start(), scenario.horizon.start))
    finish: dict[str, float] = {}
    pending = dict(prog.tasks)
    while pending:  # plain forward pass; the loader has rejected cycles
        for tid, task in list(pending.items()):
            if all(p in finish for p in task.after):
                start = max((finish[p] for p in task.after), default=offset)
                finish[tid] = start + task.duration_months[1]
                del pending[tid]
    return finish


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
