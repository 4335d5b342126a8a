"""The plan's state, by name: its flows per month and its build decisions.

The outage model fixes every flow of the months before the reference month M
to the plan's values, so stores, pipelines (orders, output in acceptance,
deliveries in transit) and stockpiles at the start of M are the plan's. The
state is read either from a solve of the plan's own model (`from_solution`)
or from a `PlanResult`'s tables (`from_result`); both give the same keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bastion.plan.index import PlanIndex
from bastion.plan.model import LinearModel
from bastion.plan.result import PlanResult
from bastion.scenario.model import Scenario
from bastion.scenario.types import month_index

Key = tuple[str | int, ...]
# flow families fixed before M, and how each column is named
FLOWS = ("Line-production", "Supplier-order", "Customer-delivery", "Consumption-unmet")


def column_keys(ix: PlanIndex, model: LinearModel, family: str) -> list[Key]:
    """A name key per column of a flow family (ids and month), in column order."""
    b = model.vars[family]
    k = b.keys
    if family == "Line-production":
        return [(ix.lines[int(li)].id, ix.items[int(i)], int(m))
                for li, i, m in zip(k["line"], k["item"], k["month"], strict=True)]
    if family == "Supplier-order":
        return [(ix.supplies[int(j)].supplier, ix.items[ix.supplies[int(j)].item], ix.sites[int(s)],
                 int(m)) for j, s, m in zip(k["supply"], k["site"], k["month"], strict=True)]
    if family == "Customer-delivery":
        pp = ix.pile_pairs
        return [(ix.customers[int(pp[q, 0])], ix.items[int(pp[q, 1])], ix.sites[int(s)], int(m))
                for q, s, m in zip(k["pile"], k["site"], k["month"], strict=True)]
    if family == "Consumption-unmet":
        pp = ix.pile_pairs
        return [(ix.customers[int(pp[q, 0])], ix.items[int(pp[q, 1])], int(m))
                for q, m in zip(k["pile"], k["month"], strict=True)]
    raise KeyError(family)


@dataclass(frozen=True)
class PlanState:
    """Flow values by family and name key, and the month each line produces from (built lines)."""

    flows: dict[str, dict[Key, float]]
    online: dict[str, int]  # line id -> online month, for every line that is built

    @staticmethod
    def from_solution(ix: PlanIndex, model: LinearModel, x: np.ndarray,
                      built: dict[int, int]) -> PlanState:
        """From a solution vector of the plan's model (`built`: optional line -> online month)."""
        flows: dict[str, dict[Key, float]] = {}
        for fam in FLOWS:
            b = model.vars[fam]
            vals = np.maximum(0.0, x[b.start:b.start + b.size])
            flows[fam] = {key: float(v) for key, v in zip(column_keys(ix, model, fam), vals,
                                                          strict=True) if v > 1e-9}
        online = {ln.id: ln.online for ln in ix.lines if not ln.optional}
        online.update({ix.lines[li].id: k for li, k in built.items()})
        return PlanState(flows, online)

    @staticmethod
    def from_result(plan: PlanResult, start: str) -> PlanState:
        """From a PlanResult's tables and lines (the plan as `solve_plan` returned it)."""
        if plan.tables is None:
            raise ValueError("the plan has no solution (status "
                             f"{plan.status.value}): nothing to analyse")
        flows: dict[str, dict[Key, float]] = {f: {} for f in FLOWS}
        t = plan.tables
        for r in t.production.records():
            flows["Line-production"][(r["line"], r["item"], month_index(r["month"], start))] = \
                float(r["units"])
        for r in t.purchases.records():
            flows["Supplier-order"][(r["supplier"], r["item"], r["site"],
                                     month_index(r["month"], start))] = float(r["units"])
        for r in t.deliveries.records():
            flows["Customer-delivery"][(r["customer"], r["item"], r["site"],
                                        month_index(r["month"], start))] = float(r["units"])
        for r in t.stockpiles.records():
            if float(r["unmet"]) > 0:
                flows["Consumption-unmet"][(r["customer"], r["item"],
                                            month_index(r["month"], start))] = float(r["unmet"])
        online = {ln.line: month_index(ln.online, start) for ln in plan.lines
                  if ln.built and ln.online is not None}
        return PlanState(flows, online)


def full_rate_month(scenario: Scenario, online: dict[str, int]) -> int:
    """The first month in which every built line's ramp share is 1 (0 when none is built).

    share(m) = min(1, (m - m0 + 1) / (ramp + 1)) is 1 from m0 + ceil(ramp) on;
    lines that only come online after the horizon are left out; the month is
    clamped to the horizon.
    """
    n = scenario.horizon.months
    lines = scenario.all_lines()
    months = [max(0, m0) + math.ceil(lines[lid][1].ramp_months - 1e-12)
              for lid, m0 in online.items() if lid in lines and m0 < n]
    return min(max(months, default=0), n - 1)


def windowed(scenario: Scenario, months: int) -> Scenario:
    """The scenario over its first `months` months (targets after that are dropped)."""
    n = scenario.horizon.months
    if months >= n:
        return scenario
    start = scenario.horizon.start
    customers = {
        cid: c.model_copy(update={"targets": [t for t in c.targets
                                              if month_index(t.by, start) < months]})
        for cid, c in scenario.customers.items()
    }
    horizon = scenario.horizon.model_copy(update={"months": months})
    return scenario.model_copy(update={"horizon": horizon, "customers": customers})
