"""The most-stock stage's optimal face as an LP of its own: where the tie stages are solved.

Every plan the tie stages (tiebreak.py) may reach is an optimum of the most-stock stage
(preplan.py: cost held, the most stock at M): each stage holds the stages before it. By
complementary slackness, with (y, d) an optimal dual of that stage, its optimal plans are
exactly its feasible plans with x_j at its bound wherever d_j != 0 and each row at its bound
wherever y_i != 0 (as the plan's tie-break uses it, plan/lexico.py `_face`). Fixing those
columns at their bounds, making those rows equalities, and dropping the rows left with fixed
columns only (their fixed columns' share moved into the bounds of the others) gives an LP whose
feasible plans are the same optimal plans: the tie stages mean the same on it, and on the
generated scenarios most columns are fixed (no stage of the full LP is that small). Only clear
cases are taken (|d|, |y| above DUAL_TOL with the value at that bound); a column or row left
free keeps the face as it was, and the holds stay in force either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bastion.plan.model import LinearModel
from bastion.plan.solve import HighsSolver, SolveOutcome

DUAL_TOL = 1e-6  # |reduced cost| or |row dual| above this: that bound holds on the face
VALUE_TOL = 1e-7  # a value is at a bound within this (relative, at least absolute)


@dataclass(frozen=True)
class FaceLP:
    """The face as an LP: `model`'s column k is the full LP's column `cols[k]`."""

    model: LinearModel
    cols: np.ndarray
    x: np.ndarray  # a full plan: the fixed columns at their bounds, the others the stage's

    def full(self, xr: np.ndarray) -> np.ndarray:
        """A plan of the face LP as a plan of the full LP."""
        out = self.x.copy()
        out[self.cols] = xr
        return out


def _near(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.abs(a - b) <= VALUE_TOL * np.maximum(1.0, np.abs(b))
    return out


def face_lp(solver: HighsSolver, stage: SolveOutcome) -> FaceLP | None:
    """The optimal face of `stage` (the solver's last solve, rows added since then free on the
    face) as an LP, or None when the stage has no duals."""
    x, d, y = stage.x, stage.col_dual, stage.row_dual
    if x is None or d is None or y is None:
        return None
    rows, cols, vals, lo, hi, rlo, rhi = solver.current_lp()  # holds included
    n, m = len(lo), len(rlo)
    x, d = x[:n], d[:n]
    act = np.zeros(m)
    np.add.at(act, rows, vals * x[cols])
    fixed = (lo == hi) | ((d > DUAL_TOL) & np.isfinite(lo) & _near(x, lo)) \
        | ((d < -DUAL_TOL) & np.isfinite(hi) & _near(x, hi))
    xf = np.where(d > 0, lo, hi)
    xf = np.where(lo == hi, lo, xf)
    xf = np.where(fixed, xf, x)
    yy = np.zeros(m)
    yy[:min(m, len(y))] = y[:m]
    tight = np.abs(yy) > DUAL_TOL
    r_lo = tight & np.isfinite(rlo) & _near(act, rlo)
    r_hi = tight & np.isfinite(rhi) & _near(act, rhi) & ~r_lo
    rlo, rhi = rlo.copy(), rhi.copy()
    rhi[r_lo] = rlo[r_lo]
    rlo[r_hi] = rhi[r_hi]
    share = np.zeros(m)  # the fixed columns' share of each row
    fc = fixed[cols]
    np.add.at(share, rows[fc], vals[fc] * xf[cols[fc]])
    live = np.zeros(m, dtype=bool)
    live[rows[~fc]] = True
    keep_cols = np.flatnonzero(~fixed)
    keep_rows = np.flatnonzero(live)
    col_pos = np.full(n, -1, dtype=np.int64)
    col_pos[keep_cols] = np.arange(len(keep_cols))
    row_pos = np.full(m, -1, dtype=np.int64)
    row_pos[keep_rows] = np.arange(len(keep_rows))
    model = LinearModel()
    model.add_vars("face", lo[keep_cols], hi[keep_cols], {"col": keep_cols})
    model.add_rows("face", rlo[keep_rows] - share[keep_rows], rhi[keep_rows] - share[keep_rows],
                   {"row": keep_rows})
    model.add_terms(row_pos[rows[~fc]], col_pos[cols[~fc]], vals[~fc])
    return FaceLP(model, keep_cols, xf)


def unscaled(solver: HighsSolver) -> Callable[[], None]:
    """Solve without HiGHS's scaling of the LP from now on; returns the function that puts it
    back (for a retry from scratch). HiGHS scales the LP again at every run whose costs
    changed and then factorises the basis anew, which on the 240-month generated scenario's
    face (55,000 columns) cost 0.1 s a stage doing a few simplex iterations; unscaled, a warm
    stage keeps its factorisation (benchmarks/RESULTS-resilience.md)."""
    before = int(solver.option("simplex_scale_strategy"))
    solver.set_option("simplex_scale_strategy", 0)

    def back() -> None:
        solver.set_option("simplex_scale_strategy", before)

    return back
