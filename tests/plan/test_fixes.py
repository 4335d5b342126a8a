"""What fixes a short target: the least change of one limit, by bisection (plan/fixes.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.plan.fixes import nice_up, nicest

from .conftest import plan

HEAD = """
bastion: 1
name: t
horizon: {start: "2026-01", months: 12}
"""


def test_line_capacity_fix_is_the_least_that_meets() -> None:
    r = plan(HEAD + """
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 100}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-06", units: 1000}]}
""")
    (e,) = r.explanations
    (f,) = e.fixes
    assert (f.kind, f.node, f.unit, f.from_month) == ("line_capacity", "line-1", "units/month", "2026-01")
    assert f.current == 100 and f.change == 67  # 6 x (100 + d) >= 1000: d >= 66.67
    assert "ten times" not in e.text and "unlimited" not in e.text
    fixed = plan(HEAD + """
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 167}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-06", units: 1000}]}
""")
    assert fixed.targets[0].met


def test_online_earlier_fix_in_whole_months() -> None:
    # online 2026-05 (month 4), 100 a month: months 4..5 give 200 of 400 by 2026-06; the line
    # must be online by month 2 (2026-03), 2 months earlier. Line capacity: 2 x (100 + d) >= 400.
    r = plan(HEAD + """
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 100, online: "2026-05"}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-06", units: 400}]}
""")
    (e,) = r.explanations
    by_kind = {f.kind: f for f in e.fixes}
    online = by_kind["line_online"]
    assert (online.change, online.from_month, online.current) == (2, "2026-03", 4)
    assert "line-1 online in 2026-03 instead of 2026-05 (2 months earlier) meets it" in e.text
    cap = by_kind["line_capacity"]
    assert cap.change == 100 and cap.from_month == "2026-05"


def test_fix_is_needed_from_the_month_the_supplier_binds() -> None:
    # 600 in store cover months 0..5 at 100 a month; the supplier's 50 a month binds from the month
    # the store runs dry. 12 months x 100 = 1200 = 600 + 12 x 50: met; target 1500 by month 11.
    r = plan(HEAD + """
items:
  shell: {made: true, bom: {case: 1}}
  case: {made: false}
suppliers:
  sup: {country: LV, supplies: {case: {price: 1, capacity_per_month: 50}}}
sites:
  plant:
    country: LV
    initial_store: {case: 600}
    lines: {line-1: {makes: [shell], capacity_per_month: 1000}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-12", units: 1500}]}
""")
    (e,) = r.explanations
    (f,) = [f for f in e.fixes if f.kind == "supplier_capacity"]
    assert (f.node, f.item, f.current) == ("sup", "case", 50)
    assert f.change == 25  # 600 + 12 x (50 + d) >= 1500: d >= 25
    assert f.from_month == "2026-01"


def test_met_targets_have_no_fixes() -> None:
    r = plan(HEAD + """
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 100}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-06", units: 500}]}
""")
    assert r.explanations == ()


@given(st.floats(min_value=1e-3, max_value=1e9, allow_nan=False))
@settings(max_examples=200)
def test_nice_up_rounds_up_by_at_most_five_percent(v: float) -> None:
    up = nice_up(v)
    assert v * (1 - 1e-9) <= up <= v * 1.05 + 1e-12
    assert up == pytest.approx(float(f"{up:.3g}"))


@given(st.floats(min_value=1e-3, max_value=1e9), st.floats(min_value=1e-6, max_value=2.0))
def test_nicest_lies_in_the_interval(lo: float, width: float) -> None:
    hi = lo * (1 + width)
    c = nicest(lo, hi)
    assert lo < c <= hi
    assert nicest(99.2, 101.5) == 100 and nicest(24.3, 25.9) == 25 and nicest(0, 66.9) == 10


def test_limits_that_bind_together_are_raised_together() -> None:
    # line and supplier both cap output at 100 a month: neither raised alone meets 900 by month 5;
    # both raised by the same share do: 6 x 100 x (1 + f) >= 900 -> f >= 50%.
    r = plan(HEAD + """
items:
  shell: {made: true, bom: {case: 1}}
  case: {made: false}
suppliers:
  sup: {country: LV, supplies: {case: {price: 1, capacity_per_month: 100}}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 100}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-06", units: 900}]}
""")
    (e,) = r.explanations
    (f,) = e.fixes
    assert (f.kind, f.unit, f.change) == ("together", "%", 50)
    assert set(f.node.split("+")) == {"sup/case", "line-1"}
    assert "sup case +50 a month (from 100)" in f.text and "line-1 +50 a month (from 100)" in f.text


def test_consumption_short_gets_a_fix_too() -> None:
    # 50 a month from the line against 80 a month of consumption: +30 a month from 2026-01
    r = plan(HEAD + """
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 50}}
customers:
  army: {country: LV, consumption: {shell: 80}}
""")
    (e,) = r.explanations
    assert e.by is None
    (f,) = e.fixes
    assert (f.kind, f.node, f.change, f.from_month) == ("line_capacity", "line-1", 30, "2026-01")
    assert "+30 a month of line-1 capacity (from 50 to 80) from 2026-01 meets it" in e.text
