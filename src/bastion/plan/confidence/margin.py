"""The margin route for large scenarios: early-stock targets in the deterministic plan, validated.

When the sample-average model would be too large (S copies of a large plan
model), each target with a confidence gets a companion target: the same
units held `k` months before `by` by the same customer (so at the same
priority). The deterministic plan of that scenario builds, buys and produces
early enough to hold the stock k months ahead, a time buffer that absorbs
outages, slips and disruptions up to about k months. The simulator validates
the plan on fresh paths; a target below its confidence gets a longer margin
(docs/method-confidence.md, "The margin route").
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

from bastion.plan.result import LevelShortfall, PlanResult
from bastion.scenario.model import Scenario, Target
from bastion.scenario.types import month_index, month_name

Step = Callable[[str], None]


def with_early_targets(scenario: Scenario, margins: dict[int, int],
                       extra: dict[int, float] | None = None) -> tuple[Scenario, list[int]]:
    """The scenario with a companion target per target position t: units + extra[t] held
    margins[t] months early; and the positions of the original targets among the new ones."""
    extra = extra or {}
    start = scenario.horizon.start
    customers = {}
    keep: list[int] = []
    pos = t = 0
    for cid, cust in scenario.customers.items():
        companions: list[Target] = []
        for tg in cust.targets:
            keep.append(pos)
            pos += 1
            k, more = margins.get(t, 0), extra.get(t, 0.0)
            early = month_index(tg.by, start) - k
            if (k > 0 or more > 0) and early >= 0:
                companions.append(Target(item=tg.item, by=month_name(early, start),
                                         units=tg.units + more))
            t += 1
        pos += len(companions)
        customers[cid] = cust.model_copy(update={"targets": [*cust.targets, *companions]})
    return scenario.model_copy(update={"customers": customers}), keep


def original_targets(plan: PlanResult, keep: list[int]) -> PlanResult:
    """The plan with only the original targets (companions dropped, shortfall by level again)."""
    targets = tuple(plan.targets[k] for k in keep)
    levels = tuple(
        LevelShortfall(lv.priority, lv.unmet_consumption,
                       sum(t.shortfall for t in targets if t.priority == lv.priority))
        for lv in plan.levels)
    return dataclasses.replace(plan, targets=targets, levels=levels, explanations=(),
                               sensitivity=())


def next_margin(current: int, requested: float, probability: float, by: int) -> int:
    """A longer margin: a month per third of probability missing (at least one), at most `by`."""
    step = max(1, math.ceil(3 * max(0.0, requested - probability)))
    return int(min(by, current + step))


def months_to(scenario: Scenario) -> list[int]:
    """Month index of each target's `by`, scenario order."""
    start = scenario.horizon.start
    return [month_index(t.by, start) for c in scenario.customers.values() for t in c.targets]


def next_extra(current: float, units: float, p10_units: float) -> float:
    """More units: what the validation's lowest decile missed at `by` (at most `units` in all)."""
    return float(min(units, current + max(0.0, units - p10_units)))


def margin_plan(scenario: Scenario, margins: dict[int, int], extra: dict[int, float], *,
                time_limit: float | None, gap: float, progress: Step | None) -> PlanResult:
    """The deterministic plan with companion targets, reported on the original targets."""
    from bastion.plan import solve_plan

    early, keep = with_early_targets(scenario, margins, extra)
    plan = solve_plan(early, time_limit=time_limit, gap=gap, explain=False, sensitivity=False,
                      progress=progress)
    return original_targets(plan, keep)



