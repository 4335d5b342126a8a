"""Cost per unit delivered to each customer: full absorption of the horizon's spend.

Each pool (learning-adjusted variable, fixed, capex, purchases) over the
horizon is shared among the (customer, item) deliveries in proportion to
units x the item's rolled-up standard cost of that kind:
- a line's pool per good unit = its horizon cost / its horizon output (all items);
- a made item's standard cost = the output-weighted average over the lines
  that made it + sum over its bom of qty / (1 - scrap) x the component's;
- a bought item's purchase cost = average price paid (cheapest listed if
  never bought in the horizon).
The shares add up to each pool exactly; holding is not allocated (reported
as such). See docs/method-economics.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bastion.economics.cost import LineOwnCost
from bastion.economics.learning import LineLearning
from bastion.plan.tables import PlanTables
from bastion.scenario.model import Scenario

ALLOCATED = ("variable", "purchases", "fixed", "capex")


@dataclass(frozen=True)
class DeliveredCost:
    """The spend carried by one customer's deliveries of one item over the horizon."""

    customer: str
    item: str
    units: float
    variable: float
    purchases: float
    fixed: float
    capex: float

    @property
    def total(self) -> float:
        """All allocated kinds."""
        return math.fsum((self.variable, self.purchases, self.fixed, self.capex))

    @property
    def per_unit(self) -> float:
        """total / units delivered."""
        return self.total / self.units if self.units > 0 else math.nan


def standard_costs(scenario: Scenario, tables: PlanTables, learning: dict[str, LineLearning],
                   own: dict[str, LineOwnCost]) -> dict[str, dict[str, float]]:
    """item -> kind -> rolled-up standard cost per good unit (weights of the allocation)."""
    rate: dict[str, dict[str, float]] = {}
    for lid, ll in learning.items():
        u = float(ll.units.sum())
        oc = own.get(lid, LineOwnCost(0.0, 0.0, ll.units * 0))
        rate[lid] = ({"variable": float(ll.cost.sum()) / u, "fixed": oc.fixed / u, "capex": oc.capex / u}
                     if u > 0 else {"variable": 0.0, "fixed": 0.0, "capex": 0.0})
    made_on: dict[str, dict[str, float]] = {}
    for row in tables.production.records():
        d = made_on.setdefault(row["item"], {})
        d[row["line"]] = d.get(row["line"], 0.0) + float(row["units"])
    paid: dict[str, list[float]] = {}
    for row in tables.purchases.records():
        p = paid.setdefault(row["item"], [0.0, 0.0])
        p[0] += float(row["cost"])
        p[1] += float(row["units"])
    memo: dict[str, dict[str, float]] = {}

    def roll(item_id: str) -> dict[str, float]:
        if item_id in memo:
            return memo[item_id]
        item = scenario.items[item_id]
        w = dict.fromkeys(ALLOCATED, 0.0)
        if item.made:
            lines = made_on.get(item_id, {})
            units = sum(lines.values())
            for lid, q in lines.items():
                for kind, r in rate[lid].items():
                    w[kind] += r * q / units
            for comp, qty in item.bom.items():
                cw = roll(comp)
                for kind in ALLOCATED:
                    w[kind] += qty / (1.0 - item.scrap_rate) * cw[kind]
        else:
            p = paid.get(item_id)
            prices = [s.supplies[item_id].price for s in scenario.suppliers.values()
                      if item_id in s.supplies]
            w["purchases"] = p[0] / p[1] if p and p[1] > 0 else min(prices, default=0.0)
        memo[item_id] = w
        return w

    return {i: roll(i) for i in scenario.items}


def delivered_costs(scenario: Scenario, tables: PlanTables, learning: dict[str, LineLearning],
                    own: dict[str, LineOwnCost], pools: dict[str, float]) -> tuple[DeliveredCost, ...]:
    """Share each pool among the (customer, item) deliveries (see the module's rule)."""
    units: dict[tuple[str, str], float] = {}
    for row in tables.deliveries.records():
        key = (row["customer"], row["item"])
        units[key] = units.get(key, 0.0) + float(row["units"])
    units = {k: v for k, v in units.items() if v > 0}
    if not units:
        return ()
    std = standard_costs(scenario, tables, learning, own)
    total_units = sum(units.values())
    alloc: dict[tuple[str, str], dict[str, float]] = {k: {} for k in units}
    for kind in ALLOCATED:
        weight = {k: q * std[k[1]][kind] for k, q in units.items()}
        denom = sum(weight.values())
        for k, q in units.items():
            share = weight[k] / denom if denom > 0 else q / total_units
            alloc[k][kind] = pools[kind] * share
    return tuple(DeliveredCost(c, i, units[(c, i)], **alloc[(c, i)]) for c, i in sorted(units))
