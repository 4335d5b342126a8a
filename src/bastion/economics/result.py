"""The economics result: frozen dataclasses and the JSON object of ARCHITECTURE.md."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bastion.economics.allocation import DeliveredCost
from bastion.economics.cost import CashYear
from bastion.economics.jcl import JclResult
from bastion.economics.settings import EconomicsSettings
from bastion.jsonfmt import money as _m
from bastion.jsonfmt import quantity as _u  # unit costs: 4 decimals, as quantities
from bastion.scenario.types import month_name


@dataclass(frozen=True)
class UnitCostYear:
    """One line's output and learning-adjusted variable unit cost in one calendar year."""

    line: str
    year: int
    units: float
    average_unit_cost: float  # the year's variable cost / its units
    cumulative_units: float  # by the end of the year
    cumulative_average: float  # average over every unit made so far
    last_unit_cost: float  # the cost of the last unit made by the end of the year


@dataclass(frozen=True)
class LineMonth:
    """One line's learning in one month with output."""

    line: str
    month: str
    units: float
    lot_average: float
    cumulative_units: float
    cumulative_average: float


@dataclass(frozen=True)
class EconomicsResult:
    """Learning-adjusted cost of the plan, cash by year, cost per delivered unit and the JCL."""

    classification: str
    currency: str
    start: str  # horizon start, to name JCL months
    settings: EconomicsSettings
    plan_status: str
    notes: tuple[str, ...]
    unit_cost: tuple[UnitCostYear, ...]
    by_month: tuple[LineMonth, ...]
    cash_by_year: tuple[CashYear, ...]
    first_unit_cost_total: float | None  # the plan's own cost (variable at first-unit cost)
    cost_per_delivered_unit: tuple[DeliveredCost, ...]
    jcl: JclResult | None
    jcl_p70: JclResult | None  # at 0.70 for the `p70_*` keys (same object when level is 0.70)
    jcl_by_target: tuple[tuple[str, str, str, JclResult], ...] = ()  # (customer, item, by, JCL at 0.70)

    @property
    def total_cost(self) -> float | None:
        """Learning-adjusted cost over the horizon: exactly the sum of the years' totals."""
        if not self.cash_by_year:
            return None
        return math.fsum(y.total for y in self.cash_by_year)

    @property
    def total_cost_discounted(self) -> float | None:
        """Sum of the years' discounted totals (price base year's money)."""
        if not self.cash_by_year:
            return None
        return math.fsum(y.discounted for y in self.cash_by_year)

    @property
    def base_year(self) -> int | None:
        """The price base year used for discounting."""
        if self.settings.price_base_year is not None:
            return self.settings.price_base_year
        return int(self.start[:4])

    def month(self, index: float | None) -> str | None:
        """The "YYYY-MM" of a (possibly fractional) month index."""
        return None if index is None else month_name(math.floor(index + 1e-9), self.start)

    def _jcl_targets_json(self) -> list[dict[str, Any]]:
        return [
            {
                "customer": customer,
                "item": item,
                "by": by,
                "p70_month": self.month(j.month),
                "p70_cost": _m(j.cost),
                "probability": j.probability,
                "reached_share": j.reached_share,
            }
            for customer, item, by, j in self.jcl_by_target
        ]

    def _jcl_json(self) -> dict[str, Any] | None:
        j, j70 = self.jcl, self.jcl_p70
        if j is None or j70 is None:
            return None
        qs = [k / 20 for k in range(1, 21)]  # the least cost with P(cost <= C) >= q
        costs = j.cost_curve[0]
        return {
            "p70_month": self.month(j70.month),
            "p70_cost": _m(j70.cost),
            "p70_probability": j70.probability,
            "level": j.level,
            "month": self.month(j.month),
            "cost": _m(j.cost),
            "probability": j.probability,
            "paths": j.paths,
            "reached_share": j.reached_share,
            "marginal": {"month": self.month(j.marginal_month), "cost": _m(j.marginal_cost)},
            "frontier": [{"month": self.month(d), "cost": _m(c)} for d, c in j.frontier],
            "surface": {
                "months": [self.month(d) for d in j.month_grid],
                "costs": [_m(c) for c in j.cost_grid],
                "probability": [[round(float(p), 6) for p in row] for row in j.surface],
            },
            "s_curves": {
                "cost": [
                    {"probability": q, "cost": _m(float(costs[max(0, math.ceil(q * len(costs)) - 1)]))} for q in qs
                ]
                if len(costs)
                else [],
                "schedule": [
                    {"month": self.month(float(d)), "probability": round(float(p), 6)}
                    for d, p in zip(*j.schedule_curve, strict=True)
                ],
            },
        }

    def to_json(self) -> dict[str, Any]:
        """The economics JSON object (ARCHITECTURE.md keys plus extras)."""
        total, first = self.total_cost, self.first_unit_cost_total
        return {
            "classification": self.classification,
            "currency": self.currency,
            "plan_status": self.plan_status,
            "notes": list(self.notes),
            "unit_cost": [
                {
                    "line": u.line,
                    "year": u.year,
                    "units": round(u.units, 4),
                    "average_unit_cost": _u(u.average_unit_cost),
                    "cumulative_units": round(u.cumulative_units, 4),
                    "cumulative_average": _u(u.cumulative_average),
                    "last_unit_cost": _u(u.last_unit_cost),
                }
                for u in self.unit_cost
            ],
            "cash_by_year": [
                {
                    "year": y.year,
                    "capex": _m(y.capex),
                    "fixed": _m(y.fixed),
                    "variable": _m(y.variable),
                    "purchases": _m(y.purchases),
                    "holding": _m(y.holding),
                    "total": _m(y.total),
                    "capex_budget": _m(y.capex_budget),
                    "capex_optional": _m(y.capex_optional),
                    "over_budget": y.over_budget,
                    "discount_factor": round(y.discount_factor, 10),
                    "discounted_total": _m(y.discounted),
                }
                for y in self.cash_by_year
            ],
            "total_cost": _m(total),
            "total_cost_discounted": _m(self.total_cost_discounted),
            "discount_rate": self.settings.discount_rate,
            "price_base_year": self.base_year,
            "first_unit_cost_total": _m(first),
            "learning_saving": _m(first - total) if first is not None and total is not None else None,
            "cumulative_average_by_month": [
                {
                    "line": r.line,
                    "month": r.month,
                    "units": round(r.units, 4),
                    "lot_average": _u(r.lot_average),
                    "cumulative_units": round(r.cumulative_units, 4),
                    "cumulative_average": _u(r.cumulative_average),
                }
                for r in self.by_month
            ],
            "cost_per_delivered_unit": [
                {
                    "customer": d.customer,
                    "item": d.item,
                    "units": round(d.units, 4),
                    "variable": _m(d.variable),
                    "purchases": _m(d.purchases),
                    "fixed": _m(d.fixed),
                    "capex": _m(d.capex),
                    "total": _m(d.total),
                    "per_unit": _u(d.per_unit),
                }
                for d in self.cost_per_delivered_unit
            ],
            "jcl": self._jcl_json(),
            "jcl_by_target": self._jcl_targets_json(),
        }
