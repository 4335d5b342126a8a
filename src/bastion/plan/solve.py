"""Solver adapter: a LinearModel in, our own status and arrays out (HiGHS inside).

No highspy object leaves this module. One `HighsSolver` holds one loaded
model that is changed in place (objective, bounds, extra rows, integrality),
so successive solves warm-start.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from bastion.plan.model import LinearModel


class SolveStatus(str, Enum):  # noqa: UP042 (str mix-in: JSON-friendly on 3.11)
    """Outcome of one solve (or of a sequence: the worst of them)."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        """True when a plan (optimal or the best found in time) exists."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT)


@dataclass(frozen=True)
class SolveOutcome:
    """The result of one solve."""

    status: SolveStatus
    objective: float | None
    gap: float | None
    x: np.ndarray | None
    row_dual: np.ndarray | None
    message: str
    seconds: float
    col_dual: np.ndarray | None = None
    row_value: np.ndarray | None = None


IPM_MIN_COLS = 100_000
"""Pure LPs of at least this many columns are solved with the interior point method and
crossover, from scratch with presolve, rather than warm-started with the simplex method: the
stages of the lexicographic solve are highly degenerate, and at this size a warm simplex
wanders for hundreds of thousands of iterations (benchmarks/RESULTS.md, "Scale")."""


class SolverError(RuntimeError):
    """The solver could not load or run the model."""


THREADS: int | None = None
"""HiGHS threads of every solver this process makes (None: HiGHS's default). A study's Dask
worker sets 1 for its variants (`bastion.study.worker`); the results do not depend on it."""

_scheduler = threading.local()
"""`threads`: the count the calling thread's HiGHS scheduler was last fitted to (`fit_scheduler`)."""


def fit_scheduler(threads: int) -> None:
    """Let a solver asking `threads` HiGHS threads (0: HiGHS's default) solve on the calling thread.

    HiGHS keeps one task scheduler per calling thread, started by the thread's first solve at
    that solver's `threads` option, and refuses every later solve on the thread that asks
    another count (an error, model status "Not Set", nothing solved): a Dask worker thread that
    ran a run at the default and then a study's variant at one thread solved nothing more.
    So before each solve the calling thread's scheduler is reset (HiGHS's
    `resetThreadScheduler`, which joins its helper threads) when the count asked differs from
    the one it was last fitted to here, and the solve starts it again at the count asked.
    """
    if getattr(_scheduler, "threads", None) == threads:
        return
    import highspy

    core = getattr(highspy, "_core", None)
    cls = getattr(core, "_Highs", None) or highspy.Highs
    reset = getattr(cls, "resetThreadScheduler", None) or cls.resetGlobalScheduler  # HiGHS < 1.8: one
    reset(True)
    _scheduler.threads = threads


def scheduler_threads() -> int | None:
    """The count the calling thread's HiGHS scheduler was last fitted to (None: not yet)."""
    value = getattr(_scheduler, "threads", None)
    return int(value) if value is not None else None


def _new_highs() -> Any:
    """A HiGHS instance that prints nothing (the Python wrapper prints a banner on stdout)."""
    import highspy

    core = getattr(highspy, "_core", None)
    cls = getattr(core, "_Highs", None) or highspy.Highs
    h = cls()
    h.setOptionValue("output_flag", False)
    if THREADS:
        h.setOptionValue("threads", int(THREADS))
    return h


def threads_of(threads: int | None) -> int:
    """The HiGHS `threads` option of a solver asking `threads` (None: `THREADS`; 0: HiGHS's default)."""
    return int(threads or THREADS or 0)


