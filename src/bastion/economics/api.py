"""`economics(scenario, plan, ...)`: the learning-adjusted cost of a plan and its JCL (pure)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from bastion.economics.allocation import ALLOCATED, DeliveredCost, delivered_costs
from bastion.economics.cost import (
    CashYear,
    cash_by_month,
    cash_by_year,
    learn_plan,
    line_own_costs,
    month_years,
)
from bastion.economics.jcl import JclResult, goal_months, jcl
from bastion.economics.learning import LineLearning
from bastion.economics.result import EconomicsResult, LineMonth, UnitCostYear
from bastion.economics.settings import EconomicsSettings
from bastion.plan.result import PlanResult
from bastion.scenario.model import Scenario
from bastion.scenario.types import month_name

NASA_LEVEL = 0.7


def _unit_cost(scenario: Scenario, learning: dict[str, LineLearning]) -> tuple[UnitCostYear, ...]:
    years = month_years(scenario)
    out = []
    for lid, ll in learning.items():
        cum_u, cum_c, last = ll.cumulative_units, ll.cumulative_cost, ll.marginal_unit_cost()
        for y in np.unique(years):
            sel = np.flatnonzero(years == y)
            units = float(ll.units[sel].sum())
            if units <= 0:
                continue
            end = int(sel[-1])
            out.append(UnitCostYear(
                line=lid, year=int(y), units=units, average_unit_cost=float(ll.cost[sel].sum()) / units,
                cumulative_units=float(cum_u[end]), cumulative_average=float(cum_c[end] / cum_u[end]),
                last_unit_cost=float(last[end]),
            ))
    return tuple(out)


def _by_month(start: str, learning: dict[str, LineLearning]) -> tuple[LineMonth, ...]:
    out = []
    for lid, ll in learning.items():
        cum_u, cum_c = ll.cumulative_units, ll.cumulative_cost
        for k in np.flatnonzero(ll.units > 0):
            out.append(LineMonth(lid, month_name(int(k), start), float(ll.units[k]),
                                 float(ll.cost[k] / ll.units[k]), float(cum_u[k]),
                                 float(cum_c[k] / cum_u[k])))
    return tuple(out)


def economics(scenario: Scenario, plan: PlanResult | None = None, *,
              sim_costs: npt.ArrayLike | None = None, sim_months: npt.ArrayLike | None = None,
              settings: EconomicsSettings | None = None, target: int | None = None,
              jcl_note: str | None = None) -> EconomicsResult:
    """Learning-adjusted unit cost, cash by year, cost per delivered unit and the JCL.

    `plan` defaults to `solve_plan(scenario)`. `sim_costs` (paths,) and
    `sim_months` (paths,) or (paths, targets) (month index, -1/NaN never)
    come from the simulator; with (paths, targets) the goal is the month the
    LAST target is met, or target number `target` (scenario order). Without
    them the JCL is None (`jcl_note` says why). `settings` defaults to the scenario's `economics`
    section when the model has one, else to EconomicsSettings().
    """
    if plan is None:
        from bastion.plan import solve_plan

        plan = solve_plan(scenario)
    if settings is None:
        found = getattr(scenario, "economics", None)
        settings = found if isinstance(found, EconomicsSettings) else EconomicsSettings()
    notes: list[str] = []
    start, n = scenario.horizon.start, scenario.horizon.months

    unit_cost: tuple[UnitCostYear, ...] = ()
    by_month: tuple[LineMonth, ...] = ()
    cash: tuple[CashYear, ...] = ()
    delivered: tuple[DeliveredCost, ...] = ()
    first_total: float | None = None
    if plan.tables is None:
        notes.append(f"no plan ({plan.status.value}): no cost, unit cost or cash by year")
    else:
        learning = learn_plan(scenario, plan.tables)
        own = line_own_costs(scenario, plan)
        months = cash_by_month(plan.tables, learning, n)
        optional = np.sum([oc.optional_capex_by_month for oc in own.values()], axis=0) \
            if own else np.zeros(n)
        cash = cash_by_year(scenario, months, optional, rate=settings.discount_rate,
                            base_year=settings.price_base_year)
        unit_cost = _unit_cost(scenario, learning)
        by_month = _by_month(start, learning)
        pools = {k: math.fsum(months[k].tolist()) for k in ALLOCATED}
        delivered = delivered_costs(scenario, plan.tables, learning, own, pools)
        if plan.cost is not None:
            first_total = plan.cost.total

    result_jcl = result_p70 = None
    if sim_costs is not None and cash and first_total is not None:
        # the simulator costs variable production at first-unit cost, as the plan does:
        # take off the plan's learning saving so the JCL's cost axis matches `total_cost`
        saving = first_total - math.fsum(y.total for y in cash)
        sim_costs = np.asarray(sim_costs, dtype=np.float64) - saving
        notes.append(f"simulated path costs less the plan's learning saving ({saving:,.0f})")
    if sim_costs is not None and sim_months is not None:
        goal = goal_months(sim_months, target)
        result_jcl = jcl(sim_costs, goal, level=settings.confidence_level)
        result_p70 = result_jcl if settings.confidence_level == NASA_LEVEL \
            else jcl(sim_costs, goal, level=NASA_LEVEL)
        if result_jcl.month is None:
            notes.append(f"fewer than {settings.confidence_level:.0%} of the paths reach the goal "
                         "in the horizon: no JCL point")
        by_target = _jcl_by_target(scenario, sim_costs, sim_months)
    elif sim_costs is not None or sim_months is not None:
        raise ValueError("sim_costs and sim_months go together")
    else:
        notes.append(jcl_note or "no simulated paths: JCL not computed")

    return EconomicsResult(
        classification=scenario.marking(), currency=scenario.currency, start=start,
        settings=settings, plan_status=plan.status.value, notes=tuple(notes), unit_cost=unit_cost,
        by_month=by_month, cash_by_year=cash, first_unit_cost_total=first_total,
        cost_per_delivered_unit=delivered, jcl=result_jcl, jcl_p70=result_p70,
        jcl_by_target=by_target if sim_costs is not None else (),
    )


def _jcl_by_target(scenario: Scenario, costs: npt.ArrayLike, months: npt.ArrayLike,
                   ) -> tuple[tuple[str, str, str, JclResult], ...]:
    """The 70% JCL point of each target on its own (when the simulator gives one column per target)."""
    m = np.asarray(months)
    if m.ndim != 2:
        return ()
    labels = [(cid, t.item, t.by) for cid, c in scenario.customers.items() for t in c.targets]
    if len(labels) != m.shape[1]:
        return ()
    return tuple((*labels[k], jcl(costs, goal_months(m, k), level=NASA_LEVEL)) for k in range(len(labels)))
