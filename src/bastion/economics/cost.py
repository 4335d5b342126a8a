"""Cash by calendar year (learning-adjusted), discounting, and each line's own costs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bastion.economics.learning import LineLearning, learn_line
from bastion.plan.result import PlanResult
from bastion.plan.tables import PlanTables
from bastion.scenario.model import Scenario
from bastion.scenario.types import month_index, month_name

FloatArray = npt.NDArray[np.float64]

KINDS = ("capex", "fixed", "variable", "purchases", "holding")
"""Cash kinds, in the order of the JSON rows."""


@dataclass(frozen=True)
class CashYear:
    """One calendar year's cash (the horizon's months in it only)."""

    year: int
    capex: float
    fixed: float
    variable: float  # learning-adjusted
    purchases: float
    holding: float
    capex_optional: float  # the part of capex that counts against the budget
    capex_budget: float | None  # budget.capex_per_year (None: not listed, unlimited)
    discount_factor: float

    @property
    def total(self) -> float:
        """Sum of the kinds, exactly (fsum)."""
        return math.fsum((self.capex, self.fixed, self.variable, self.purchases, self.holding))

    @property
    def discounted(self) -> float:
        """total x the year's discount factor."""
        return self.total * self.discount_factor

    @property
    def over_budget(self) -> bool:
        """Optional lines' capex above the year's ceiling (1e-6 relative tolerance)."""
        if self.capex_budget is None:
            return False
        return self.capex_optional > self.capex_budget + 1e-6 * max(1.0, self.capex_budget)


def discount_factor(year: int, rate: float, base_year: int) -> float:
    """(1 + rate) ** -(year - base_year): 1 in the base year, < 1 after it for rate > 0."""
    if rate == 0.0:
        return 1.0
    return float((1.0 + rate) ** -(year - base_year))


def month_years(scenario: Scenario) -> npt.NDArray[np.int64]:
    """The calendar year of each month of the horizon."""
    start, n = scenario.horizon.start, scenario.horizon.months
    return np.array([int(month_name(k, start)[:4]) for k in range(n)], dtype=np.int64)


def learn_plan(scenario: Scenario, tables: PlanTables) -> dict[str, LineLearning]:
    """Every line's monthly good output (all items) priced down its learning curve."""
    start, n = scenario.horizon.start, scenario.horizon.months
    lines = scenario.all_lines()
    units = {lid: np.zeros(n) for lid in lines}
    for row in tables.production.records():
        units[row["line"]][month_index(row["month"], start)] += float(row["units"])
    return {lid: learn_line(lid, line.variable_cost_per_unit, line.learning_rate, units[lid])
            for lid, (_, line) in lines.items()}


@dataclass(frozen=True)
class LineOwnCost:
    """A line's fixed cost and capex within the horizon (from the plan's decisions)."""

    fixed: float
    capex: float
    optional_capex_by_month: FloatArray  # optional lines only: capex counted against the budget


def line_own_costs(scenario: Scenario, plan: PlanResult) -> dict[str, LineOwnCost]:
    """Fixed costs from online on and capex in its paying month, per built line, in the horizon."""
    start, n = scenario.horizon.start, scenario.horizon.months
    lines = scenario.all_lines()
    out: dict[str, LineOwnCost] = {}
    for lp in plan.lines:
        _, line = lines[lp.line]
        opt = np.zeros(n)
        fixed = capex = 0.0
        if lp.built and lp.online is not None:
            on = max(0, month_index(lp.online, start))
            fixed = line.fixed_cost_per_month * max(0, n - on)
            if lp.capex_month is not None and 0 <= (pay := month_index(lp.capex_month, start)) < n:
                capex = line.capex
                if lp.optional:
                    opt[pay] = line.capex
        out[lp.line] = LineOwnCost(fixed, capex, opt)
    return out


def cash_by_month(tables: PlanTables, learning: dict[str, LineLearning], n: int) -> dict[str, FloatArray]:
    """Cash per kind and month: the plan's costs with production replaced by learning-adjusted cost."""
    cols = {k: np.zeros(n) for k in ("capex", "purchases", "fixed", "holding")}
    for k, row in enumerate(tables.costs.rows):
        rec = dict(zip(tables.costs.columns, row, strict=True))
        for kind in cols:
            cols[kind][k] = float(rec[kind])
    variable = np.zeros(n)
    for ll in learning.values():
        variable += ll.cost
    return {"capex": cols["capex"], "fixed": cols["fixed"], "variable": variable,
            "purchases": cols["purchases"], "holding": cols["holding"]}


def cash_by_year(scenario: Scenario, cash: dict[str, FloatArray], optional_capex: FloatArray, *,
                 rate: float = 0.0, base_year: int | None = None) -> tuple[CashYear, ...]:
    """Sum the months into calendar years; budget and discount factor per year."""
    years = month_years(scenario)
    base = int(years[0]) if base_year is None else base_year
    budget = scenario.budget.capex_per_year if scenario.budget is not None else {}
    out = []
    for y in np.unique(years):
        sel = years == y
        parts = {k: math.fsum(cash[k][sel].tolist()) for k in KINDS}
        out.append(CashYear(
            year=int(y), **parts, capex_optional=math.fsum(optional_capex[sel].tolist()),
            capex_budget=budget.get(int(y)), discount_factor=discount_factor(int(y), rate, base),
        ))
    return tuple(out)
