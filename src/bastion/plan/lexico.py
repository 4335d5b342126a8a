"""The lexicographic solve: each priority level's shortfall, held, then cost.

One HighsSolver is built once; each stage changes the objective and, after
solving, adds one row "level expression <= optimum + tolerance". The previous
stage's solution stays feasible, so it is passed as a MIP start.

Stages of a MIP are solved "LP first" (strategy "lp-first", the default):
the LP relaxation with the interior point method and crossover gives a
lower bound LB; the build decisions are then fixed at a few integer
candidates (the relaxation's own when integral, its rounding at 1 and at
1/2, the previous stage's) and each LP is re-solved warm with the dual
simplex, giving plans with values UB. When the best UB is within the gap
of LB, (UB - LB) / |UB| <= gap, that plan is the stage's answer, proven
to the same relative gap as the MIP solver's; otherwise the stage falls
back to the MIP (binaries free, the best plan as its start). The meaning is
unchanged; only the route to the proven optimum is.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bastion.plan.model import LinearModel
from bastion.plan.narrow import Classes, merge, solve_subsets, split
from bastion.plan.solve import HighsSolver, SolveOutcome, SolveStatus
from bastion.plan.variables import ORDER_OBJECTIVE
from bastion.plan.weighted import MAX_LEVELS, Background, verify

INTEGRAL_TOL = 1e-6
LP_FIRST_MIN_COLS = 20_000
FACE_DUAL_TOL = 1e-6  # |reduced cost| or |row dual| above this: the bound is active on the face
FACE_VALUE_TOL = 1e-7  # a value is at a bound within this (relative, at least absolute)
TIEBREAK_FACE = True
"""Large pure LPs (solved by IPM, solve.IPM_MIN_COLS): the tie-break stage also holds the cost
stage's optimal face (columns and rows its duals fix), which leaves it a much smaller LP."""
LEVEL_FACE = True
"""Large pure LPs with interchangeable columns (narrow.py): each level's stage also holds its
optimal face (as "LP first" does; the classes' columns excepted), released after the cost stage."""


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
    face: dict[str, tuple[int, int]] = field(default_factory=dict)  # stage -> (cols fixed, rows)
    tiebreak: SolveOutcome | None = None  # the deliveries-by-priority stage after cost, if any
    subsets: tuple[int, int] | None = None  # cost stage by column generation: (rounds, columns)


_RANK = {SolveStatus.OPTIMAL: 0, SolveStatus.TIME_LIMIT: 1, SolveStatus.UNBOUNDED: 2,
         SolveStatus.INFEASIBLE: 3, SolveStatus.ERROR: 4}


def _candidates(model: LinearModel, x: np.ndarray, ints: np.ndarray,
                previous: np.ndarray | None) -> list[np.ndarray]:
    """Integer build decisions to try from a relaxed solution x (distinct, in order)."""
    y = x[ints]
    out: list[np.ndarray] = []
    if np.all(np.abs(y - np.round(y)) <= INTEGRAL_TOL):
        out.append(np.round(y))
    elif "Line-build" in model.vars and "Line-online" in model.vars:
        yb, zb = model.vars["Line-build"], model.vars["Line-online"]
        if yb.size == len(ints) and np.array_equal(yb.index, ints):
            z, lines = x[zb.index], yb.keys["line"]
            heads = np.flatnonzero(np.r_[True, lines[1:] != lines[:-1]])
            for th in (1.0 - INTEGRAL_TOL, 0.5):  # 'fully online' first: it fits the budget more often
                cand = np.zeros(len(ints))
                for a, b in zip(heads, np.r_[heads[1:], len(lines)], strict=True):
                    k = np.flatnonzero(z[a:b] >= th)  # online by month: first month over th
                    if len(k):
                        cand[a + k[0]] = 1.0
                out.append(cand)
    if previous is not None:
        out.append(np.round(previous[ints]))
    uniq: list[np.ndarray] = []
    for c in out:
        if not any(np.array_equal(c, u) for u in uniq):
            uniq.append(c)
    return uniq


