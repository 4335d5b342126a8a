"""Small scenarios for the study tests, and helpers to run the CLI and compare studies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

# One bought part (2 per unit, 1-month lead time) and one line; no ramp, online from month 0.
# Parts ordered in months 0..10 arrive in 1..11, so the plant makes 11 months of
# min(line 150, parts 200 / 2 = 100) = 1,100 units by 2027-12: the supplier's capacity is the
# one binding limit for the 1,050-unit target (-20 %: 880 units, short; +20 %: met).
BINDING = """\
bastion: 1
name: "Binding supplier (test)"
classification: "RESTRICTED-TEST"
horizon: {start: "2027-01", months: 12}
items:
  unit-a: {made: true, bom: {part-b: 2}, holding_cost_per_month: 0.5}
  part-b: {holding_cost_per_month: 0.1}
suppliers:
  parts-lv:
    country: LV
    supplies:
      part-b: {price: 10, lead_time_months: 1, capacity_per_month: 200}
sites:
  plant:
    country: LV
    lines:
      line-1:
        makes: [unit-a]
        capacity_per_month: 150
        variable_cost_per_unit: 20
        fixed_cost_per_month: 1000
        outage: {rate_per_year: 0.3, recovery_months: [0.2, 0.5, 1]}
customers:
  lv:
    country: LV
    targets:
      - {item: unit-a, by: "2027-12", units: 1050}
"""


@pytest.fixture
def binding(tmp_path: Path) -> Path:
    """The binding-supplier scenario as a file."""
    path = tmp_path / "binding.yaml"
    path.write_text(BINDING, encoding="utf-8")
    return path


def invoke(args: list[str], env: dict[str, str] | None = None) -> Any:
    """Run `bastion ARGS` in-process; the result (exit_code, stdout, stderr)."""
    from bastion.cli import app

    return CliRunner().invoke(app, args, env=env, catch_exceptions=False)


def comparable(study: dict[str, Any]) -> dict[str, Any]:
    """A study's JSON without what may differ between two runs of it (ids and timings)."""
    out = {k: v for k, v in study.items() if k not in ("study_id", "timings")}
    out["variants"] = [{k: v for k, v in var.items() if k != "timings"} for var in study["variants"]]
    result: dict[str, Any] = json.loads(json.dumps(out))
    return result
