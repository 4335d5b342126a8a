"""The buffer route for large scenarios: priority level by priority level, unit buffers sized on
the sampled futures, higher levels frozen (docs/method-confidence.md, "The buffer route").

The sample-average model of a large scenario is S copies of the plan model; this route keeps the
deterministic plan's size instead. Each target with a confidence may get a companion target at
its own `by` month and priority: its units plus a buffer `extra[t]` (margin.py,
`with_early_targets` with no months early), so the deterministic plan (`solve_plan`, every stage
as in docs/method-plan.md) builds, buys and makes the buffer as part of the target. The
simulator plays each plan in the S planning futures (`simulated_shortfall`: the same samplers,
the same policy as a simulation), which gives each target's shortfall there; a target met in
fewer than its goal of futures gets more buffer: the shortfall of the future it must still meet
(the k-th smallest, k its goal). Levels are processed in priority order; once a level is done its
buffers and its in-sample shares are frozen: a lower level's buffer that would lower a higher
level's share is not taken.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bastion.plan.confidence.futures import FloatArray, simulated_shortfall
from bastion.plan.confidence.margin import margin_plan
from bastion.plan.result import PlanResult
from bastion.scenario.model import Scenario

Step = Callable[[str], None]

CUSHION_ERRORS = 1.0
"""The in-sample goal is P plus this many standard errors of a share over S futures
(sqrt(P (1 - P) / S)): S futures estimate the share only that well."""


def goal(requested: float, futures: int, raise_by: float = 0.0) -> int:
    """Futures (of S) in which a target asked for `requested` must be met in-sample."""
    q = requested + raise_by + CUSHION_ERRORS * math.sqrt(requested * (1 - requested) / futures)
    return int(min(futures, math.ceil(min(1.0, q) * futures - 1e-9)))


@dataclass
class Searched:
    """The state of the buffer search: the plan, its buffers, its in-sample shortfalls."""

    plan: PlanResult
    extra: dict[int, float]
    short: FloatArray  # (T, S) shortfall at `by` in each planning future
    solves: int = 0
    history: list[dict[str, object]] = field(default_factory=list)

    def met(self, t: int, units: float) -> np.ndarray:
        """(S,) True where target t is met in the planning futures."""
        out: np.ndarray = self.short[t] <= 1e-6 * max(1.0, units)
        return out

    def share(self, t: int, units: float) -> float:
        """In-sample share of target t."""
        return float(self.met(t, units).mean())


def _play(scenario: Scenario, plan: PlanResult, futures: int, seed: int, n_targets: int
          ) -> FloatArray:
    short = simulated_shortfall(scenario, plan, futures, seed)
    if short is None:  # the plan's programme is not sampled while the all-built one is
        raise ValueError("the buffer route needs the simulator to draw the planning futures")
    return short if short.shape[0] == n_targets else np.zeros((n_targets, futures))


def search_levels(scenario: Scenario, det: PlanResult, requested: dict[int, float],
                  priority: list[int], units: list[float], *, futures: int, seed: int,
                  rounds: int, start: dict[int, float] | None = None,
                  raise_by: dict[int, float] | None = None, time_limit: float | None,
                  gap: float, progress: Step | None) -> Searched:
    """Buffers per target, level by level (see the module's text).

    requested: target position -> P; priority, units: per target position; rounds: buffer
    steps per level; start: the buffers to start from (a correction round continues from
    the last ones: buffers only grow); raise_by: per target, share added to its goal.
    """
    raise_by = raise_by or {}
    extra = {t: float((start or {}).get(t, 0.0)) for t in requested}
    plan = det if not any(v > 0 for v in extra.values()) else margin_plan(
        scenario, {}, extra, time_limit=time_limit, gap=gap, progress=progress)
    cur = Searched(plan, extra, _play(scenario, plan, futures, seed, len(units)))
    solves, history = int(plan is not det), []
    frozen: dict[int, int] = {}  # target -> futures it must keep (its level done)
    for p in sorted({priority[t] for t in requested}):
        mine = [t for t in sorted(requested) if priority[t] == p]
        need = {**frozen, **{t: goal(requested[t], futures, raise_by.get(t, 0.0)) for t in mine}}
        levels = sorted({priority[t] for t in need})

        def key(st: Searched) -> tuple[int, ...]:
            return tuple(sum(min(int(st.met(t, units[t]).sum()), need[t]) for t in need
                             if priority[t] == q) for q in levels)

        best, walk = cur, cur
        stuck: set[int] = set()  # targets whose buffer the plan cannot hold
        for _step in range(rounds):
            grow = {}
            for t in sorted(need):
                count = int(walk.met(t, units[t]).sum())
                if count >= need[t] or walk.extra[t] >= units[t] or t in stuck:
                    continue
                d = float(np.sort(walk.short[t])[need[t] - 1])
                if d > 1e-6:
                    grow[t] = float(min(units[t], walk.extra[t] + math.ceil(d)))
            if not grow:
                break
            extra = {**walk.extra, **grow}
            if progress is not None:
                progress(f"buffers at priority {p}: " + ", ".join(
                    f"target {t + 1} +{v:,.0f}" for t, v in sorted(grow.items())))
            plan = margin_plan(scenario, {}, extra, time_limit=time_limit, gap=gap,
                               progress=progress)
            if not plan.status.has_solution:
                break
            prev, walk = walk, Searched(plan, extra, _play(scenario, plan, futures, seed,
                                                            len(units)))
            solves += 1
            del prev
            for t in grow:  # the plan cannot hold its buffer: keep what it holds, grow no more
                held = plan.targets[t].planned_units - units[t]
                if held < extra[t] - 0.5:
                    stuck.add(t)
                    walk.extra[t] = float(max(0.0, math.floor(held)))
            history.append({"priority": p, "extra_units": {str(t): v for t, v in extra.items()},
                            "in_sample": {str(t): round(walk.share(t, units[t]), 4)
                                          for t in requested}})
            if key(walk) > key(best):  # lexicographic: higher levels first
                best = walk
        cur = best
        frozen.update({t: min(need[t], int(cur.met(t, units[t]).sum())) for t in mine})
    cur.solves, cur.history = solves, history
    return cur
