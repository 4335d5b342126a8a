"""A site's `disruption`: each event stops every line of the site (issue 14, item 5)."""

from __future__ import annotations

import importlib.util
import math

import pytest

from bastion.simulate import simulate
from bastion.simulate.adapter import plan_arrays
from bastion.simulate.events import uncertainty_of

from .helpers import plan_of, scenario

PATHS = 4096


def _site_case(rate: float) -> str:
    # two lines of 50: together exactly the 100 a month the target needs, so any
    # event that stops both (or either) for a while misses the target
    return f"""
bastion: 1
name: site events
horizon: {{start: "2026-01", months: 12}}
items:
  prod: {{made: true, bom: {{comp: 1}}}}
  comp: {{made: false}}
suppliers:
  sup:
    country: LV
    supplies: {{comp: {{price: 1}}}}
sites:
  s:
    country: LV
    disruption: {{rate_per_year: {rate}, recovery_months: [0.5, 1, 2]}}
    lines:
      l1: {{makes: [prod], capacity_per_month: 50}}
      l2: {{makes: [prod], capacity_per_month: 50}}
customers:
  c: {{country: LV, targets: [{{item: prod, by: "2026-12", units: 1200}}]}}
"""


def test_a_site_event_is_one_source_over_all_its_lines() -> None:
    s = scenario(_site_case(0.6))
    u = uncertainty_of(s, plan_arrays(s, plan_of(s)))
    (src,) = u.sources
    assert src.name == "site:s" and src.rate_per_month == 0.6 / 12
    assert sorted(src.nodes) == sorted({int(u.line_col[0]), int(u.line_col[1])})
    assert src.duration == (0.5, 1.0, 2.0)


def test_site_events_miss_the_target_with_their_poisson_probability() -> None:
    rate = 0.6
    s = scenario(_site_case(rate))
    res = simulate(s, plan_of(s), paths=PATHS, seed=5)
    t = res.targets[0]
    expected = math.exp(-rate)
    se = max(t.stderr, math.sqrt(expected * (1 - expected) / PATHS))
    assert abs(t.probability - expected) <= 4 * se, (t.probability, expected, se)


def test_jax_backend_reads_the_same_site_events() -> None:
    # the JAX backend gathers events from the same sources (events.uncertainty_of):
    # on the CPU it draws the numpy sampler's streams, so the figures agree exactly
    if importlib.util.find_spec("jax") is None:
        pytest.skip("JAX is not installed (pip install bastion[jax])")
    s = scenario(_site_case(0.6))
    plan = plan_of(s)
    a = simulate(s, plan, paths=2048, seed=5)
    b = simulate(s, plan, paths=2048, seed=5, backend="jax")
    assert a.targets[0].probability == pytest.approx(b.targets[0].probability, abs=1e-9)
    assert a.targets[0].probability < 1.0
