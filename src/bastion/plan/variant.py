"""One variant of the plan model solved: scenario (+ relaxations) -> index -> model -> solution.

Shared by the plan (`optimise.solve_plan`), its diagnosis (`diagnose`, `fixes`) and the
resilience view; it imports none of them, so none of them imports another in a cycle.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bastion.plan.build import build_model
from bastion.plan.index import DeliveryHold, Floor, PlanIndex, ProductionHold, Relax, build_index
from bastion.plan.lexico import LexRun, run_lexicographic
from bastion.plan.model import LinearModel
from bastion.plan.narrow import quiet_columns
from bastion.plan.pool import POOL_MIN_ORDERS, Pooling, order_columns, pooling
from bastion.plan.solution import Solution, extract
from bastion.scenario.model import Scenario


def target_tolerance(units: float) -> float:
    """A target is met when the stockpile is at least units minus this."""
    return 1e-6 * max(1.0, units)


@dataclass
class Solved:
    """Everything one solve produced, for the result and for diagnosis."""

    ix: PlanIndex
    model: LinearModel
    run: LexRun
    sol: Solution | None
    build_seconds: float
    pool: Pooling | None = None  # set when the solver holds the pooled model (pool.py)

    @property
    def lp(self) -> LinearModel:
        """The model the solver holds (run.x, run.solver and its rows are in its columns)."""
        return self.pool.pooled if self.pool is not None else self.model


Step = Callable[[str], None]
"""Told a short text as each step of a long solve starts (for a progress display)."""


def prefixed(progress: Step | None, head: str) -> Step | None:
    """progress with `head` put before every text (None stays None)."""
    if progress is None:
        return None
    tell = progress
    return lambda text: tell(head + text)


def solve_model(scenario: Scenario, online: dict[str, int], relax: Relax | None, *,
                time_limit: float | None, gap: float, with_cost: bool = True,
                progress: Step | None = None, upto: int | None = None,
                pool: bool = False, floors: tuple[Floor, ...] = (),
                deliveries: tuple[DeliveryHold, ...] = (),
                production: tuple[ProductionHold, ...] = ()) -> Solved:
    """Build and solve (lexicographically) one variant of the model; `upto`: only the priority
    levels up to this one (a lower level never changes a higher one's optimum); `pool`: solve
    the pooled model (pool.py) when the scenario has at least POOL_MIN_ORDERS order columns
    (the solution is then expanded back to the model's columns; `Solved.lp` is the one solved);
    floors, deliveries, production: store floors, cumulative deliveries and production held
    (index.py)."""
    t0 = time.perf_counter()
    ix = build_index(scenario, online, relax, floors, deliveries, production)
    model = build_model(ix)
    pooled = pooling(ix, model) if pool and order_columns(ix) >= POOL_MIN_ORDERS else None
    lp = pooled.pooled if pooled is not None else model
    t1 = time.perf_counter()
    levels = tuple(p for p in ix.levels if upto is None or p <= upto)
    classes = None
    if pooled is not None:
        dl = lp.vars["Customer-delivery"]
        prio = ix.priority[ix.pile_pairs[dl.keys["pile"], 0]] if dl.size \
            else np.zeros(0, dtype=np.int64)
        quiet = {p: dl.index[k] for p, k in quiet_columns(prio, levels).items()}
        classes = dataclasses.replace(pooled.classes(), quiet=quiet)
    run = run_lexicographic(lp, levels, time_limit=time_limit, gap=gap, with_cost=with_cost,
                            progress=progress, classes=classes)
    x = None if run.x is None else pooled.expand(run.x) if pooled is not None else run.x
    sol = extract(ix, model, x) if x is not None else None
    return Solved(ix, model, run, sol, t1 - t0, pooled)
