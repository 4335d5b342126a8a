"""Hand-solvable scenarios with exact answers (SCENARIO.md, "Meaning, month by month")."""

from __future__ import annotations

import pytest

from bastion.plan import SolveStatus

from .conftest import PRIORITIES, plan

HEAD = """
bastion: 1
name: t
horizon: {start: "2026-01", months: 12}
"""


def test_one_line_one_customer() -> None:
    r = plan(HEAD + """
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 100, variable_cost_per_unit: 2}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-06", units: 1000}]}
""")
    assert r.status is SolveStatus.OPTIMAL
    (t,) = r.targets
    assert t.planned_units == pytest.approx(600)
    assert not t.met and t.met_month is None
    assert t.shortfall == pytest.approx(400)
    assert r.cost is not None and r.cost.production == pytest.approx(1200)
    assert r.first_output == "2026-01"
    assert r.short
    assert r.explanations and "line-1 capacity binds from 2026-01" in r.explanations[0].text
    # the least extra line capacity: 6 months x (100 + d) >= 1000 -> d >= 66.7, rounded up to 67
    assert "+67 a month of line-1 capacity (from 100 to 167) from 2026-01 meets it" in r.explanations[0].text


def test_ramp_rule() -> None:
    # online month 2, ramp 2: shares 1/3, 2/3, 1 -> 40 + 80 + 120 by month 4
    r = plan(HEAD + """
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 120, online: "2026-03", ramp_months: 2}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-05", units: 1000}]}
""")
    assert r.targets[0].planned_units == pytest.approx(240)
    assert r.first_output == "2026-03"
    assert r.lines[0].online == "2026-03"


def test_lead_time_and_supplier_capacity() -> None:
    # orders in months 0..3 arrive 2..5: 4 x 50; acceptance 1 month -> output of 0..4 only
    r = plan(HEAD + """
items:
  shell: {made: true, bom: {case: 1}}
  case: {made: false}
suppliers:
  sup: {country: LV, supplies: {case: {price: 3, lead_time_months: 2, capacity_per_month: 50}}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 1000, acceptance_months: 1}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-06", units: 1000}]}
""")
    # components arrive months 2..5, made 2..4 accepted 3..5: orders placed 0..2 -> 150
    assert r.targets[0].planned_units == pytest.approx(150)
    assert r.cost is not None and r.cost.purchases == pytest.approx(450)
    text = r.explanations[0].text
    assert "sup capacity for case binds from 2026-01" in text
    # orders of months 0..2 count: 3 x (50 + d) >= 1000 -> d >= 283.3, rounded up to 290
    assert "+290 case a month from sup (from 50 to 340) from 2026-01 meets it" in text


def test_scrap() -> None:
    # 2 per good unit / (1 - 0.2) = 2.5 components; 1000 in store -> 400 good units
    r = plan(HEAD + """
items:
  shell: {made: true, bom: {case: 2}, scrap_rate: 0.2}
  case: {made: false}
sites:
  plant:
    country: LV
    initial_store: {case: 1000}
    lines: {line-1: {makes: [shell], capacity_per_month: 1000}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-12", units: 1000}]}
""")
    assert r.targets[0].planned_units == pytest.approx(400)
    assert r.tables is not None
    used = sum(row[6] for row in r.tables.stores.rows if row[2] == "case")
    assert used == pytest.approx(1000)


def test_priority_decides() -> None:
    r = plan(PRIORITIES)
    by = {t.customer: t for t in r.targets}
    assert by["first"].met and by["first"].planned_units == pytest.approx(400)
    assert by["second"].planned_units == pytest.approx(200)
    assert [lv.target_shortfall for lv in r.levels] == pytest.approx([0, 300], abs=1e-5)


OPTIONAL = HEAD + """
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines:
      old: {makes: [shell], capacity_per_month: 0}
      new: {makes: [shell], capacity_per_month: 100, optional: true, build_months: 2,
            capex: 1000000, fixed_cost_per_month: 10}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-12", units: 900}]}
"""


def test_optional_line_needed() -> None:
    r = plan(OPTIONAL)
    new = {ln.line: ln for ln in r.lines}["new"]
    # online month 3 (the latest that still gives 9 x 100), capex paid month 1
    assert new.built and new.online == "2026-04" and new.capex_month == "2026-02"
    assert r.targets[0].met and r.targets[0].met_month == "2026-12"
    assert r.cost is not None
    assert r.cost.capex == pytest.approx(1e6) and r.cost.fixed == pytest.approx(90)
    assert not r.short


def test_budget_forbids_optional_line() -> None:
    r = plan(OPTIONAL + "budget: {capex_per_year: {2026: 500000}}\n")
    new = {ln.line: ln for ln in r.lines}["new"]
    assert not new.built and new.online is None
    assert r.targets[0].shortfall == pytest.approx(900)
    assert r.first_output == "2026-01"  # the mandatory (zero-capacity) line
    text = r.explanations[0].text
    assert "building new (online" in text and "the 2026 capex budget is 500k EUR short" in text
    assert r.explanations[0].relaxations["budget"] == pytest.approx(0, abs=1e-6)
    assert any(s.kind == "budget" for s in r.sensitivity)


def test_initial_stock_and_consumption() -> None:
    # 100 in stock, 30/month from 2026-02 (month 1): months 1..3 use 90, then 10 + 20 unmet, ...
    # (a holding cost makes the timing of the unmet units unique: stock is used first)
    r = plan(HEAD.replace("months: 12", "months: 6") + """
items: {shell: {made: true, holding_cost_per_month: 0.1}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 0}}
customers:
  army:
    country: LV
    initial_stock: {shell: 100}
    consumption: {shell: {"2026-02": 30}}
""")
    assert r.unmet_consumption == pytest.approx(50)
    assert r.short
    assert r.tables is not None
    closing = [row[-1] for row in r.tables.stockpiles.rows]
    assert closing == pytest.approx([100, 70, 40, 10, 0, 0])
    assert "consumption short by 50" in r.explanations[0].text


def test_milestone_online_month() -> None:
    # a programme task of mode 5.5 months finishes at 5.5 -> output from month 6
    r = plan(HEAD + """
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 10, online: {milestone: sat}}}
programme:
  tasks: {sat: {duration_months: [4, 5.5, 9]}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-12", units: 100}]}
""")
    assert r.lines[0].online == "2026-07"
    assert r.first_output == "2026-07"
    assert r.targets[0].planned_units == pytest.approx(60)


def test_zero_capacity_everywhere_is_explained() -> None:
    r = plan(HEAD + """
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 0}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-12", units: 100}]}
""")
    assert r.status is SolveStatus.OPTIMAL and r.short
    assert "line-1 produces nothing before 2026-12" in r.explanations[0].text
