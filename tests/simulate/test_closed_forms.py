"""Probabilities with closed forms: Poisson events with no slack, a triangular milestone."""

from __future__ import annotations

import math

from bastion.programme.risk import triangular_cdf
from bastion.simulate import simulate

from .helpers import plan_of, scenario

PATHS = 4096


def _within(p: float, expected: float, stderr: float) -> None:
    se = max(stderr, math.sqrt(expected * (1 - expected) / PATHS))
    assert abs(p - expected) <= 4 * se, (p, expected, se)


def _no_slack(rate: float) -> str:
    return f"""
bastion: 1
name: no-slack supplier
horizon: {{start: "2026-01", months: 12}}
items:
  prod: {{made: true, bom: {{comp: 1}}}}
  comp: {{made: false}}
suppliers:
  sup:
    country: LV
    supplies: {{comp: {{price: 1, capacity_per_month: 100}}}}
    disruption: {{rate_per_year: {rate}, recovery_months: [0.5, 1, 2]}}
sites:
  s: {{country: LV, lines: {{l: {{makes: [prod], capacity_per_month: 1000}}}}}}
customers:
  c: {{country: LV, targets: [{{item: prod, by: "2026-12", units: 1200}}]}}
"""


def test_single_supplier_without_slack_meets_the_target_iff_no_disruption() -> None:
    rate = 0.8
    s = scenario(_no_slack(rate))
    res = simulate(s, plan_of(s), paths=PATHS, seed=11)
    t = res.targets[0]
    _within(t.probability, math.exp(-rate * 12 / 12), t.stderr)


ONE_TASK = """
bastion: 1
name: one task
horizon: {start: "2026-01", months: 48}
items: {x: {made: true}}
sites:
  s: {country: LV, lines: {l: {makes: [x], capacity_per_month: 10, online: {milestone: build}}}}
programme: {tasks: {build: {duration_months: [18, 22, 30]}}}
customers: {c: {country: LV, targets: [{item: x, by: "2029-12", units: 10}]}}
"""


def _surge(rate: float) -> str:
    return f"""
bastion: 1
name: surge
horizon: {{start: "2026-01", months: 12}}
items: {{x: {{made: true}}}}
sites: {{s: {{country: LV, lines: {{l: {{makes: [x], capacity_per_month: 0}}}}}}}}
customers:
  c:
    country: LV
    initial_stock: {{x: 240}}
    consumption: {{x: 10}}
    targets: [{{item: x, by: "2026-12", units: 120}}]
    surge: {{rate_per_year: {rate}, duration_months: [0.5, 1, 3], factor: 2}}
"""


def _correlated(r1: float, r2: float, r3: float, r4: float) -> str:
    return f"""
bastion: 1
name: correlated
horizon: {{start: "2026-01", months: 12}}
items:
  prod: {{made: true, bom: {{a: 1, b: 1}}}}
  a: {{made: false}}
  b: {{made: false}}
suppliers:
  sa:
    country: LV
    supplies: {{a: {{capacity_per_month: 100}}}}
    disruption: {{rate_per_year: {r1}, recovery_months: [0.5, 1, 2]}}
  sb:
    country: LV
    supplies: {{b: {{capacity_per_month: 100}}}}
    disruption: {{rate_per_year: {r2}, recovery_months: [0.5, 1, 2]}}
sites: {{s: {{country: LV, lines: {{l: {{makes: [prod], capacity_per_month: 100}}}}}}}}
customers: {{c: {{country: LV, targets: [{{item: prod, by: "2026-12", units: 1200}}]}}}}
risks:
  - {{id: ban, applies_to: {{suppliers: [sa, sb]}}, rate_per_year: {r3}, duration_months: [1, 2, 3]}}
  - {{id: fire, applies_to: {{sites: [s]}}, rate_per_year: {r4}, duration_months: [0.5, 1, 2]}}
"""


def test_triangular_milestone_gives_the_triangular_cdf_within_24_months() -> None:
    s = scenario(ONE_TASK)
    res = simulate(s, plan_of(s), paths=PATHS, seed=5)
    fo = res.first_output
    _within(fo.p_within_24_months, float(triangular_cdf(23.0, 18, 22, 30)), fo.stderr)


def test_surge_probability() -> None:
    rate = 0.5
    s = scenario(_surge(rate))
    res = simulate(s, plan_of(s), paths=PATHS, seed=2)
    _within(res.targets[0].probability, math.exp(-rate), res.targets[0].stderr)
    assert res.targets[0].p90_units <= 120 + 1e-6


def test_correlated_risk_and_site_risk_add_their_rates() -> None:
    r1, r2, r3, r4 = 0.2, 0.3, 0.25, 0.15
    s = scenario(_correlated(r1, r2, r3, r4))
    res = simulate(s, plan_of(s), paths=PATHS, seed=9)
    t = res.targets[0]
    _within(t.probability, math.exp(-(r1 + r2 + r3 + r4)), t.stderr)
    assert res.expected_unmet == 0.0


def test_optional_line_online_is_the_later_of_plan_and_sampled_milestone() -> None:
    import numpy as np

    from bastion.simulate.events import online_months

    class _U:  # the fields online_months reads
        line_kind = np.array([1, 2, 2])
        line_task = np.array([0, 0, 0])
        planned_online = np.array([5, 10, 3])
        milestone_month = np.array([5, 5, 3])
        offset = 0

    fin = np.array([[4.2], [7.5], [12.0]])  # sampled milestone online: month 5, 8, 12 (ceil)
    out = online_months(_U(), fin, 3)  # type: ignore[arg-type]
    sampled = np.ceil(fin[:, 0])
    np.testing.assert_array_equal(out[:, 0], sampled)  # mandatory: the sampled month
    # optional, planned at 10 (budget) while the milestone's own month is 5: max(10, sampled)
    np.testing.assert_array_equal(out[:, 1], np.maximum(10.0, sampled))
    np.testing.assert_array_equal(out[:, 2], np.maximum(3.0, sampled))
