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


def foresight_text(met: int, count: int, requested: float) -> str:
    """One sentence for `binds`."""
    share = met / count if count else 0.0
    verdict = ("below the confidence asked even knowing the future: not reachable"
               if share < requested else
               "a plan that knew each future could reach it; a plan made now cannot, with the "
               "higher priorities' buffers")
    return (f"with perfect foresight of each future (priorities served in order) it is met in "
            f"{met} of {count} planning futures ({share:.0%}): {verdict}")
