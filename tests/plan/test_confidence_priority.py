"""Priority under uncertainty (issue 15, item 6): among plans of equal cost, deliveries go to
higher priorities first, so a higher-priority customer's P(met) is never below a lower one's
for the same item and date."""

from __future__ import annotations

import pytest

from bastion.plan import solve_plan
from bastion.simulate import simulate

from .conftest import scenario

TWO_CUSTOMERS = """
bastion: 1
name: two customers, one disrupted source, no margin
horizon: {start: "2026-01", months: 12}
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines:
      line-1:
        makes: [shell]
        capacity_per_month: 100
        variable_cost_per_unit: 10
        outage: {rate_per_year: 1, recovery_months: [1, 1, 1]}
customers:
  low: {country: LV, priority: 2, targets: [{item: shell, by: "2026-12", units: 600}]}
  high: {country: EE, priority: 1, targets: [{item: shell, by: "2026-12", units: 600}]}
"""


def _cumulative(plan, customer: str) -> list[float]:  # type: ignore[no-untyped-def]
    assert plan.tables is not None
    by_month = [0.0] * 12
    for row in plan.tables.deliveries.records():
        if row["customer"] == customer:
            by_month[int(row["month"][5:7]) - 1] += float(row["units"])
    out, total = [], 0.0
    for v in by_month:
        total += v
        out.append(total)
    return out


def test_higher_priority_is_delivered_first_at_equal_cost() -> None:
    sc = scenario(TWO_CUSTOMERS)
    plan = solve_plan(sc, explain=False, sensitivity=False)
    assert plan.cost is not None and plan.cost.production == pytest.approx(12_000.0)
    assert all(t.met for t in plan.targets)
    high, low = _cumulative(plan, "high"), _cumulative(plan, "low")
    # the one month of supply that reaches each customer: priority 1 gets the first six
    assert high[5] == pytest.approx(600.0, abs=1e-6) and low[5] == pytest.approx(0.0, abs=1e-6)
    assert low[11] == pytest.approx(600.0)


def test_higher_priority_probability_is_never_lower() -> None:
    sc = scenario(TWO_CUSTOMERS)
    plan = solve_plan(sc, explain=False, sensitivity=False)
    sim = simulate(sc, plan, paths=4096, seed=7)
    p = {t.customer: t for t in sim.targets}
    # P(no outage touches the year) = exp(-1) ~ 0.37 for the customer served last; the first
    # one is met unless outages take more than six months of supply (hardly ever)
    assert p["high"].probability >= p["low"].probability
    assert p["high"].probability > 0.95
    assert p["low"].probability == pytest.approx(0.37, abs=0.04)
