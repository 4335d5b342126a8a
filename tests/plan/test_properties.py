"""Property tests: monotone in capacity and budget, stocks never negative, balances close."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.plan import PlanResult, solve_plan

from .conftest import scenario

TEMPLATE = """
bastion: 1
name: prop
horizon: {{start: "2026-01", months: 10}}
items:
  shell: {{made: true, bom: {{case: 1, fill: 0.5}}, scrap_rate: 0.1, holding_cost_per_month: 0.01}}
  case: {{made: false, holding_cost_per_month: 0.01}}
  fill: {{made: true}}
suppliers:
  sup:
    country: LV
    supplies: {{case: {{price: 1, lead_time_months: {lead}, capacity_per_month: {sup_cap}}}}}
sites:
  plant:
    country: LV
    initial_store: {{case: {store}}}
    lines:
      a: {{makes: [shell], capacity_per_month: {cap_a}, ramp_months: {ramp}, acceptance_months: 1}}
      b: {{makes: [fill, shell], capacity_per_month: {cap_b}}}
      c: {{makes: [shell], capacity_per_month: {cap_c}, optional: true, build_months: 2,
          capex: 1000, online: "2026-03"}}
customers:
  one:
    country: LV
    priority: 1
    initial_stock: {{shell: {init}}}
    consumption: {{shell: {cons}}}
    targets: [{{item: shell, by: "2026-08", units: {t1}}}]
  two:
    country: EE
    priority: 2
    delivery_months: 1
    targets: [{{item: shell, by: "2026-10", units: {t2}}}]
budget: {{capex_per_year: {{2026: {budget}}}}}
"""

params = st.fixed_dictionaries({
    "lead": st.integers(0, 2), "sup_cap": st.integers(0, 80), "store": st.integers(0, 50),
    "cap_a": st.integers(0, 60), "ramp": st.sampled_from([0, 1, 2.5]), "cap_b": st.integers(0, 60),
    "cap_c": st.integers(0, 60), "init": st.integers(0, 30), "cons": st.integers(0, 10),
    "t1": st.integers(0, 300), "t2": st.integers(0, 300), "budget": st.sampled_from([0, 500, 1000]),
})


def run(p: dict[str, object]) -> PlanResult:
    return solve_plan(scenario(TEMPLATE.format(**p)), gap=1e-9, explain=False, sensitivity=False)


def levels(r: PlanResult) -> list[float]:
    return [lv.weighted for lv in r.levels]


def no_worse(better: list[float], base: list[float]) -> bool:
    """Lexicographically: `better` is not worse than `base`, level by level."""
    for b, a in zip(better, base, strict=True):
        tol = 1e-5 * max(1.0, abs(a))
        if b < a - tol:
            return True
        if b > a + tol:
            return False
    return True


SETTINGS = settings(max_examples=8, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@SETTINGS
@given(params, st.sampled_from(["cap_a", "cap_b", "cap_c", "sup_cap"]), st.integers(1, 50))
def test_more_capacity_never_worse(p: dict[str, object], key: str, extra: int) -> None:
    base = run(p)
    more = run({**p, key: int(p[key]) + extra})  # type: ignore[call-overload]
    assert no_worse(levels(more), levels(base))


@SETTINGS
@given(params)
def test_larger_budget_never_increases_shortfall(p: dict[str, object]) -> None:
    base = run({**p, "budget": 0})
    more = run({**p, "budget": 1000})
    assert no_worse(levels(more), levels(base))
    assert levels(more)[0] <= levels(base)[0] + 1e-5 * max(1.0, levels(base)[0])


@SETTINGS
@given(params)
def test_stocks_nonnegative_and_balances_close(p: dict[str, object]) -> None:
    r = run(p)
    assert r.tables is not None
    for row in r.tables.stores.records():
        assert row["closing"] >= -1e-6
        flow = row["opening"] + row["arrivals"] + row["accepted_output"] - row["used"] - row["delivered"]
        assert row["closing"] == pytest.approx(flow, abs=1e-6)
    for row in r.tables.stockpiles.records():
        assert row["closing"] >= -1e-6
        assert 0 <= row["unmet"] <= row["consumption"] + 1e-6
        flow = row["opening"] + row["received"] - row["consumption"] + row["unmet"]
        assert row["closing"] == pytest.approx(flow, abs=1e-6)
    # deliveries leave stores and reach stockpiles
    sent = sum(row["delivered"] for row in r.tables.stores.records())
    got = sum(row["received"] for row in r.tables.stockpiles.records())
    assert sent == pytest.approx(got, abs=1e-6)
    costs = r.tables.costs.records()
    assert r.cost is not None
    assert sum(c["total"] for c in costs) == pytest.approx(r.cost.total, abs=1e-6)
