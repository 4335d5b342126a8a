"""Helpers for the plan tests: small scenarios as YAML strings."""

from __future__ import annotations

import textwrap

from bastion.plan import PlanResult, solve_plan
from bastion.scenario import Scenario, load_text


def scenario(yaml_text: str) -> Scenario:
    """Load a scenario written inline."""
    return load_text(textwrap.dedent(yaml_text))


def plan(yaml_text: str, **kw: object) -> PlanResult:
    """Solve a scenario written inline."""
    return solve_plan(scenario(yaml_text), **kw)  # type: ignore[arg-type]


PRIORITIES = """
bastion: 1
name: t
horizon: {start: "2026-01", months: 12}
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 100}}
customers:
  second: {country: LV, priority: 2, targets: [{item: shell, by: "2026-06", units: 500}]}
  first: {country: EE, priority: 1, targets: [{item: shell, by: "2026-06", units: 400}]}
"""
"""Two customers competing for one line: priority 1 is met, priority 2 is 300 short."""
