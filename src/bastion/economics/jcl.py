"""Joint confidence level (JCL) of cost and schedule from Monte-Carlo paths, on plain arrays.

Each path i has a total cost c_i and the month m_i its goal is reached
(month index; a continuous time t counts in month floor(t); -1 or NaN:
never within the horizon). The JCL surface is

    P(D, C) = share of paths with m_i reached, m_i <= D and c_i <= C.

The JCL point at level p (0.70 by default) is the frontier point with the
earliest D: D* = the first month by which at least ceil(p n) paths are done,
C* = the least cost C with P(D*, C) >= p. Every later D has its own least
C*(D) <= C* (the efficient frontier, returned whole); docs/method-economics.md
gives the alternative readings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_EPS = 1e-9


def goal_months(target_months: npt.ArrayLike, target: int | None = None) -> FloatArray:
    """Per path, the month the goal is reached: the LAST target's month (all met), or one target's.

    `target_months` is (paths, targets) with -1 or NaN for a target never met;
    the result is float with NaN for never.
    """
    tm = np.asarray(target_months, dtype=float)
    if tm.ndim == 1:
        tm = tm[:, None]
    tm = np.where(tm < 0, np.nan, tm)
    if target is not None:
        return np.asarray(tm[:, target], dtype=float)
    if tm.shape[1] == 0:
        return np.zeros(tm.shape[0])
    never = np.isnan(tm).any(axis=1)
    last = np.nanmax(np.where(np.isnan(tm), -np.inf, tm), axis=1)
    return np.where(never, np.nan, last).astype(float)


def _months(months: npt.ArrayLike) -> tuple[FloatArray, BoolArray]:
    """Month indices (a continuous time t counts in month floor(t)); negative or NaN: never."""
    m = np.asarray(months, dtype=float)
    m = np.where(m < 0, np.nan, np.floor(m + 1e-9))
    return m, ~np.isnan(m)


def joint_probability(costs: npt.ArrayLike, months: npt.ArrayLike, month: float, cost: float) -> float:
    """P(goal reached by `month` and cost <= `cost`) on the sample."""
    c = np.asarray(costs, dtype=float)
    m, reached = _months(months)
    if len(c) == 0:
        return math.nan
    ok = reached & (np.where(reached, m, np.inf) <= month) & (c <= cost)
    return float(ok.mean())


@dataclass(frozen=True, eq=False)
class JclResult:
    """The JCL surface, the point at `level`, the frontier and the marginal S-curves."""

    level: float
    paths: int
    reached_share: float  # share of paths reaching the goal at all
    month: float | None  # D* (month index), None when fewer than level x paths reach the goal
    cost: float | None  # C*
    probability: float | None  # P(D*, C*) on the sample (>= level)
    frontier: tuple[tuple[float, float], ...]  # (D, least C with P(D, C) >= level), D ascending
    month_grid: FloatArray
    cost_grid: FloatArray
    surface: FloatArray  # (len(month_grid), len(cost_grid)): P(D, C)
    cost_curve: tuple[FloatArray, FloatArray]  # sorted costs, P(cost <= value)
    schedule_curve: tuple[FloatArray, FloatArray]  # months, P(reached by month)
    marginal_cost: float | None  # cost S-curve at `level` (all paths)
    marginal_month: float | None  # schedule S-curve at `level`


def _quantile_grid(values: FloatArray, points: int) -> FloatArray:
    if len(values) == 0:
        return np.zeros(0)
    return np.unique(np.quantile(values, np.linspace(0.0, 1.0, points)))


def jcl(costs: npt.ArrayLike, months: npt.ArrayLike, *, level: float = 0.7,
        month_grid: npt.ArrayLike | None = None, cost_grid: npt.ArrayLike | None = None,
        cost_points: int = 21) -> JclResult:
    """The JCL of a sample of paths: `costs` (n,), `months` (n,) month index, -1/NaN never.

    Grids default to every month some path reaches the goal and `cost_points`
    quantiles of the costs (0 %, 5 %, ..., 100 % for 21).
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level {level} is not in (0, 1)")
    c = np.asarray(costs, dtype=float).ravel()
    m, reached = _months(months)
    m = m.ravel()
    if c.shape != m.shape:
        raise ValueError(f"costs {c.shape} and months {m.shape} differ in shape")
    if not np.isfinite(c).all():
        raise ValueError("costs must be finite")
    n = len(c)
    if n == 0:
        raise ValueError("the JCL needs at least one path")
    need = max(1, math.ceil(level * n - _EPS))
    mg = np.unique(m[reached]) if month_grid is None else np.asarray(month_grid, dtype=float)
    cg = _quantile_grid(c, cost_points) if cost_grid is None else np.asarray(cost_grid, dtype=float)

    # surface: for each D, the CDF of cost among paths done by D, over n
    mr = np.where(reached, m, np.inf)
    surface = np.zeros((len(mg), len(cg)))
    for i, d in enumerate(mg):
        done = np.sort(c[mr <= d])
        surface[i] = np.searchsorted(done, cg, side="right") / n if n else 0.0

    frontier: list[tuple[float, float]] = []
    best = math.inf
    for d in np.unique(m[reached]):
        done = np.sort(c[mr <= d])
        if len(done) >= need and done[need - 1] < best:
            best = float(done[need - 1])
            frontier.append((float(d), best))
    point = frontier[0] if frontier else None

    sorted_c = np.sort(c)
    cost_p = np.arange(1, n + 1) / n if n else np.zeros(0)
    sched_m = np.unique(m[reached])
    sched_p = np.array([(mr <= d).sum() / n for d in sched_m]) if n else np.zeros(0)
    reached_n = int(reached.sum())
    return JclResult(
        level=level, paths=n, reached_share=reached_n / n if n else math.nan,
        month=None if point is None else point[0], cost=None if point is None else point[1],
        probability=None if point is None else joint_probability(c, m, point[0], point[1]),
        frontier=tuple(frontier), month_grid=mg, cost_grid=cg, surface=surface,
        cost_curve=(sorted_c, cost_p), schedule_curve=(sched_m, sched_p),
        marginal_cost=float(sorted_c[need - 1]) if n else None,
        marginal_month=float(np.sort(mr)[need - 1]) if reached_n >= need else None,
    )
