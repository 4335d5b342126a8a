"""The lexicographic solve: each priority level's shortfall, held, then cost.

One HighsSolver is built once; each stage changes the objective and, after
solving, adds one row "level expression <= optimum + tolerance". The previous
stage's solution stays feasible, so it is passed as a MIP start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from bastion.plan.model import LinearModel
from bastion.plan.solve import HighsSolver, SolveOutcome, SolveStatus


def hold_tolerance(opt: float) -> float:
    """Slack allowed when holding a level at its optimum."""
    return 1e-8 * max(1.0, abs(opt)) + 1e-7


@dataclass
class LexRun:
    """The state after the lexicographic sequence."""

    solver: HighsSolver
    status: SolveStatus
    gap: float | None
    x: np.ndarray | None
    levels: dict[int, float] = field(default_factory=dict)
    hold_rows: dict[int, int] = field(default_factory=dict)
    message: str = ""
    stages: list[tuple[str, SolveOutcome]] = field(default_factory=list)
    seconds: float = 0.0


_RANK = {SolveStatus.OPTIMAL: 0, SolveStatus.TIME_LIMIT: 1, SolveStatus.UNBOUNDED: 2,
         SolveStatus.INFEASIBLE: 3, SolveStatus.ERROR: 4}


def run_lexicographic(model: LinearModel, levels: tuple[int, ...], *, time_limit: float | None,
                      gap: float, with_cost: bool = True) -> LexRun:
    """Minimise each level's shortfall in order, holding each optimum; then cost."""
    t0 = time.perf_counter()
    solver = HighsSolver(model)
    run = LexRun(solver=solver, status=SolveStatus.OPTIMAL, gap=0.0, x=None)
    stages: list[tuple[str, np.ndarray, float]] = []
    for p in levels:
        c = model.cost_vector(f"level-{p}")
        if np.any(c):
            stages.append((f"level-{p}", c, 0.0))
        else:
            run.levels[p] = 0.0
    if with_cost or not stages:
        stages.append(("cost", model.cost_vector("cost"), model.offsets.get("cost", 0.0)))
    for name, cost, offset in stages:
        left = None if time_limit is None else max(0.5, time_limit - (time.perf_counter() - t0))
        solver.set_objective(cost, offset)
        out = solver.solve(time_limit=left, gap=gap, start=run.x)
        run.stages.append((name, out))
        if _RANK[out.status] > _RANK[run.status]:
            run.status = out.status
        if not out.status.has_solution or out.x is None or out.objective is None:
            run.message = f"{name}: {out.message}"
            run.x = None
            break
        if out.status is SolveStatus.TIME_LIMIT:
            run.gap = max(run.gap or 0.0, out.gap if out.gap is not None else float("inf"))
            run.message = f"{name}: time limit reached"
        run.x = out.x
        if name.startswith("level-"):
            p = int(name.split("-", 1)[1])
            opt = max(0.0, float(out.objective))
            run.levels[p] = opt
            nz = np.flatnonzero(cost)
            run.hold_rows[p] = solver.add_row(nz, cost[nz], -np.inf, opt + hold_tolerance(opt))
    if run.status is SolveStatus.OPTIMAL:
        run.gap = max((o.gap or 0.0) for _, o in run.stages) if run.stages else 0.0
    run.seconds = time.perf_counter() - t0
    return run