def _solve_lp_first(solver: HighsSolver, model: LinearModel, *, time_limit: float | None,
                    gap: float, start: np.ndarray | None
                    ) -> tuple[SolveOutcome, SolveOutcome | None]:
    """One stage of a MIP: LP relaxation bound, fixed-decision plans, MIP only if needed.

    Returns the stage's outcome and, when a plan met the relaxation's bound
    exactly (gap 0), the relaxation's own outcome (its duals describe the
    stage's optimal face, see `_face`).
    """
    t0 = time.perf_counter()
    ints = solver.integer_cols

    def left() -> float | None:
        return None if time_limit is None else max(0.5, time_limit - (time.perf_counter() - t0))

    solver.set_integrality(ints, False)
    best: SolveOutcome | None = None
    try:
        relax = solver.solve(time_limit=time_limit, gap=gap, method="ipm")
        if relax.status is SolveStatus.OPTIMAL and relax.x is not None \
                and relax.objective is not None:
            lb = relax.objective
            for cand in _candidates(model, relax.x, ints, start):
                solver.set_col_bounds(ints, cand, cand)
                out = solver.solve(time_limit=left(), gap=gap, method="simplex")
                solver.reset_col_bounds(ints)
                if out.status is not SolveStatus.OPTIMAL or out.objective is None:
                    continue
                if best is None or best.objective is None or out.objective < best.objective:
                    best = out
                if _rel_gap(out.objective, lb) <= gap:
                    break
            if best is not None and best.objective is not None \
                    and _rel_gap(best.objective, lb) <= gap:
                g = _rel_gap(best.objective, lb)
                return (SolveOutcome(SolveStatus.OPTIMAL, best.objective, g, best.x, None,
                                     "optimal (LP bound met by fixed build decisions)",
                                     time.perf_counter() - t0),
                        relax if g == 0.0 else None)
    finally:
        solver.reset_col_bounds(ints)
        solver.set_integrality(ints, True)
        solver.clear_start()
    mip_start = best.x if best is not None else start
    out = solver.solve(time_limit=left(), gap=gap, start=mip_start)
    return (SolveOutcome(out.status, out.objective, out.gap, out.x, out.row_dual, out.message,
                         time.perf_counter() - t0), None)


