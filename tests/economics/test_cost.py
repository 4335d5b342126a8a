"""Cash by year, discounting and cost per delivered unit on a tiny solved plan."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math

import numpy as np
import pytest

from bastion.economics import CashYear, EconomicsSettings, discount_factor, economics, partial_sum
from bastion.economics.learning import learning_exponent
from bastion.scenario.types import month_index

from .conftest import solved


def test_cash_by_year_adds_up_to_the_total() -> None:
    sc, plan = solved()
    res = economics(sc, plan)
    assert [y.year for y in res.cash_by_year] == [2026, 2027, 2028]
    assert res.total_cost == math.fsum(y.total for y in res.cash_by_year)
    for y in res.cash_by_year:
        assert y.total == math.fsum((y.capex, y.fixed, y.variable, y.purchases, y.holding))
    assert plan.cost is not None
    parts = {k: math.fsum(getattr(y, k) for y in res.cash_by_year)
             for k in ("capex", "fixed", "purchases", "holding", "variable")}
    # learning changes only the variable cost
    for kind in ("capex", "fixed", "purchases", "holding"):
        assert parts[kind] == pytest.approx(getattr(plan.cost, kind), rel=1e-12)
    assert parts["variable"] < plan.cost.production
    assert res.first_unit_cost_total == pytest.approx(plan.cost.total)


def test_variable_cost_is_the_learning_sum() -> None:
    sc, plan = solved()
    res = economics(sc, plan)
    assert plan.tables is not None
    lines = sc.all_lines()
    expected = 0.0
    for lid in ("line-1", "line-2"):
        line = lines[lid][1]
        units = sum(r["units"] for r in plan.tables.production.records() if r["line"] == lid)
        expected += line.variable_cost_per_unit * partial_sum(units, learning_exponent(line.learning_rate))
    variable = math.fsum(y.variable for y in res.cash_by_year)
    assert variable == pytest.approx(expected, rel=1e-10)  # the lots telescope


def test_learning_rate_one_equals_the_plan() -> None:
    sc, plan = solved(1.0, 1.0)
    res = economics(sc, plan)
    assert plan.cost is not None and res.total_cost is not None
    assert res.total_cost == pytest.approx(plan.cost.total, rel=1e-12, abs=1e-6)
    assert math.fsum(y.variable for y in res.cash_by_year) == pytest.approx(plan.cost.production, rel=1e-12)
    assert res.to_json()["learning_saving"] == 0.0


def test_unit_cost_by_line_and_year() -> None:
    sc, plan = solved()
    res = economics(sc, plan)
    rows = [u for u in res.unit_cost if u.line == "line-1"]
    assert [u.year for u in rows] == sorted(u.year for u in rows)
    assert all(a.average_unit_cost > b.average_unit_cost for a, b in itertools.pairwise(rows))
    first = rows[0]
    assert first.cumulative_average == pytest.approx(first.average_unit_cost)
    assert rows[-1].last_unit_cost == pytest.approx(20 * rows[-1].cumulative_units ** learning_exponent(0.85))
    months = [m for m in res.by_month if m.line == "line-1"]
    assert months[-1].cumulative_average == pytest.approx(rows[-1].cumulative_average)


def test_discounting() -> None:
    sc, plan = solved()
    flat = economics(sc, plan, settings=EconomicsSettings(discount_rate=0.0))
    assert flat.total_cost_discounted == flat.total_cost
    assert all(y.discounted == y.total for y in flat.cash_by_year)
    res = economics(sc, plan, settings=EconomicsSettings(discount_rate=0.1))
    y26, y27, y28 = res.cash_by_year
    assert y26.discount_factor == 1.0 and y27.discount_factor == pytest.approx(1 / 1.1)
    by_hand = y26.total + y27.total / 1.1 + y28.total / 1.21
    assert res.total_cost_discounted == pytest.approx(by_hand, rel=1e-12)
    assert res.total_cost == flat.total_cost
    later = economics(sc, plan, settings=EconomicsSettings(discount_rate=0.1, price_base_year=2027))
    assert later.cash_by_year[0].discount_factor == pytest.approx(1.1)
    assert discount_factor(2030, 0.05, 2026) == pytest.approx(1.05**-4)


def test_budget_by_year() -> None:
    sc, plan = solved()
    res = economics(sc, plan)
    budgets = {y.year: y.capex_budget for y in res.cash_by_year}
    assert budgets == {2026: 0.0, 2027: 30000.0, 2028: None}
    y27 = res.cash_by_year[1]
    assert y27.capex_optional == 20000.0 and not y27.over_budget  # line-2 is optional
    assert res.cash_by_year[0].capex == 50000.0 and res.cash_by_year[0].capex_optional == 0.0
    over = dataclasses.replace(y27, capex_optional=30001.0)
    assert over.over_budget
    assert not CashYear(2030, 0, 0, 0, 0, 0, 5e9, None, 1.0).over_budget


def test_cost_per_delivered_unit_absorbs_every_pool() -> None:
    sc, plan = solved()
    res = economics(sc, plan)
    rows = res.cost_per_delivered_unit
    assert {(r.customer, r.item) for r in rows} == {("army", "shell"), ("navy", "shell")}
    for kind in ("variable", "purchases", "fixed", "capex"):
        pool = math.fsum(getattr(y, kind) for y in res.cash_by_year)
        assert math.fsum(getattr(r, kind) for r in rows) == pytest.approx(pool, rel=1e-12)
    # one item: every customer carries the same cost per unit
    assert rows[0].per_unit == pytest.approx(rows[1].per_unit)
    assert plan.tables is not None
    delivered = sum(r["units"] for r in plan.tables.deliveries.records())
    holding = math.fsum(y.holding for y in res.cash_by_year)
    assert res.total_cost is not None
    assert rows[0].per_unit * delivered == pytest.approx(res.total_cost - holding, rel=1e-12)


def test_json_and_simulated_paths() -> None:
    sc, plan = solved()
    n = 1000
    rng = np.random.default_rng(0)
    months = rng.integers(15, 24, (n, len(plan.targets)))
    months[:50, 0] = -1
    res = economics(sc, plan, sim_costs=rng.normal(1.2e5, 5e3, n), sim_months=months)
    obj = res.to_json()
    json.dumps(obj, allow_nan=False)
    for key in ("unit_cost", "cash_by_year", "total_cost", "jcl"):
        assert key in obj
    assert set(obj["unit_cost"][0]) >= {"line", "year", "units", "average_unit_cost"}
    assert set(obj["cash_by_year"][0]) >= {"year", "capex", "fixed", "variable", "purchases",
                                           "holding", "total", "capex_budget"}
    j = obj["jcl"]
    assert j["p70_month"] is not None and j["p70_cost"] is not None and j["p70_probability"] >= 0.7
    assert 0 <= month_index(j["p70_month"], sc.horizon.start) < 24
    assert j["reached_share"] == pytest.approx(0.95)
    curve = [p["cost"] for p in j["s_curves"]["cost"]]
    assert curve == sorted(curve)
    assert obj["total_cost"] == round(res.total_cost or 0, 2)
    other = economics(sc, plan, sim_costs=rng.normal(1.2e5, 5e3, n), sim_months=months,
                      settings=EconomicsSettings(confidence_level=0.8))
    assert other.jcl is not None and other.jcl.level == 0.8 and other.jcl_p70 is not None
    assert other.jcl_p70.level == 0.7
    none = economics(sc, plan)
    assert none.to_json()["jcl"] is None and none.notes


def test_no_plan_gives_notes_not_numbers() -> None:
    sc, plan = solved()
    res = economics(sc, dataclasses.replace(plan, tables=None, cost=None))
    assert res.total_cost is None and res.cash_by_year == ()
    assert any("no plan" in n for n in res.notes)
    json.dumps(res.to_json(), allow_nan=False)


def test_settings_are_strict() -> None:
    with pytest.raises(ValueError):
        EconomicsSettings(discount_rate=-0.1)
    with pytest.raises(ValueError):
        EconomicsSettings.model_validate({"discount_rate": 0.0, "base": 2026})
    s = EconomicsSettings.model_validate({"discount_rate": 0.03, "price_base_year": 2026})
    assert s.confidence_level == 0.7
