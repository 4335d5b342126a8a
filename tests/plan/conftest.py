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
