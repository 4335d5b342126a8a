"""Perfect-foresight bound: how often a target could be met by a plan that knew the future.

In each of a few planning futures the plan's own model of that future (`future_index`: its
availabilities, online months and surges; `build_model`) is solved as a deterministic plan,
priority level by priority level (`run_lexicographic`, no cost stage): the plan that knows
the future and serves the higher priorities first. A non-anticipative plan, played by the
simulator in that future, cannot hold more than that plan can (the model's recourse is at
least as loose as the simulator's policy: docs/method-confidence.md, "What is approximate"),
so the share of futures in which the target is met there bounds what any plan reaches with
the higher priorities served first (docs/method-confidence.md, "Not reachable: the reason").
"""

from __future__ import annotations

import math

from bastion.plan.build import build_model
from bastion.plan.confidence.futures import Futures
from bastion.plan.confidence.saa import future_index
from bastion.plan.index import PlanIndex
from bastion.plan.lexico import run_lexicographic
from bastion.scenario.model import Scenario

FORESIGHT_FUTURES = 20
"""Futures solved with perfect foresight (the first of the planning futures)."""


def foresight_met(scenario: Scenario, ix0: PlanIndex, online0: dict[str, int], fut: Futures,
                  targets: list[int], count: int = FORESIGHT_FUTURES) -> dict[int, int]:
    """Per target position: in how many of the first `count` planning futures the
    perfect-foresight plan (priorities in order) meets it."""
    met = dict.fromkeys(targets, 0)
    for s in range(min(count, fut.count)):
        ixs = future_index(scenario, ix0, online0, fut, s)
        m = build_model(ixs)
        run = run_lexicographic(m, ixs.levels, time_limit=None, gap=1e-4, with_cost=False,
                                parallel=False)
        if run.x is None:
            continue
        start = m.vars["Target-shortfall"].start
        for t in targets:
            if float(run.x[start + t]) <= 1e-6 * max(1.0, ixs.targets[t].units):
                met[t] += 1
    return met


def upper_bound(met: int, count: int, z: float = 1.645) -> float:
    """One-sided 95 % upper confidence bound on a share seen as met of count (Wilson)."""
    if count == 0:
        return 1.0
    p = met / count
    centre = p + z * z / (2 * count)
    half = z * math.sqrt(p * (1 - p) / count + z * z / (4 * count * count))
    return min(1.0, (centre + half) / (1 + z * z / count))


def foresight_text(met: int, count: int, requested: float) -> str:
    """One sentence for `binds`: the perfect-foresight share, and whether it proves the
    confidence out of reach (its 95 % upper bound below the confidence asked)."""
    share, top = (met / count if count else 0.0), upper_bound(met, count)
    verdict = (f"even knowing the future it is met in at most {top:.0%} of futures (95 % "
               f"bound): not reachable" if top < requested else
               "not proven unreachable (a plan that knew each future might reach it); no margin "
               "was found for it that the plan can hold without taking from a higher priority")
    return (f"with perfect foresight of each future (priorities served in order) it is met in "
            f"{met} of {count} planning futures ({share:.0%}): {verdict}")
