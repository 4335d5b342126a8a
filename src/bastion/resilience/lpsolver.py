"""The outage LP's HiGHS instance: bulk bound changes, splits, and a scale fit for HiGHS.

HiGHS's feasibility and optimality tolerances are absolute (1e-7). A scenario
whose quantities reach 1e15 (the format allows up to 1e15) gives levels whose
double-precision spacing (1e15 x 2^-52 = 0.125) is far above 1e-7: the simplex
cannot meet its own tolerance and stops with status "Unknown". So the LP is
handed to HiGHS in a unit of 2^k units (`unit`), the least power of two that
brings the largest finite bound of the live LP (`quantity_unit`) to at most
QUANTITY_MAX. Every column and every row bound is divided by it, so the LP is
the same LP in another unit (Ax in [l, u] exactly when A(x/c) in [l/c, u/c]);
the solution and the objective are multiplied back. A power of two makes both
steps exact in floating point. The loss weights get the same treatment in
outage.py (`weight_scale`). A scenario below both thresholds (every normal one)
is solved exactly as before: unit 1, weights as they are.

When a warm-started solve still stops without an answer (HiGHS status "Not
Set" or "Unknown": a numerical failure of the simplex from the last basis),
the basis is dropped and the LP solved once more from scratch (presolve on).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from bastion.plan.model import LinearModel
from bastion.plan.solve import HighsSolver, SolveOutcome, SolveStatus
from bastion.resilience.split import Additions

IntArray = np.ndarray
QUANTITY_MAX = 2.0 ** 20  # largest bound handed to HiGHS: spacing 2^-32, far below 1e-7
WEIGHT_MAX = 2.0 ** 20  # largest loss weight handed to HiGHS (outage.py)


def power_of_two_above(largest: float, limit: float) -> float:
    """The least power of two c >= 1 with largest / c <= limit (1 when largest <= limit)."""
    if not math.isfinite(largest) or largest <= limit:
        return 1.0
    return 2.0 ** math.ceil(math.log2(largest / limit))


def quantity_unit(model: LinearModel, lo: np.ndarray, hi: np.ndarray, row_lo: np.ndarray,
                  row_hi: np.ndarray) -> float:
    """The unit handed to HiGHS: from the largest finite bound of the columns and of the
    rows with a free column (rows of fixed columns only, such as the capex budget in
    money, leave the LP before any question)."""
    start, index, _value = model.matrix()
    free = (lo < hi).astype(float)
    per_row = np.bincount(np.asarray(index, dtype=np.int64),
                          weights=np.repeat(free, np.diff(start)), minlength=model.n_row)
    live = per_row > 0
    vals = np.concatenate([lo, hi, row_lo[live], row_hi[live]])
    vals = np.abs(vals[np.isfinite(vals)])
    return power_of_two_above(float(vals.max()) if len(vals) else 0.0, QUANTITY_MAX)


class OutageSolver(HighsSolver):
    """The plan's HiGHS adapter with bulk bound changes (the plan's keeps one row at a time),
    in units of `unit` inside HiGHS; every method takes and gives plain units."""

    row_map: np.ndarray | None = None  # model row -> row here, once `drop_rows` ran

    def __init__(self, model: LinearModel, unit: float = 1.0) -> None:
        super().__init__(model)
        self.unit = float(unit)
        if self.unit != 1.0:
            lo, hi, _integer, rlo, rhi = model.bounds()
            self.set_cols(np.arange(self.n_col), lo, hi)
            self.set_rows(np.arange(self.n_row), rlo, rhi)

    def set_cols(self, cols: IntArray, lo: np.ndarray, hi: np.ndarray) -> None:
        if len(cols):
            u = self.unit
            self._h.changeColsBounds(len(cols), np.asarray(cols, dtype=np.int32),
                                     np.asarray(lo, dtype=float) / u,
                                     np.asarray(hi, dtype=float) / u)

    def drop_rows(self, rows: IntArray) -> None:
        """Delete rows for good (rows of fixed columns only); later row numbers map past them."""
        keep = np.ones(self.n_row, dtype=bool)
        keep[rows] = False
        self._h.deleteRows(len(rows), np.asarray(rows, dtype=np.int32))
        self.row_map = np.where(keep, np.cumsum(keep) - 1, -1)
        self.n_row -= len(rows)

    def set_rows(self, rows: IntArray, lo: np.ndarray, hi: np.ndarray) -> None:
        if self.row_map is not None:
            rows = self.row_map[np.asarray(rows, dtype=np.int64)]
        if len(rows):
            u = self.unit
            self._h.changeRowsBounds(len(rows), np.asarray(rows, dtype=np.int32),
                                     np.asarray(lo, dtype=float) / u,
                                     np.asarray(hi, dtype=float) / u)

    def push(self, add: Additions, cost: np.ndarray) -> None:
        """Add a split's columns (with their costs) and rows, after the model's own."""
        inf, u = self._hs.kHighsInf, self.unit
        nc, nr = len(add.col_lo), len(add.row_lo)
        self._h.addCols(nc, np.asarray(cost, dtype=float), add.col_lo / u,
                        np.where(np.isinf(add.col_hi), inf, add.col_hi / u), 0,
                        np.zeros(nc, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        self._h.addRows(nr, np.where(np.isinf(add.row_lo), -inf, add.row_lo / u),
                        np.where(np.isinf(add.row_hi), inf, add.row_hi / u), len(add.row_col),
                        add.row_start[:-1].astype(np.int32), add.row_col.astype(np.int32),
                        add.row_val)
        self.n_col += nc
        self.n_row += nr
        self._cost = np.concatenate([self._cost, np.asarray(cost, dtype=float)])

    def pop(self, add: Additions) -> None:
        """Remove what `push` added (the last columns and rows)."""
        nc, nr = len(add.col_lo), len(add.row_lo)
        self._h.deleteRows(nr, np.arange(self.n_row - nr, self.n_row, dtype=np.int32))
        self._h.deleteCols(nc, np.arange(self.n_col - nc, self.n_col, dtype=np.int32))
        self.n_col -= nc
        self.n_row -= nr
        self._cost = self._cost[:self.n_col]

    def solve(self, *, time_limit: float | None = None, gap: float = 1e-4,
              start: np.ndarray | None = None, method: str | None = None) -> SolveOutcome:
        """Solve from the last basis; on a numerical stop, once more from scratch. The
        solution, row values and objective in plain units (duals need no change)."""
        out = super().solve(time_limit=time_limit, gap=gap, start=start, method=method)
        if out.status is SolveStatus.ERROR:
            self.clear_start()
            out = super().solve(time_limit=time_limit, gap=gap, start=start, method=method)
        u = self.unit
        if u == 1.0 or out.x is None:
            return out
        return replace(out, x=out.x * u,
                       row_value=None if out.row_value is None else out.row_value * u,
                       objective=None if out.objective is None else out.objective * u)
