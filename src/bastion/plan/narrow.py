"""Smaller LPs for the stages of a large pure LP, with the same optima (lexico.py uses them).

A *class* is a set of columns that are interchangeable in every row and every priority
level's objective: they have the same matrix column, no level coefficient, lower bound 0,
and differ only in their cost and upper bound (the pooled model's price tiers of one
group and month, pool.py). Two reductions follow, both exact:

- A priority level's stage does not see cost, so only a class's total matters: the class
  is solved as one column (its cheapest member, its upper bound the members' summed; the
  others fixed at 0), and the plan is split back cheapest first (`split`), a plan of the
  full LP with the same level values. Every optimum of one is an optimum of the other.
- A priority level's stage fixes at 0 the deliveries to customers of lower priority
  (`quiet_columns`): they count in no level up to p, and a lower priority's stockpile can
  always take its consumption as unmet, so any plan of the full LP stays optimal with them
  at 0 (its level values unchanged, the product kept in the site's store instead). The
  optimum is the same; the stage's optimal face (lexico.py) is taken from it only when its
  duals price every fixed delivery at >= 0, i.e. are optimal for the full LP too.
- The cost stage is solved over a subset of the columns (every class's cheapest members
  that carry the plan so far, and a margin), the others fixed at 0; a column left out is
  priced with the LP's duals (its reduced cost c_j - a_j'y, which HiGHS reports for fixed
  columns too). When no left-out column has a negative reduced cost, the duals are
  feasible for the full LP, so the subset's optimum is the full LP's (LP duality); else
  the columns that price negative join the subset and it is solved again (column
  generation). The plan so far stays feasible in every subset, so no round is infeasible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bastion.plan.solve import HighsSolver, SolveOutcome, SolveStatus

PRICE_TOL = 1e-7
"""A left-out column prices in when its reduced cost is below -PRICE_TOL x max(1, |cost|)
(HiGHS's own dual feasibility tolerance is 1e-7)."""
MARGIN = 1.0
"""The cost stage's first subset holds, in every class, the cheapest members whose upper
bounds cover (1 + MARGIN) x the class's units in the plan so far, at least one member."""
MAX_ROUNDS = 20
"""Column generation rounds before the cost stage falls back to the full LP."""


@dataclass(frozen=True)
class Classes:
    """Interchangeable columns: `cols[start[c]:start[c + 1]]` is class c, cheapest first."""

    cols: np.ndarray
    start: np.ndarray
    hint: Callable[[np.ndarray], np.ndarray] | None = None
    """Plan x -> mask over `cols`: the cost stage's first subset (default `first_subset`)."""
    quiet: dict[int, np.ndarray] | None = None
    """Priority level p -> columns fixed at 0 in level p's stage (`quiet_columns`)."""

    @property
    def n(self) -> int:
        """Number of classes."""
        return len(self.start) - 1

    def sizes(self) -> np.ndarray:
        """Members per class."""
        out: np.ndarray = np.diff(self.start)
        return out

    def heads(self) -> np.ndarray:
        """Each class's first (cheapest) member."""
        out: np.ndarray = self.cols[self.start[:-1]]
        return out

    def of(self) -> np.ndarray:
        """Class of each entry of `cols`."""
        out: np.ndarray = np.repeat(np.arange(self.n), self.sizes())
        return out


def classes_of(cols: np.ndarray, key: np.ndarray, cost: np.ndarray,
               hint: Callable[[np.ndarray], np.ndarray] | None = None) -> Classes:
    """Classes from columns, their class key and their cost (stable: ties keep column order)."""
    cols = np.asarray(cols, dtype=np.int64)
    if not len(cols):
        return Classes(np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), hint)
    order = np.lexsort((np.arange(len(cols)), cost, key))
    k = np.asarray(key)[order]
    heads = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    return Classes(cols[order], np.r_[heads, len(cols)].astype(np.int64), hint)


