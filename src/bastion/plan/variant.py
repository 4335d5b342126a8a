"""One variant of the plan model solved: scenario (+ relaxations) -> index -> model -> solution.

Shared by the plan (`optimise.solve_plan`), its diagnosis (`diagnose`, `fixes`) and the
resilience view; it imports none of them, so none of them imports another in a cycle.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bastion.plan.build import build_model
from bastion.plan.index import PlanIndex, Relax, build_index
from bastion.plan.lexico import LexRun, run_lexicographic
from bastion.plan.model import LinearModel
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
                progress: Step | None = None, upto: int | None = None) -> Solved:
    """Build and solve (lexicographically) one variant of the model; `upto`: only the priority
    levels up to this one (a lower level never changes a higher one's optimum)."""
    t0 = time.perf_counter()
    ix = build_index(scenario, online, relax)
    model = build_model(ix)
    t1 = time.perf_counter()
    levels = tuple(p for p in ix.levels if upto is None or p <= upto)
    run = run_lexicographic(model, levels, time_limit=time_limit, gap=gap, with_cost=with_cost,
                            progress=progress)
    sol = extract(ix, model, run.x) if run.x is not None else None
    return Solved(ix, model, run, sol, t1 - t0)
