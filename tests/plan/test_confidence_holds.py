"""Cumulative deliveries held per route (index.py `DeliveryHold`, levels.py `held_deliveries`):
the buffer route holds the deliveries of the priority levels it has done while it searches the
lower ones (issue 15, docs/method-confidence.md "The buffer route")."""

from __future__ import annotations

import pytest

from bastion.online import line_online_months
from bastion.plan import PlanResult, solve_plan
from bastion.plan.build import build_model
from bastion.plan.confidence.levels import held_deliveries
from bastion.plan.index import build_index

from .conftest import scenario

TWO = """
bastion: 1
name: two customers share one exactly tight line
horizon: {start: "2026-01", months: 12}
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 100}}
customers:
  first: {country: LV, priority: 1, targets: [{item: shell, by: "2026-12", units: 600}]}
  second: {country: EE, priority: 2, targets: [{item: shell, by: "2026-12", units: 600}]}
"""


def _sent(plan: PlanResult, customer: str) -> list[float]:
    """Units sent to `customer` per month (12 months; holds are met within 1e-6 x units)."""
    out = [0.0] * 12
    assert plan.tables is not None
    for r in plan.tables.deliveries.records():
        if r["customer"] == customer:
            out[int(str(r["month"])[5:7]) - 1] += float(r["units"])
    return out


def test_the_deterministic_plan_delivers_priority_1_first_and_holds_nothing() -> None:
    """1,200 units from a 100-a-month line: the tie-break sends months 1-6 to priority 1, months
    7-12 to priority 2; without holds the model has no hold rows (the deterministic plan)."""
    sc = scenario(TWO)
    det = solve_plan(sc, explain=False, sensitivity=False)
    assert _sent(det, "first") == pytest.approx([100.0] * 6 + [0.0] * 6, abs=1e-3)
    assert _sent(det, "second") == pytest.approx([0.0] * 6 + [100.0] * 6, abs=1e-3)
    assert "Delivery-hold" not in build_model(build_index(sc, line_online_months(sc))).rows
    ((site, cust, item, cum, exact),) = held_deliveries(sc, det, {"first"})
    assert (site, cust, item, exact) == ("plant", "first", "shell", False)
    assert cum == pytest.approx([100.0 * k for k in range(1, 7)] + [600.0] * 6, abs=1e-6)


def test_an_exact_hold_fixes_the_route_and_the_rest_follows() -> None:
    """Priority 1's cumulative deliveries held exactly at 0 to June, then 100 a month: the
    line's first six months can only go to priority 2; both targets are still met."""
    sc = scenario(TWO)
    cum = tuple([0.0] * 6 + [100.0 * k for k in range(1, 7)])
    plan = solve_plan(sc, explain=False, sensitivity=False,
                      deliveries=(("plant", "first", "shell", cum, True),))
    assert _sent(plan, "first") == pytest.approx([0.0] * 6 + [100.0] * 6, abs=1e-3)
    assert _sent(plan, "second") == pytest.approx([100.0] * 6 + [0.0] * 6, abs=1e-3)
    assert all(t.met for t in plan.targets)


def test_a_floor_is_a_lower_bound_and_an_exact_hold_also_an_upper_one() -> None:
    """At least 300 to priority 1 by the end of March: the tie-break still sends it the line's
    output as it comes (100 a month to June; the floor holds it back from nothing). Exactly 0
    to February and 300 by March: the January and February output waits in the plant's store
    and goes to priority 1 in March with March's; held exactly at 300 to the end, priority 1
    gets nothing more (300 short) and priority 2 its 600."""
    sc = scenario(TWO)
    cum = tuple([0.0, 0.0, 300.0] + [300.0] * 9)
    floor = solve_plan(sc, explain=False, sensitivity=False,
                       deliveries=(("plant", "first", "shell", cum, False),))
    assert _sent(floor, "first") == pytest.approx([100.0] * 6 + [0.0] * 6, abs=1e-3)
    exact = solve_plan(sc, explain=False, sensitivity=False,
                       deliveries=(("plant", "first", "shell", cum, True),))
    assert _sent(exact, "first") == pytest.approx([0.0, 0.0, 300.0] + [0.0] * 9, abs=1e-3)
    assert [t.shortfall for t in exact.targets] == pytest.approx([300.0, 0.0], abs=1e-3)


def test_a_floor_that_binds_moves_the_deliveries() -> None:
    """At least 100 a month to priority 2 from January: the tie-break can no longer send the first
    six months to priority 1; priority 2 gets them (held within 1e-6 x units) and priority 1 the
    last six; both targets are still met."""
    sc = scenario(TWO)
    cum = tuple([100.0 * k for k in range(1, 7)] + [600.0] * 6)
    plan = solve_plan(sc, explain=False, sensitivity=False,
                      deliveries=(("plant", "second", "shell", cum, False),))
    assert _sent(plan, "second") == pytest.approx([100.0] * 6 + [0.0] * 6, abs=1e-3)
    assert _sent(plan, "first") == pytest.approx([0.0] * 6 + [100.0] * 6, abs=1e-3)
    assert all(t.met for t in plan.targets)


def test_a_route_the_model_has_not_is_an_error() -> None:
    sc = scenario(TWO)
    with pytest.raises(ValueError, match="none can be held"):
        solve_plan(sc, explain=False, sensitivity=False,
                   deliveries=(("plant", "nobody", "shell", (1.0,), False),))


MIP = TWO.replace(
    "lines: {line-1: {makes: [shell], capacity_per_month: 100}}",
    "lines: {line-1: {makes: [shell], capacity_per_month: 100},\n"
    "           line-2: {makes: [shell], capacity_per_month: 50, optional: true,"
    " capex: 1000}}")


def test_a_production_hold_fixes_the_line_months_held() -> None:
    """Production held exactly at 0, 100, 200 cumulative for January to March on line-1: the
    line makes nothing in January; the optional line-2 (50 a month, capex 1,000: a MIP) is
    built to make up the 100 (which line makes the rest costs the same), both targets met."""
    sc = scenario(MIP)
    plan = solve_plan(sc, explain=False, sensitivity=False,
                      production=(("line-1", "shell", (0.0, 100.0, 200.0)),))
    assert plan.status.has_solution and plan.tables is not None
    made = {"line-1": [0.0] * 12, "line-2": [0.0] * 12}
    for r in plan.tables.production.records():
        made[str(r["line"])][int(str(r["month"])[5:7]) - 1] += float(r["units"])
    assert made["line-1"][:3] == pytest.approx([0.0, 100.0, 100.0], abs=1e-3)
    assert sum(made["line-1"]) + sum(made["line-2"]) >= 1200.0 - 1e-3  # no cost to make more
    assert [ln.built for ln in plan.lines] == [True, True]
    assert all(t.met for t in plan.targets)
    with pytest.raises(ValueError, match="no production can be held"):
        solve_plan(sc, explain=False, sensitivity=False,
                   production=(("line-9", "shell", (0.0,)),))
