"""Resource-constrained schedules with OR-Tools CP-SAT.

Two entry points:

* :func:`schedule` for a programme :class:`Network`: mode durations rounded to
  0.01 month; least makespan, then (makespan fixed) least sum of finishes.
* :func:`solve_rcpsp` for PSPLIB instances: integer periods, least makespan
  only, tuned for speed (bounds from heads and tails, a heuristic start).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from bastion.programme.cpm import critical_order, solve_cpm
from bastion.programme.heuristic import best_sgs, heads_tails
from bastion.programme.network import Network
from bastion.programme.result import RcpspSolution, Schedule
from bastion.programme.sgs import critical_mask

__all__ = ["schedule", "solve_rcpsp"]

IntArray = npt.NDArray[np.int64]


@dataclass
class _Model:
    model: cp_model.CpModel
    starts: list[cp_model.IntVar]
    ends: list[cp_model.LinearExpr]
    makespan: cp_model.IntVar


def _build(
    durations: IntArray,
    preds: Sequence[Sequence[int]],
    capacity: IntArray,
    demand: IntArray,
    horizon: int,
    heads: IntArray,
    tails: IntArray,
) -> _Model:
    """Start variables within [head, horizon - duration - tail], precedences,
    one cumulative per resource, and the makespan."""
    m = cp_model.CpModel()
    t = len(durations)
    starts = [
        m.new_int_var(int(heads[i]), int(horizon - durations[i] - tails[i]), f"start_{i}") for i in range(t)
    ]
    ends = [starts[i] + int(durations[i]) for i in range(t)]
    intervals = [m.new_fixed_size_interval_var(starts[i], int(durations[i]), f"task_{i}") for i in range(t)]
    for j, ps in enumerate(preds):
        for p in ps:
            m.add(starts[j] >= ends[p])
    for k in range(len(capacity)):
        users = [i for i in range(t) if demand[i, k] > 0 and durations[i] > 0]
        if not users or sum(int(demand[i, k]) for i in users) <= capacity[k]:
            continue
        heavy = [i for i in users if 2 * demand[i, k] > capacity[k]]
        if len(heavy) > 1:  # no two of these can overlap: a redundant disjunctive
            m.add_no_overlap([intervals[i] for i in heavy])
        m.add_cumulative([intervals[i] for i in users], [int(demand[i, k]) for i in users], int(capacity[k]))
    lb = int(max((heads[i] + durations[i] + tails[i] for i in range(t)), default=0))
    makespan = m.new_int_var(lb, horizon, "makespan")
    has_succ = {p for ps in preds for p in ps}
    for i in range(t):
        if i not in has_succ:
            m.add(makespan >= ends[i])
    return _Model(m, starts, ends, makespan)


def _solver(time_limit_s: float, workers: int, seed: int, work_limit: float | None = None
            ) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    if work_limit is not None:  # CP-SAT's deterministic time: the same stop on any machine or load
        solver.parameters.max_deterministic_time = max(1e-6, work_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    return solver


def solve_rcpsp(
    durations: Sequence[int] | IntArray,
    preds: Sequence[Sequence[int]],
    capacity: Sequence[int] | IntArray,
    demand: Sequence[Sequence[int]] | IntArray,
    time_limit_s: float = 60.0,
    workers: int = 2,
    seed: int = 0,
) -> RcpspSolution:
    """Least-makespan schedule of an integer RCPSP (PSPLIB style).

    Args:
        durations: (T,) integer durations.
        preds: predecessor indices of each job.
        capacity: (R,) renewable capacities.
        demand: (T, R) per-period demands.
        time_limit_s: wall-clock limit of the CP-SAT search.
        workers: CP-SAT search workers.
        seed: CP-SAT random seed.

    Returns:
        The best schedule found, whether it is proven optimal, the best lower
        bound and the wall time. A serial-SGS heuristic gives the horizon and
        the solver's first hint; if it meets the critical-path bound, CP-SAT is
        not called.
    """
    t0 = time.perf_counter()
    d = np.asarray(durations, dtype=np.int64)
    cap = np.asarray(capacity, dtype=np.int64)
    dem = np.asarray(demand, dtype=np.int64).reshape(len(d), len(cap))
    heads, tails = heads_tails(d, preds)
    cp_bound = int(max((heads + d + tails).max(initial=0), 0))
    ub, hint = best_sgs(d, preds, cap, dem)
    if ub <= cp_bound:
        return RcpspSolution(ub, tuple(int(x) for x in hint), True, ub, time.perf_counter() - t0)
    built = _build(d, preds, cap, dem, ub, heads, tails)
    for var, s in zip(built.starts, hint, strict=True):
        built.model.add_hint(var, int(s))
    built.model.minimize(built.makespan)
    solver = _solver(time_limit_s - (time.perf_counter() - t0), workers, seed)
    status = solver.solve(built.model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        makespan = int(solver.value(built.makespan))
        starts = tuple(int(solver.value(v)) for v in built.starts)
        bound = int(solver.best_objective_bound)
    else:  # no solution in time: the heuristic's stands
        makespan, starts, bound = ub, tuple(int(x) for x in hint), cp_bound
    optimal = status == cp_model.OPTIMAL
    return RcpspSolution(
        makespan, starts, optimal, bound if not optimal else makespan, time.perf_counter() - t0
    )


def schedule(net: Network, time_limit_s: float = 30.0, workers: int = 1, seed: int = 0,
             work_limit: float | None = None) -> Schedule:
    """The deterministic programme schedule on mode durations (0.01 month).

    Every task starts as early as it can: among the schedules with the least
    makespan, the one with the least sum of finish times. Without resources
    (or when no task demands any) that is the CPM early-start schedule, which
    is optimal for both criteria. Otherwise CP-SAT solves twice: least
    makespan, then with the makespan fixed, least sum of finishes (hinted with
    the first solution). With ``workers=1`` and a fixed ``seed`` the answer is
    the same each run (as long as the time limit is not reached).

    ``time_limit_s`` bounds each of the two solves. ``work_limit``, when given, also
    bounds each solve in CP-SAT's deterministic time (its own count of work done, not
    seconds): a search stopped by it stops at the same point on any machine and under any
    load, so the schedule is the same each run as long as ``time_limit_s`` (then only a
    safety net) is not reached.
    """
    d = net.mode_centi()
    if not net.has_resources:
        cpm = solve_cpm(net, d.astype(np.float64))
        return Schedule(
            tasks=net.tasks,
            starts=tuple(float(x) / 100 for x in cpm.starts),
            finishes=tuple(float(x) / 100 for x in cpm.finishes),
            makespan=cpm.makespan / 100,
            critical_path=tuple(net.tasks[i] for i in cpm.critical),
            optimal=True,
            method="cpm",
        )
    t0 = time.perf_counter()
    heads, tails = heads_tails(d, net.preds)
    ub, hint = best_sgs(d, net.preds, net.capacity, net.demand)
    first = _build(d, net.preds, net.capacity, net.demand, ub, heads, tails)
    for var, s in zip(first.starts, hint, strict=True):
        first.model.add_hint(var, int(s))
    first.model.minimize(first.makespan)
    solver = _solver(time_limit_s, workers, seed, work_limit)
    status1 = solver.solve(first.model)
    if status1 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        makespan = int(solver.value(first.makespan))
        hint = np.array([solver.value(v) for v in first.starts], dtype=np.int64)
    else:
        makespan = ub
    second = _build(d, net.preds, net.capacity, net.demand, makespan, heads, tails)
    for var, s in zip(second.starts, hint, strict=True):
        second.model.add_hint(var, int(s))
    second.model.minimize(sum(second.ends))
    solver2 = _solver(time_limit_s, workers, seed, work_limit)
    status2 = solver2.solve(second.model)
    if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        starts = np.array([solver2.value(v) for v in second.starts], dtype=np.int64)
    else:
        starts = np.asarray(hint, dtype=np.int64)
    finishes = starts + d
    crit = critical_mask(net, starts[None, :], finishes[None, :])[0]
    return Schedule(
        tasks=net.tasks,
        starts=tuple(float(x) / 100 for x in starts),
        finishes=tuple(float(x) / 100 for x in finishes),
        makespan=float(finishes.max(initial=0)) / 100,
        critical_path=tuple(net.tasks[i] for i in critical_order(starts, crit)),
        optimal=status1 == cp_model.OPTIMAL and status2 == cp_model.OPTIMAL,
        method="cp-sat",
        solver_seconds=time.perf_counter() - t0,
    )
