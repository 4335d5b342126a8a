"""Helpers for the economics tests: one tiny scenario (three calendar years), solved once."""

from __future__ import annotations

import textwrap

from bastion.plan import PlanResult, solve_plan
from bastion.scenario import Scenario, load_text

TINY = """
bastion: 1
name: econ
classification: "TEST MARKING"
horizon: {start: "2026-07", months: 24}
items:
  shell: {made: true, bom: {case: 1}, scrap_rate: 0.1, holding_cost_per_month: 0.1}
  case: {holding_cost_per_month: 0.01}
suppliers:
  sup: {country: LV, supplies: {case: {price: 3, lead_time_months: 1}}}
sites:
  plant:
    country: LV
    lines:
      line-1: {makes: [shell], capacity_per_month: 100, online: "2026-10", ramp_months: 2,
               variable_cost_per_unit: 20, fixed_cost_per_month: 1000, capex: 50000,
               build_months: 2, learning_rate: LR1}
      line-2: {makes: [shell], capacity_per_month: 100, online: "2027-01", optional: true,
               variable_cost_per_unit: 25, fixed_cost_per_month: 500, capex: 20000,
               build_months: 3, learning_rate: LR2}
customers:
  army: {country: LV, consumption: {shell: 10}, targets: [{item: shell, by: "2027-12", units: 1500}]}
  navy: {country: LV, priority: 2, targets: [{item: shell, by: "2028-03", units: 600}]}
budget:
  capex_per_year: {2026: 0, 2027: 30000}
"""


def tiny(lr1: float = 0.85, lr2: float = 0.9) -> Scenario:
    """The tiny scenario with the two lines' learning rates."""
    return load_text(textwrap.dedent(TINY).replace("LR1", str(lr1)).replace("LR2", str(lr2)))


_PLANS: dict[tuple[float, float], tuple[Scenario, PlanResult]] = {}


def solved(lr1: float = 0.85, lr2: float = 0.9) -> tuple[Scenario, PlanResult]:
    """The tiny scenario and its plan (solved once per pair of rates)."""
    key = (lr1, lr2)
    if key not in _PLANS:
        sc = tiny(lr1, lr2)
        _PLANS[key] = (sc, solve_plan(sc, explain=False, sensitivity=False))
    return _PLANS[key]