class HighsSolver:
    """One HiGHS model, loaded once and modified between solves."""

    def __init__(self, model: LinearModel, *, threads: int | None = None) -> None:
        import highspy

        self._hs = highspy
        self._h = _new_highs()
        h = self._h
        self._threads = threads_of(threads)
        if threads:
            h.setOptionValue("threads", int(threads))
        lo, hi, integer, rlo, rhi = model.bounds()
        start, index, value = model.matrix()
        self.n_col, self.n_row = model.n_col, model.n_row
        self._integer = integer.copy()
        self._int_cols = np.flatnonzero(integer).astype(np.int32)
        self._col_lower, self._col_upper = lo.copy(), hi.copy()  # base bounds (restrictions in)
        self._built_lower, self._built_upper = lo.copy(), hi.copy()
        self._row_lower, self._row_upper = rlo.copy(), rhi.copy()
        self._restricted_rows = np.zeros(0, dtype=np.int32)
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_ = self.n_col
        lp.num_row_ = self.n_row
        lp.col_cost_ = np.zeros(self.n_col)
        lp.col_lower_ = lo
        lp.col_upper_ = np.where(np.isinf(hi), inf, hi)
        lp.row_lower_ = np.where(np.isinf(rlo), -inf, rlo)
        lp.row_upper_ = np.where(np.isinf(rhi), inf, rhi)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        if integer.any():
            kint, kcont = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
            lp.integrality_ = [kint if b else kcont for b in integer]
        if self.n_col and h.passModel(lp) != highspy.HighsStatus.kOk:
            raise SolverError("the solver rejected the model (inconsistent bounds or coefficients)")
        self._cost = np.zeros(self.n_col)
        self._offset = 0.0

    def lp_method(self, default: str | None = None) -> str | None:
        """The method for an LP solve of this model: "ipm" for a large pure LP, else `default`."""
        if self.n_col >= IPM_MIN_COLS and not len(self._int_cols):
            return "ipm"
        return default

    @property
    def is_mip(self) -> bool:
        """True while some column is integer."""
        return bool(self._integer.any())

    def set_objective(self, cost: np.ndarray, offset: float = 0.0) -> None:
        """Replace the objective (minimised)."""
        self._cost = np.asarray(cost, dtype=float)
        self._offset = float(offset)
        if self.n_col:
            idx = np.arange(self.n_col, dtype=np.int32)
            self._h.changeColsCost(self.n_col, idx, self._cost)

    def add_row(self, cols: np.ndarray, vals: np.ndarray, lower: float, upper: float) -> int:
        """Add one row lower <= vals . x[cols] <= upper; returns its position."""
        inf = self._hs.kHighsInf
        lo = -inf if np.isinf(lower) else lower
        hi = inf if np.isinf(upper) else upper
        cols = np.asarray(cols, dtype=np.int32)
        self._h.addRow(lo, hi, len(cols), cols, np.asarray(vals, dtype=float))
        self.n_row += 1
        return self.n_row - 1

    def set_row_bounds(self, row: int, lower: float, upper: float) -> None:
        """Change one row's bounds."""
        inf = self._hs.kHighsInf
        self._h.changeRowsBounds(1, np.array([row], dtype=np.int32),
                                 np.array([-inf if np.isinf(lower) else lower]),
                                 np.array([inf if np.isinf(upper) else upper]))

    def fix_cols(self, cols: np.ndarray, values: np.ndarray) -> None:
        """Fix columns at values and make them continuous (e.g. build decisions for duals)."""
        cols = np.asarray(cols, dtype=np.int32)
        if not len(cols):
            return
        vals = np.asarray(values, dtype=float)
        self._h.changeColsBounds(len(cols), cols, vals, vals)
        self._h.changeColsIntegrality(len(cols), cols, np.zeros(len(cols), dtype=np.uint8))
        self._integer[cols] = False

    def clear_start(self) -> None:
        """Forget the last basis and solution: the next solve starts from scratch (presolve on)."""
        self._h.clearSolver()

    @property
    def integer_cols(self) -> np.ndarray:
        """Positions of the model's integer columns (as built, whatever their state now)."""
        return self._int_cols

    def set_integrality(self, cols: np.ndarray, integer: bool) -> None:
        """Make columns integer or continuous (continuous: the LP relaxation in them)."""
        cols = np.asarray(cols, dtype=np.int32)
        if not len(cols):
            return
        flag = np.full(len(cols), 1 if integer else 0, dtype=np.uint8)
        self._h.changeColsIntegrality(len(cols), cols, flag)
        self._integer[cols] = integer

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change columns' bounds (infinite values allowed)."""
        cols = np.asarray(cols, dtype=np.int32)
        if not len(cols):
            return
        inf = self._hs.kHighsInf
        lo = np.where(np.isinf(lower), -inf, np.asarray(lower, dtype=float))
        hi = np.where(np.isinf(upper), inf, np.asarray(upper, dtype=float))
        self._h.changeColsBounds(len(cols), cols, lo, hi)

    def reset_col_bounds(self, cols: np.ndarray) -> None:
        """Give columns back their base bounds (as built, with any `restrict` applied)."""
        cols = np.asarray(cols, dtype=np.int32)
        self.set_col_bounds(cols, self._col_lower[cols], self._col_upper[cols])

    def restrict(self, cols: np.ndarray, col_values: np.ndarray, rows: np.ndarray,
                 row_values: np.ndarray) -> None:
        """Fix columns and make built rows equalities, as new base bounds (until `release`).

        Used to hold an optimal face by complementary slackness (see lexico.py);
        `reset_col_bounds` keeps these restrictions, `release` removes them all.
        """
        cols = np.asarray(cols, dtype=np.int32)
        if len(cols):
            v = np.asarray(col_values, dtype=float)
            self._col_lower[cols] = v
            self._col_upper[cols] = v
            self.set_col_bounds(cols, v, v)
        rows = np.asarray(rows, dtype=np.int32)
        if len(rows):
            v = np.asarray(row_values, dtype=float)
            self._h.changeRowsBounds(len(rows), rows, v, v)
            self._restricted_rows = np.union1d(self._restricted_rows, rows).astype(np.int32)

    def release(self) -> None:
        """Remove every `restrict`: columns and built rows get their built bounds back."""
        changed = np.flatnonzero((self._col_lower != self._built_lower)
                                 | (self._col_upper != self._built_upper)).astype(np.int32)
        self._col_lower[changed] = self._built_lower[changed]
        self._col_upper[changed] = self._built_upper[changed]
        self.set_col_bounds(changed, self._col_lower[changed], self._col_upper[changed])
        rows = self._restricted_rows
        if len(rows):
            inf = self._hs.kHighsInf
            lo, hi = self._row_lower[rows], self._row_upper[rows]
            self._h.changeRowsBounds(len(rows), rows, np.where(np.isinf(lo), -inf, lo),
                                     np.where(np.isinf(hi), inf, hi))
        self._restricted_rows = np.zeros(0, dtype=np.int32)

    @property
    def n_built_rows(self) -> int:
        """Rows as built (rows added later come after them)."""
        return len(self._row_lower)

    def current_lp(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                  np.ndarray, np.ndarray]:
        """The LP as HiGHS holds it now (rows added, bounds changed): the matrix's rows, columns
        and values, then column and row bounds (infinite where open)."""
        lp = self._h.getLp()
        start = np.asarray(lp.a_matrix_.start_, dtype=np.int64)
        index = np.asarray(lp.a_matrix_.index_, dtype=np.int64)
        value = np.asarray(lp.a_matrix_.value_, dtype=float)
        major = np.repeat(np.arange(len(start) - 1), np.diff(start))
        colwise = lp.a_matrix_.format_ == self._hs.MatrixFormat.kColwise
        rows, cols = (index, major) if colwise else (major, index)
        inf = self._hs.kHighsInf

        def opened(v: object) -> np.ndarray:
            a = np.asarray(v, dtype=float)
            out: np.ndarray = np.where(a >= inf, np.inf, np.where(a <= -inf, -np.inf, a))
            return out

        return (rows, cols, value, opened(lp.col_lower_), opened(lp.col_upper_),
                opened(lp.row_lower_), opened(lp.row_upper_))

    def option(self, name: str) -> Any:
        """A HiGHS option's value (highspy's low-level object answers (status, value))."""
        got = self._h.getOptionValue(name)
        return got[1] if isinstance(got, tuple) else got

    def set_option(self, name: str, value: Any) -> None:
        """Set a HiGHS option."""
        self._h.setOptionValue(name, value)
        if name == "threads":
            self._threads = int(value)

    def base_bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Columns' base bounds and the built rows' bounds (copies; infinite where open)."""
        return (self._col_lower.copy(), self._col_upper.copy(), self._row_lower.copy(),
                self._row_upper.copy())

    def solve(self, *, time_limit: float | None = None, gap: float = 1e-4,
              start: np.ndarray | None = None, method: str | None = None) -> SolveOutcome:
        """Run the solver on the current model; `start` is a feasible point to warm-start a MIP.

        method (LPs): None lets HiGHS choose, warm-starting from the last basis
        when there is one; "ipm" solves from scratch (presolve on) with the
        interior point method and crossover to a vertex; "simplex" forces the
        simplex method, warm-started from the last basis when there is one;
        "primal" the primal simplex, warm-started likewise (the right one when
        the last solution stays feasible and only the objective changed).
        """
        t0 = time.perf_counter()
        if not self.n_col:
            return SolveOutcome(SolveStatus.OPTIMAL, self._offset, 0.0, np.zeros(0), np.zeros(0),
                                "empty model", 0.0)
        h, hs = self._h, self._hs
        h.setOptionValue("time_limit", float(time_limit) if time_limit else hs.kHighsInf)
        h.setOptionValue("mip_rel_gap", float(gap))
        if start is not None and self.is_mip:
            h.setSolution(self.n_col, np.arange(self.n_col, dtype=np.int32),
                          np.asarray(start, dtype=float))
        if method == "ipm":
            h.clearSolver()
        if method == "primal":
            h.setOptionValue("solver", "simplex")
            h.setOptionValue("simplex_strategy", 4)  # HiGHS: 4 = primal simplex
        elif method is not None:
            h.setOptionValue("solver", method)
        try:
            fit_scheduler(self._threads)
            h.run()
        except Exception as exc:  # the solver's own failure, reported as ours
            return SolveOutcome(SolveStatus.ERROR, None, None, None, None, f"solver failed: {exc}",
                                time.perf_counter() - t0)
        finally:
            if method is not None:
                h.setOptionValue("solver", "choose")
            if method == "primal":
                h.setOptionValue("simplex_strategy", 1)  # back to HiGHS's default (dual)
        ms = h.getModelStatus()
        info = h.getInfo()
        has_x = int(info.primal_solution_status) == 2
        sol = h.getSolution()
        x = np.asarray(sol.col_value, dtype=float) if has_x else None
        duals = np.asarray(sol.row_dual, dtype=float) if (has_x and sol.dual_valid) else None
        col_duals = np.asarray(sol.col_dual, dtype=float) if duals is not None else None
        row_value = np.asarray(sol.row_value, dtype=float) if has_x else None
        obj = float(self._cost @ x + self._offset) if x is not None else None
        mip_gap = float(info.mip_gap) if self.is_mip else 0.0
        M = hs.HighsModelStatus
        secs = time.perf_counter() - t0
        if ms == M.kOptimal:
            return SolveOutcome(SolveStatus.OPTIMAL, obj, mip_gap, x, duals, "optimal", secs,
                                col_duals, row_value)
        if ms in (M.kTimeLimit, M.kIterationLimit, M.kSolutionLimit, M.kInterrupt):
            if x is None:
                return SolveOutcome(SolveStatus.ERROR, None, None, None, None,
                                    "no feasible plan found within the time limit", secs)
            g = mip_gap if self.is_mip else float("inf")
            return SolveOutcome(SolveStatus.TIME_LIMIT, obj, g, x, None, "time limit reached", secs)
        if ms == M.kInfeasible:
            return SolveOutcome(SolveStatus.INFEASIBLE, None, None, None, None,
                                "the model is infeasible", secs)
        if ms in (M.kUnbounded, M.kUnboundedOrInfeasible):
            return SolveOutcome(SolveStatus.UNBOUNDED, None, None, None, None,
                                "the model is unbounded or infeasible", secs)
        return SolveOutcome(SolveStatus.ERROR, None, None, None, None,
                            f"the solver stopped: {h.modelStatusToString(ms)}", secs)
