"""`solve_plan`: scenario -> index -> model -> lexicographic solve -> PlanResult (pure)."""

from __future__ import annotations

import time

import numpy as np

from bastion.online import line_online_months
from bastion.plan.catalogue import catalogue
from bastion.plan.diagnose import Diagnosis, explain_shortfalls, sensitivities
from bastion.plan.index import DeliveryHold, Floor, PlanIndex, ProductionHold, Relax
from bastion.plan.result import (
    CostBreakdown,
    LevelShortfall,
    LinePlan,
    PlanResult,
    Sensitivity,
    TargetPlan,
)
from bastion.plan.solution import Solution
from bastion.plan.solve import SolveStatus
from bastion.plan.tables import make_tables
from bastion.plan.variant import Solved, Step, prefixed, solve_model, target_tolerance
from bastion.scenario.model import Scenario
from bastion.scenario.types import month_name

__all__ = ["Solved", "Step", "first_output", "prefixed", "solve_model", "solve_plan", "target_tolerance"]


def _targets(ix: PlanIndex, sol: Solution | None) -> tuple[TargetPlan, ...]:
    out = []
    for t in ix.targets:
        cust, item, by = ix.customers[t.customer], ix.items[t.item], month_name(t.by, ix.start)
        prio = int(ix.priority[t.customer])
        if sol is None:
            out.append(TargetPlan(cust, item, by, t.units, prio, planned_units=None, met=False,
                                  met_month=None, shortfall=t.units))
            continue
        tol = target_tolerance(t.units)
        path = sol.pile_level[t.pile]
        planned = float(path[t.by]) if 0 <= t.by < ix.n else float(ix.init_pile[t.pile])
        reach = np.flatnonzero(path >= t.units - tol)
        out.append(TargetPlan(
            cust, item, by, t.units, prio, planned_units=planned, met=planned >= t.units - tol,
            met_month=month_name(int(reach[0]), ix.start) if len(reach) else None,
            shortfall=max(0.0, t.units - planned) if planned < t.units - tol else 0.0,
        ))
    return tuple(out)


def _lines(ix: PlanIndex, sol: Solution | None) -> tuple[LinePlan, ...]:
    out = []
    for li, line in enumerate(ix.lines):
        if line.optional:
            k = None if sol is None else sol.built.get(li)
            built = k is not None
        else:
            k, built = line.online, True
        out.append(LinePlan(
            line=line.id, site=ix.sites[line.site], optional=line.optional, built=built,
            online=month_name(k, ix.start) if k is not None else None,
            capex_month=month_name(max(0, k - line.build_months), ix.start)
            if k is not None and line.capex > 0 else None,
        ))
    return tuple(out)


def first_output(ix: PlanIndex, sol: Solution | None) -> str | None:
    """The first month (clamped at 0) in which a built line is online, within the horizon."""
    months = [max(0, ln.online) for ln in ix.lines if not ln.optional]
    if sol is not None:
        months += [max(0, k) for k in sol.built.values()]
    months = [m for m in months if m < ix.n]
    return month_name(min(months), ix.start) if months else None


def _levels(ix: PlanIndex, sol: Solution | None) -> tuple[LevelShortfall, ...]:
    if sol is None:
        return ()
    out = []
    for p in ix.levels:
        cust = ix.priority[ix.pile_pairs[:, 0]] == p if len(ix.pile_pairs) else np.zeros(0, bool)
        unmet = float(sol.pile_unmet[cust].sum()) if len(cust) else 0.0
        short = sum(float(sol.shortfall[k]) for k, t in enumerate(ix.targets)
                    if ix.priority[t.customer] == p)
        out.append(LevelShortfall(priority=p, unmet_consumption=unmet, target_shortfall=short))
    return tuple(out)


def solve_plan(scenario: Scenario, *, time_limit: float | None = None, gap: float = 1e-4,
               online: dict[str, int] | None = None, relax: Relax | None = None,
               explain: bool = True, sensitivity: bool = True,
               progress: Step | None = None, floors: tuple[Floor, ...] = (),
               deliveries: tuple[DeliveryHold, ...] = (),
               production: tuple[ProductionHold, ...] = ()) -> PlanResult:
    """The optimal plan of `scenario` (see docs/method-plan.md); pure: no printing, no files.

    time_limit bounds the main solve's seconds (all stages together); gap is
    the relative MIP gap of each stage; online overrides the lines' online
    months (default: `line_online_months(scenario)`); relax relaxes families of
    limits; explain/sensitivity run the 'what binds' re-solves and the duals; floors: least
    store levels (the confidence plan's component buffers; none in the deterministic plan);
    deliveries: cumulative deliveries held per route (the confidence plan's frozen levels; none
    in the deterministic plan); production: cumulative production held per line and item (the
    same; none in the deterministic plan).
    """
    t0 = time.perf_counter()
    online = dict(online) if online is not None else line_online_months(scenario)
    solved = solve_model(scenario, online, relax, time_limit=time_limit, gap=gap, pool=True,
                         progress=progress, floors=floors, deliveries=deliveries,
                         production=production)
    ix, run, sol = solved.ix, solved.run, solved.sol
    t_solve = time.perf_counter() - t0
    cost = None
    if sol is not None:
        cost = CostBreakdown(**{k: float(v.sum()) for k, v in sol.cost_by_month.items()})
    targets = _targets(ix, sol)
    unmet = float(sol.pile_unmet.sum()) if sol is not None else 0.0
    diag = Diagnosis()
    sens: tuple[Sensitivity, ...] = ()
    if sol is not None and explain and (unmet > 1e-6 or any(not t.met for t in targets)):
        diag = explain_shortfalls(scenario, online, solved, targets, gap=gap,
                                  time_limit=time_limit, progress=progress)
    if sol is not None and sensitivity and run.status is SolveStatus.OPTIMAL:
        if progress is not None:
            progress("sensitivity: marginal values of the binding limits")
        sens = sensitivities(solved, diag, scenario.currency)
    t_all = time.perf_counter() - t0
    message = run.message or ("optimal" if run.status is SolveStatus.OPTIMAL else run.status.value)
    return PlanResult(
        status=run.status, gap=run.gap, message=message,
        classification=scenario.marking(), currency=scenario.currency,
        objective=cost.total if cost is not None else None,
        first_output=first_output(ix, sol), lines=_lines(ix, sol), targets=targets, cost=cost,
        levels=_levels(ix, sol), unmet_consumption=unmet, explanations=diag.explanations,
        sensitivity=sens, tables=make_tables(ix, solved.model, sol) if sol is not None else None,
        seconds={"build": round(solved.build_seconds, 4), "solve": round(t_solve, 4),
                 "total": round(t_all, 4)},
        catalogue=catalogue(scenario),
    )
