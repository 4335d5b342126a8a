"""Component buffers: stock of bought items held in the sites' stores, a first-stage decision of the
plan at a confidence (docs/method-confidence.md, "Component buffers").

The deterministic plan buys each component just in time, so a supplier's stop idles the lines
that use it, and a line that runs at capacity never makes up that output (the simulator's
policy catches up its plan, never gets ahead of it). A buffer of `cover` months of a bought
item's peak monthly use, held from the month the plan first uses it to `cover` months before
the last target's `by` (the plan then draws it itself), lets the lines run through a stop:
the simulator draws the stock when the supplier is short, and the backlog refills it
afterwards. The plan buys the buffer where its suppliers have
room (before the lines start, as a rule), at its price and holding cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bastion.plan.index import Floor
from bastion.plan.result import PlanResult
from bastion.scenario.model import Scenario
from bastion.scenario.types import month_index

COVERS = (1.0, 2.0, 3.0, 4.0, 6.0)
"""Months of peak use tried as component buffers (after none), in order."""


def component_floors(scenario: Scenario, det: PlanResult, cover: float) -> tuple[Floor, ...]:
    """Store floors of `cover` months of each bought item's peak monthly use in `det` (units
    leaving the store: used by the lines, or delivered), per site, from the first month `det`
    uses the item there to ceil(cover) months before the latest target's `by` (the plan draws
    the buffer itself in those last months instead of buying, so its units are not lost to the
    plan, and the stock is still there to carry the lines through a stop); none when cover is 0
    or `det` has no tables.

    A bought item is one some supplier supplies; made items are not buffered (their lines are
    the constraint the buffer protects)."""
    if cover <= 0 or det.tables is None:
        return ()
    start = scenario.horizon.start
    last = max((month_index(t.by, start) for c in scenario.customers.values() for t in c.targets),
               default=-1)
    bought = {i for s in scenario.suppliers.values() for i in s.supplies}
    first: dict[tuple[str, str], int] = {}
    peak: dict[tuple[str, str], float] = {}
    for row in det.tables.stores.records():
        key = (str(row["site"]), str(row["item"]))
        if key[1] not in bought:
            continue
        out = float(row["used"]) + float(row["delivered"])
        if out > 1e-9:
            m = month_index(str(row["month"]), start)
            first[key] = min(first.get(key, m), m)
            peak[key] = max(peak.get(key, 0.0), out)
    last -= math.ceil(cover)  # the plan draws the buffer in the last `cover` months itself
    return tuple((site, item, first[(site, item)], last,
                  float(math.ceil(cover * peak[(site, item)])))
                 for site, item in sorted(peak) if first[(site, item)] <= last)


@dataclass(frozen=True)
class Cover:
    """The component buffers chosen: months of cover, their floors, the plan holding them
    (the deterministic plan when none) and, per cover tried, its in-sample score."""

    months: float
    floors: tuple[Floor, ...]
    plan: PlanResult
    tried: dict[float, int]


def choose_cover(scenario: Scenario, det: PlanResult, requested: dict[int, float], *,
                 futures: int, seed: int, time_limit: float | None, gap: float,
                 cover: float | None = None) -> Cover:
    """The cover of the component buffers: `cover` when given; else, of 0 and each of COVERS,
    the one whose plan (the deterministic plan with those floors, no margins) the simulator
    meets most often in the planning futures: the sum over the targets with a confidence of
    the futures met, each counted up to its goal (levels.py, `goal`); ties go to the smaller
    cover (the cheaper). A cover whose plan has no solution, or falls shorter of the targets
    in the plan than the deterministic plan, is not taken."""
    from bastion.plan import solve_plan
    from bastion.plan.confidence.futures import simulated_shortfall
    from bastion.plan.confidence.levels import goal

    def planned(c: float) -> tuple[tuple[Floor, ...], PlanResult] | None:
        floors = component_floors(scenario, det, c)
        if not floors:
            return ((), det) if c <= 0 else None
        plan = solve_plan(scenario, time_limit=time_limit, gap=gap, explain=False,
                          sensitivity=False, floors=floors)
        if not plan.status.has_solution or sum(t.shortfall for t in plan.targets) > \
                sum(t.shortfall for t in det.targets) + 1e-6 * max(1.0, len(plan.targets)):
            return None
        return floors, plan

    if cover is not None:
        got = planned(cover)
        return Cover(0.0, (), det, {}) if got is None else Cover(cover, got[0], got[1], {})
    best: Cover | None = None
    tried: dict[float, int] = {}
    for c in (0.0, *COVERS):
        got = planned(c)
        if got is None:
            continue
        short = simulated_shortfall(scenario, got[1], futures, seed)
        if short is None:
            continue
        score = 0
        for t, p in requested.items():
            units = got[1].targets[t].units
            met = int((short[t] <= 1e-6 * max(1.0, units)).sum())
            score += min(met, goal(p, futures))
        if best is None or score > tried[best.months]:
            best = Cover(c, got[0], got[1], tried)  # `tried` fills on: the last Cover holds it all
        tried[c] = score
    return best if best is not None else Cover(0.0, (), det, tried)
