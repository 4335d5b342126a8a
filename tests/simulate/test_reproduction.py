"""With every rate 0 and every range degenerate, the simulation reproduces the plan."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.simulate import simulate

from .helpers import plan_of, reference_certain, scenario, trace

TWO_LEVEL = """
bastion: 1
name: two-level
horizon: {start: "2026-01", months: 24}
items:
  prod: {made: true, bom: {sub: 2, box: 1}, scrap_rate: 0.1, holding_cost_per_month: 0.1}
  sub: {made: true, bom: {raw: 1.5}, holding_cost_per_month: 0.05}
  raw: {made: false}
  box: {made: false}
suppliers:
  s1:
    country: LV
    supplies: {raw: {price: 2, lead_time_months: 2, capacity_per_month: 400}}
  s2:
    country: EE
    supplies: {box: {price: 1, lead_time_months: 1}}
sites:
  plant:
    country: LV
    initial_store: {raw: 100}
    lines:
      a: {makes: [prod, sub], capacity_per_month: 300, online: "2026-04", ramp_months: 2,
          acceptance_months: 1, variable_cost_per_unit: 3, fixed_cost_per_month: 10}
      b: {makes: [sub], capacity_per_month: 100, optional: true, online: "2026-06", capex: 500,
          build_months: 2}
customers:
  hi:
    country: LV
    priority: 1
    initial_stock: {prod: 20}
    consumption: {prod: 5}
    targets: [{item: prod, by: "2027-06", units: 800}]
  lo:
    country: EE
    priority: 2
    delivery_months: 1
    consumption: {prod: {"2026-01": 0, "2026-10": 3}}
    targets: [{item: prod, by: "2027-12", units: 600}]
"""


def _check(s_text_or_scenario: object) -> None:
    s = scenario(s_text_or_scenario) if isinstance(s_text_or_scenario, str) else s_text_or_scenario
    plan = plan_of(s)  # type: ignore[arg-type]
    tr = trace(s, plan)  # type: ignore[arg-type]
    pa = tr["pa"]
    for k in range(tr["production"].shape[2]):
        np.testing.assert_allclose(tr["production"][:, :, k], pa.production, atol=1e-6, rtol=0)
        np.testing.assert_allclose(tr["piles"][:, :, k], pa.plan_pile, atol=1e-6, rtol=0)
        np.testing.assert_allclose(tr["store"][:, :, k], pa.plan_store, atol=1e-6, rtol=0)
    res = simulate(s, plan, paths=300, seed=3)  # type: ignore[arg-type]
    for tp, tr_ in zip(plan.targets, res.targets, strict=True):
        if tp.met:
            assert tr_.probability == 1.0
            assert tr_.p50_units == pytest.approx(tp.planned_units, abs=1e-6)
    assert res.expected_unmet == pytest.approx(plan.unmet_consumption, abs=1e-6)
    assert res.first_output.p50 == plan.first_output
    assert res.expected_cost["total"] == pytest.approx(plan.cost.total, rel=1e-9)  # type: ignore[union-attr]


def test_two_level_bom_two_priorities_reproduces_the_plan() -> None:
    _check(TWO_LEVEL)


def test_reference_scenario_without_uncertainty_reproduces_the_plan() -> None:
    _check(reference_certain())
