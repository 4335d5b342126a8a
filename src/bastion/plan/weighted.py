"""The cost stage solved early, on the second core: one weighted LP, verified afterwards.

While the lexicographic levels are solved one after another on one core
(lexico.py), a second HiGHS instance solves, on another thread, one LP over
the same model: minimise  cost + W_k L_k + ... + W_1 L_1  with the build
decisions continuous, where L_p is priority p's weighted shortfall and the
weights grow by WEIGHT_STEP from COST_WEIGHT for the last level up. When its
build decisions come out integral they are fixed and the LP re-solved (warm,
usually no iteration) for a clean plan x_B.

Once the levels' optima opt_p are known, x_B is accepted as the cost stage's
answer only if it is proven: for every level, L_p(x_B) <= opt_p + LEVEL_TOL
(relative), and the cost it may lose against any plan that keeps every
optimum is small: for such a plan x, W(x) >= W* (x_B's LP bound), so
cost(x_B) - cost(x) <= (W(x_B) - W*) + sum_p W_p max(0, opt_p - L_p(x_B)),
which must be within the stage's gap of cost(x_B). Otherwise (weights too
small for this scenario, fractional build decisions, a time limit) the cost
stage is solved as before: the answer never depends on which finished first,
only on this check, so runs stay reproducible.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from bastion.plan.model import LinearModel
from bastion.plan.solve import HighsSolver, SolveOutcome, SolveStatus

COST_WEIGHT = 1e4
"""Weight of the last level's shortfall against one unit of cost."""
WEIGHT_STEP = 100.0
"""Each level weighs this much more than the next one."""
LEVEL_TOL = 1e-6
"""x_B keeps a level's optimum when L_p(x_B) <= opt_p (1 + LEVEL_TOL) + LEVEL_TOL."""
INTEGRAL_TOL = 1e-6
MAX_LEVELS = 3
"""Beyond this many levels the weights (up to 1e4 x 100^(levels-1)) get too wide for the LP: not tried."""


@dataclass(frozen=True)
class Weighted:
    """The weighted LP: its objective, weights by level and its outcome (None: no proven plan)."""

    weights: dict[int, float]
    bound: float | None = None  # the LP relaxation's optimum W*
    outcome: SolveOutcome | None = None


def weights_for(levels: list[int]) -> dict[int, float]:
    """COST_WEIGHT for the last level, WEIGHT_STEP times more for each level before it."""
    out: dict[int, float] = {}
    w = COST_WEIGHT
    for p in reversed(levels):
        out[p] = w
        w *= WEIGHT_STEP
    return out


def objective(model: LinearModel, weights: dict[int, float]) -> np.ndarray:
    """cost + sum_p W_p L_p over the model's columns."""
    c = model.cost_vector("cost")
    for p, w in weights.items():
        c = c + w * model.cost_vector(f"level-{p}")
    return c


def solve_weighted(model: LinearModel, weights: dict[int, float], *,
                   time_limit: float | None) -> Weighted:
    """The weighted LP relaxation, then its plan with the build decisions fixed (when integral)."""
    solver = HighsSolver(model)
    ints = solver.integer_cols
    solver.set_integrality(ints, False)
    solver.set_objective(objective(model, weights), model.offsets.get("cost", 0.0))
    relax = solver.solve(time_limit=time_limit, method="ipm")
    if relax.status is not SolveStatus.OPTIMAL or relax.x is None or relax.objective is None:
        return Weighted(weights)
    y = relax.x[ints]
    if not np.all(np.abs(y - np.round(y)) <= INTEGRAL_TOL):
        return Weighted(weights, relax.objective)
    solver.set_col_bounds(ints, np.round(y), np.round(y))
    out = solver.solve(time_limit=time_limit, method="simplex")
    if out.status is not SolveStatus.OPTIMAL or out.x is None:
        return Weighted(weights, relax.objective)
    return Weighted(weights, relax.objective, out)


class Background:
    """`solve_weighted` on a thread (HiGHS releases the GIL while it solves)."""

    def __init__(self, model: LinearModel, levels: list[int], time_limit: float | None) -> None:
        self._result = Weighted(weights_for(levels))
        self._thread = threading.Thread(target=self._run, args=(model, self._result.weights, time_limit),
                                        name="bastion-weighted", daemon=True)
        self._thread.start()

    def _run(self, model: LinearModel, weights: dict[int, float], time_limit: float | None) -> None:
        try:
            self._result = solve_weighted(model, weights, time_limit=time_limit)
        except Exception:  # a failure here only means "solve the cost stage as before"
            self._result = Weighted(weights)

    def result(self) -> Weighted:
        """Wait for the solve and return it."""
        self._thread.join()
        return self._result


def verify(model: LinearModel, w: Weighted, levels: dict[int, float], gap: float
           ) -> tuple[SolveOutcome, float] | None:
    """x_B as the cost stage's outcome with its proven relative cost gap, or None (see module)."""
    out = w.outcome
    if out is None or out.x is None or w.bound is None:
        return None
    x = out.x
    spare = 0.0
    for p, wp in w.weights.items():
        lp = float(model.cost_vector(f"level-{p}") @ x)
        opt = levels.get(p)
        if opt is None or lp > opt * (1.0 + LEVEL_TOL) + LEVEL_TOL:
            return None
        spare += wp * max(0.0, opt - lp)
    offset = model.offsets.get("cost", 0.0)
    cost = float(model.cost_vector("cost") @ x) + offset
    full = float(objective(model, w.weights) @ x) + offset
    excess = max(0.0, full - w.bound) + spare
    rel = excess / max(1.0, abs(cost))
    if rel > gap:
        return None
    return (SolveOutcome(SolveStatus.OPTIMAL, cost, rel, x, None,
                         "optimal (weighted plan, verified against every level)", out.seconds),
            rel)