def _near(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.abs(a - b) <= FACE_VALUE_TOL * np.maximum(1.0, np.abs(b))
    return out


def _face(solver: HighsSolver, relax: SolveOutcome, x: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bounds that hold a stage's optimal face, from its LP relaxation's optimal duals.

    Complementary slackness: with (y, d) an optimal dual of the relaxation,
    the relaxation's optimal solutions are exactly its feasible points with
    x_j at its bound wherever d_j != 0 and each row at its bound wherever
    y_i != 0. The stage's accepted plan x reached the relaxation's bound, so
    it lies on that face, and so does every plan that keeps the stage's
    optimum. Fixing those columns and rows therefore changes nothing later
    stages can reach (the hold row stays as well), but it removes columns
    before the next, larger solve. Only clear cases are taken: |d|, |y| over
    FACE_DUAL_TOL with x (and the relaxation's point) at that bound.
    Returns (cols, values, rows, values).
    """
    lo, hi, rlo, rhi = solver.base_bounds()
    d, y, xr, act = relax.col_dual, relax.row_dual, relax.x, relax.row_value
    empty = np.zeros(0, dtype=np.int32), np.zeros(0)
    if d is None or y is None or xr is None or act is None:
        return (*empty, *empty)
    free = lo < hi
    at_lo = free & (d > FACE_DUAL_TOL) & np.isfinite(lo) & _near(x, lo) & _near(xr, lo)
    at_hi = free & (d < -FACE_DUAL_TOL) & np.isfinite(hi) & _near(x, hi) & _near(xr, hi)
    cols = np.flatnonzero(at_lo | at_hi).astype(np.int32)
    cvals = np.where(at_lo[cols], lo[cols], hi[cols])
    nb = solver.n_built_rows
    y, act = y[:nb], act[:nb]
    ranged = rlo < rhi
    r_lo = ranged & (np.abs(y) > FACE_DUAL_TOL) & np.isfinite(rlo) & _near(act, rlo)
    r_hi = ranged & (np.abs(y) > FACE_DUAL_TOL) & np.isfinite(rhi) & _near(act, rhi) & ~r_lo
    rows = np.flatnonzero(r_lo | r_hi).astype(np.int32)
    rvals = np.where(r_lo[rows], rlo[rows], rhi[rows])
    return cols, cvals, rows, rvals


def _rel_gap(ub: float, lb: float) -> float:
    """HiGHS's relative gap (ub - lb) / |ub|, 0 when both are 0, never negative."""
    diff = max(0.0, ub - lb)
    if diff <= 1e-9 * max(1.0, abs(ub)):
        return 0.0
    return diff / abs(ub) if ub != 0 else float("inf")


def run_lexicographic(model: LinearModel, levels: tuple[int, ...], *, time_limit: float | None,
                      gap: float, with_cost: bool = True, strategy: str = "auto",
                      face: bool = True, progress: Callable[[str], None] | None = None,
                      parallel: bool = True, classes: Classes | None = None) -> LexRun:
    """Minimise each level's shortfall in order, holding each optimum; then cost.

    strategy "lp-first" proves each MIP stage from its LP relaxation when
    fixed build decisions meet the bound (see the module's note), "mip" hands
    every stage straight to the MIP solver, "auto" (default) is "lp-first" for
    models of at least LP_FIRST_MIN_COLS columns and "mip" below (small models:
    the MIP closes at once and the extra LPs only add overhead). face (lp-first
    only): after a level whose plan met its LP bound exactly, also fix the
    columns and rows that its optimal face fixes (`_face`); the hold rows stay,
    and `solver.release()` removes these restrictions (sensitivity does).
    progress, when given, is called with a short text before each stage.
    parallel (lp-first only): solve the cost stage early, on a second thread,
    as one weighted LP, kept only when it is proven against every level's
    optimum (weighted.py); on by default whatever the number of cores, so the
    same scenario gives the same numbers on every machine.
    classes (large pure LPs only, those solved by IPM): columns interchangeable in every
    row and level (narrow.py): each level's stage solves every class as one column, and
    the cost stage solves subsets of the classes' columns, priced against the full LP.
    """
    if strategy not in ("auto", "lp-first", "mip"):
        raise ValueError(f"unknown strategy {strategy!r}")
    if strategy == "auto":
        strategy = "lp-first" if model.n_col >= LP_FIRST_MIN_COLS else "mip"
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
    lp_first = strategy == "lp-first" and solver.is_mip
    level_ps = [int(n.split("-", 1)[1]) for n, _, _ in stages if n.startswith("level-")]
    early = (Background(model, level_ps, time_limit)
             if lp_first and parallel and 0 < len(level_ps) <= MAX_LEVELS and stages[-1][0] == "cost"
             else None)
    try:
        narrow = classes if (classes is not None and classes.n and not lp_first
                             and solver.lp_method() == "ipm") else None
        _stages(run, solver, model, stages, lp_first=lp_first, early=early, t0=t0,
                time_limit=time_limit, gap=gap, face=face, progress=progress, narrow=narrow)
        if run.face and not lp_first:  # the levels' faces of a large pure LP: the holds remain
            solver.release()
    finally:
        if early is not None:
            early.result()  # never leave a solve running behind the caller
    order = model.cost_vector(ORDER_OBJECTIVE)
    if with_cost and np.any(order) and run.x is not None and run.status is SolveStatus.OPTIMAL:
        _tiebreak(run, solver, model, order, time_limit)
    if run.status is SolveStatus.OPTIMAL:
        run.gap = max((o.gap or 0.0) for _, o in run.stages) if run.stages else 0.0
    run.seconds = time.perf_counter() - t0
    return run


def _tiebreak(run: LexRun, solver: HighsSolver, model: LinearModel, order: np.ndarray,
              time_limit: float | None) -> None:
    """Among the plans of least cost (cost held as the levels are), deliveries by priority.

    The build decisions stay at the cost stage's; the cost row is made inert
    again afterwards (sensitivity re-solves the cost stage). The cost stage
    stays the last entry of run.stages; this outcome goes to run.tiebreak.
    """
    assert run.x is not None
    cost_c, off = model.cost_vector("cost"), model.offsets.get("cost", 0.0)
    opt = float(cost_c @ run.x) + off
    nz = np.flatnonzero(cost_c)
    row = solver.add_row(nz, cost_c[nz], -np.inf, opt - off + hold_tolerance(opt))
    solver.set_objective(order)
    cost_out = run.stages[-1][1] if run.stages and run.stages[-1][0] == "cost" else None
    face_held = (TIEBREAK_FACE and solver.lp_method() == "ipm"
                 and cost_out is not None and cost_out.col_dual is not None)
    if face_held:  # a large LP: hold the cost stage's optimal face as well (see `_face`)
        assert cost_out is not None
        cols, cvals, rows, rvals = _face(solver, cost_out, run.x)
        solver.restrict(cols, cvals, rows, rvals)
        run.face["tiebreak"] = (len(cols), len(rows))
    try:
        out = _solve_fixed_builds(solver, run.x, time_limit)
    finally:
        solver.set_row_bounds(row, -np.inf, np.inf)
        if face_held:
            solver.release()
    if out.status is SolveStatus.OPTIMAL and out.x is not None:
        run.tiebreak = dataclasses.replace(out, objective=float(cost_c @ out.x) + off)
        run.x = out.x


def _solve_fixed_builds(solver: HighsSolver, x: np.ndarray, time_limit: float | None
                        ) -> SolveOutcome:
    """The current objective as an LP with the build decisions fixed at plan x's (tie-break)."""
    ints = solver.integer_cols
    vals = np.round(x[ints])
    solver.set_integrality(ints, False)
    solver.set_col_bounds(ints, vals, vals)
    try:
        return solver.solve(time_limit=time_limit, method=solver.lp_method("simplex"))
    finally:
        solver.reset_col_bounds(ints)
        solver.set_integrality(ints, True)


def _narrowed(run: LexRun, solver: HighsSolver, cls: Classes, name: str, cost: np.ndarray,
              t0: float, time_limit: float | None, gap: float) -> SolveOutcome:
    """One stage of a large pure LP with interchangeable columns (narrow.py): a level's stage
    with each class merged (the plan split back, cheapest first), the cost stage by column
    generation over the classes' columns (the full LP when that does not end optimal)."""

    def solve() -> SolveOutcome:
        left = None if time_limit is None else max(0.5, time_limit - (time.perf_counter() - t0))
        return solver.solve(time_limit=left, gap=gap, method="ipm")

    if name.startswith("level-"):
        merge(solver, cls)
        quiet = _quiet(cls, name)
        solver.set_col_bounds(quiet, np.zeros(len(quiet)), np.zeros(len(quiet)))
        try:
            out = solve()
        finally:
            solver.reset_col_bounds(cls.cols)
            solver.reset_col_bounds(quiet)
        if out.x is None:
            return out
        return dataclasses.replace(out, x=split(solver, cls, out.x))
    if run.x is not None:
        done = solve_subsets(solver, cls, cost, run.x, solve)
        if done is not None:
            run.subsets = (done.rounds, done.cols)
            return done.outcome
    return solve()


def _quiet(cls: Classes, name: str) -> np.ndarray:
    """The columns fixed at 0 in this level's stage (narrow.quiet_columns), none for cost."""
    if cls.quiet is None or not name.startswith("level-"):
        return np.zeros(0, dtype=np.int64)
    return cls.quiet.get(int(name.split("-", 1)[1]), np.zeros(0, dtype=np.int64))


def _hold_at(run: LexRun, solver: HighsSolver, model: LinearModel, x: np.ndarray | None) -> None:
    """Hold each level at max(optimum, its value in plan x): the held values the final plan keeps."""
    if x is None:
        return
    for p, row in run.hold_rows.items():
        held = max(run.levels[p], float(model.cost_vector(f"level-{p}") @ x))
        run.levels[p] = held
        solver.set_row_bounds(row, -np.inf, held + hold_tolerance(held))


def _stages(run: LexRun, solver: HighsSolver, model: LinearModel,
            stages: list[tuple[str, np.ndarray, float]], *, lp_first: bool,
            early: Background | None, t0: float, time_limit: float | None, gap: float,
            face: bool, progress: Callable[[str], None] | None,
            narrow: Classes | None = None) -> None:
    """The stages in order (see `run_lexicographic`), filling `run`."""
    for k, (name, cost, offset) in enumerate(stages):
        left = None if time_limit is None else max(0.5, time_limit - (time.perf_counter() - t0))
        if progress is not None:
            what = (f"priority {name.split('-', 1)[1]} shortfall" if name.startswith("level-")
                    else "cost")
            progress(f"{what}, stage {k + 1}/{len(stages)}")
        solver.set_objective(cost, offset)
        relax: SolveOutcome | None = None
        proven = None
        if name == "cost" and early is not None and run.status is SolveStatus.OPTIMAL:
            proven = verify(model, early.result(), run.levels, gap)
        if proven is not None:
            out = proven[0]
            _hold_at(run, solver, model, proven[0].x)
        elif lp_first:
            out, relax = _solve_lp_first(solver, model, time_limit=left, gap=gap, start=run.x)
        elif narrow is not None:
            out = _narrowed(run, solver, narrow, name, cost, t0, time_limit, gap)
            if LEVEL_FACE and out.status is SolveStatus.OPTIMAL:
                relax = out
        else:
            out = solver.solve(time_limit=left, gap=gap, start=run.x, method=solver.lp_method())
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
            if relax is not None and narrow is not None and relax.col_dual is not None:
                quiet = _quiet(narrow, name)  # the face is the full LP's only if its duals are
                if len(quiet) and relax.col_dual[quiet].min() < -FACE_DUAL_TOL:
                    relax = None
            if relax is not None and face:
                cols, cvals, rows, rvals = _face(solver, relax, out.x)
                if narrow is not None:  # a class's columns were merged: none of them is fixed
                    keep = ~np.isin(cols, narrow.cols)
                    cols, cvals = cols[keep], cvals[keep]
                solver.restrict(cols, cvals, rows, rvals)
                run.face[name] = (len(cols), len(rows))