def before_in_class(cls: Classes, cap: np.ndarray) -> np.ndarray:
    """Per entry of `cls.cols`: the summed upper bounds of the cheaper members of its class."""
    unlimited = np.isinf(cap)
    finite = np.where(unlimited, 0.0, cap)
    sizes = cls.sizes()
    run = np.cumsum(finite) - finite
    run = run - np.repeat(run[cls.start[:-1]], sizes)
    inf_run = np.cumsum(unlimited) - unlimited
    inf_run = inf_run - np.repeat(inf_run[cls.start[:-1]], sizes)
    out: np.ndarray = np.where(inf_run > 0, np.inf, np.maximum(0.0, run))
    return out


def merge(solver: HighsSolver, cls: Classes) -> None:
    """Each class as its cheapest member, bounded by the members' summed upper bounds."""
    if not cls.n:
        return
    _, hi, _, _ = solver.base_bounds()
    total = np.add.reduceat(hi[cls.cols], cls.start[:-1])
    solver.set_col_bounds(cls.cols, np.zeros(len(cls.cols)), np.zeros(len(cls.cols)))
    solver.set_col_bounds(cls.heads(), np.zeros(cls.n), total)


def split(solver: HighsSolver, cls: Classes, x: np.ndarray) -> np.ndarray:
    """A merged plan (each class's units on its head) spread over the members, cheapest first."""
    if not cls.n:
        return x
    _, hi, _, _ = solver.base_bounds()
    out = x.copy()
    units = np.maximum(0.0, x[cls.heads()])
    cap = hi[cls.cols]
    take = np.clip(np.repeat(units, cls.sizes()) - before_in_class(cls, cap), 0.0, cap)
    out[cls.cols] = take
    return out


def first_subset(solver: HighsSolver, cls: Classes, x: np.ndarray) -> np.ndarray:
    """Mask over `cls.cols`: the cost stage's first subset (see MARGIN), holding plan x."""
    _, hi, _, _ = solver.base_bounds()
    cap = hi[cls.cols]
    units = np.add.reduceat(np.maximum(0.0, x[cls.cols]), cls.start[:-1]) if cls.n else np.zeros(0)
    need = np.repeat(units * (1.0 + MARGIN), cls.sizes())
    keep: np.ndarray = (before_in_class(cls, cap) < need) | (x[cls.cols] > 0)
    keep[cls.start[:-1]] = True
    return keep


@dataclass
class Narrowed:
    """The cost stage's outcome by column generation, and how it went."""

    outcome: SolveOutcome
    rounds: int
    cols: int  # columns of the classes in the last subset


def solve_subsets(solver: HighsSolver, cls: Classes, cost: np.ndarray, x: np.ndarray,
                  solve: Callable[[], SolveOutcome]) -> Narrowed | None:
    """The current objective's optimum over the full LP, by column generation (see module).

    x is a plan feasible for the full LP; `solve` runs one solve. Returns None when the
    rounds run out or a round does not end optimal (the caller solves the full LP); the
    classes' columns get their base bounds back in every case.
    """
    keep = first_subset(solver, cls, x) if cls.hint is None else cls.hint(x)
    keep[cls.start[:-1]] = True
    keep |= x[cls.cols] > 0  # the plan so far stays feasible
    rounds = 0
    try:
        while rounds < MAX_ROUNDS:
            rounds += 1
            out_cols = cls.cols[~keep]
            solver.reset_col_bounds(cls.cols[keep])
            solver.set_col_bounds(out_cols, np.zeros(len(out_cols)), np.zeros(len(out_cols)))
            out = solve()
            if out.status is not SolveStatus.OPTIMAL or out.col_dual is None:
                return None
            d = out.col_dual[out_cols]
            bad = d < -PRICE_TOL * np.maximum(1.0, np.abs(cost[out_cols]))
            if not bad.any():
                return Narrowed(out, rounds, int(keep.sum()))
            keep[np.flatnonzero(~keep)[bad]] = True
        return None
    finally:
        solver.reset_col_bounds(cls.cols)


def quiet_columns(priority: np.ndarray, levels: tuple[int, ...]) -> dict[int, np.ndarray]:
    """Level p -> positions (into `priority`) of the deliveries whose customer's priority is
    lower than p's (a larger number): fixed at 0 in level p's stage (see module)."""
    idx = np.arange(len(priority))
    return {int(p): idx[priority > p] for p in levels if np.any(priority > p)}
