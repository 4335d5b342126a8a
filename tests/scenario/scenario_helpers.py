"""Helpers for the scenario loader tests: the small valid scenario and problem checks."""

from __future__ import annotations

import re
import textwrap

import pytest

from bastion.scenario import Problem, ScenarioError, load_text

PROBLEM_RE = re.compile(r"^.+:\d+: \S.*: .+$")
"""What `str(problem)` must look like: `FILE:LINE: path.to.field: what is wrong`, one line."""

VALID_YAML = textwrap.dedent(
    """\
    bastion: 1
    name: "Small test plant"
    description: "A scenario that uses every section"
    classification: "UNCLASSIFIED // TEST"
    currency: EUR
    horizon: {start: "2026-01", months: 36}

    items:
      atm-1:
        name: "Mine"
        made: true
        bom: {body: 1, fuze-assy: 1, crate: 0.25}
        scrap_rate: 0.02
        holding_cost_per_month: 0.5
      fuze-assy:
        made: true
        bom: {fuze: 1, spring: 2}
      body: {made: false}
      fuze: {made: false}
      spring: {made: false, unit: pcs}
      crate: {made: false}

    suppliers:
      steel-lv:
        country: LV
        supplies:
          body: {price: 40, lead_time_months: 2, capacity_per_month: 5000}
          crate: {price: 3}
        disruption: {rate_per_year: 0.1, recovery_months: [1, 2, 4]}
      fuze-no:
        name: "Fuze works"
        country: "NO"
        supplies:
          fuze: {price: 100, lead_time_months: 3}
          spring: {price: 1, lead_time_months: 1}
        disruption: {rate_per_year: 0.2, recovery_months: 3}

    sites:
      plant-lv:
        country: LV
        initial_store: {body: 2000, fuze: 500}
        lines:
          line-1:
            makes: [atm-1]
            capacity_per_month: 1500
            online: {milestone: sat-line-1}
            ramp_months: 6
            acceptance_months: 1
            variable_cost_per_unit: 60
            fixed_cost_per_month: 250000
            learning_rate: 0.85
            capex: 18000000
            build_months: 12
            outage: {rate_per_year: 0.2, recovery_months: [0.5, 1, 3]}
          line-2:
            makes: [atm-1, fuze-assy]
            capacity_per_month: 1000
            online: "2027-06"
            optional: true
            capex: 9000000
            build_months: 6

    programme:
      start: "2026-02"
      resources: {engineering: 2}
      tasks:
        site-permit: {duration_months: [3, 4, 8]}
        building: {duration_months: [10, 12, 18], after: [site-permit], uses: {engineering: 1}}
        sat-line-1: {duration_months: [2, 3, 5], after: [building]}

    customers:
      lv-naf:
        country: LV
        priority: 1
        delivery_months: 0
        initial_stock: {atm-1: 100}
        consumption: {atm-1: 50}
        targets:
          - {item: atm-1, by: "2027-12", units: 20000}
        surge: {rate_per_year: 0.05, duration_months: [3, 6, 12], factor: 5}
      ee-df:
        country: EE
        priority: 2
        delivery_months: 1
        consumption:
          atm-1: {"2026-01": 10, "2027-01": 40}
        targets:
          - {item: atm-1, by: "2028-06", units: 5000}
      lt-af:
        country: LT
        priority: 2
        consumption: {atm-1: 0}

    budget:
      capex_per_year: {2026: 10000000, 2027: 25000000}

    risks:
      - id: fuze-export-ban
        applies_to: {suppliers: [fuze-no]}
        rate_per_year: 0.05
        duration_months: [3, 6, 12]
      - id: plant-fire
        applies_to: {lines: [line-1], sites: [plant-lv]}
        rate_per_year: 0.01
        duration_months: 6
    """
)


def problems_of(text: str, name: str = "f.yaml", is_json: bool = False) -> list[Problem]:
    """The problems that loading `text` reports (fails if it loads)."""
    with pytest.raises(ScenarioError) as info:
        load_text(text, name, is_json=is_json)
    problems = info.value.problems
    assert problems, "ScenarioError without problems"
    return problems


def messages_of(text: str, name: str = "f.yaml") -> list[str]:
    """`str()` of every problem that loading `text` reports."""
    return [str(p) for p in problems_of(text, name)]


def assert_well_formed(error: ScenarioError) -> None:
    """Every problem names a file and a line >= 1 and prints as one `FILE:LINE: path: message` line."""
    assert error.problems
    for problem in error.problems:
        assert problem.file
        assert isinstance(problem.line, int) and problem.line >= 1
        assert PROBLEM_RE.fullmatch(str(problem)), repr(str(problem))
