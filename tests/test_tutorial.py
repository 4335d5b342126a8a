"""docs/tutorial.md's hand-computed numbers are what Bastion gives."""

from __future__ import annotations

from pathlib import Path

from bastion.plan import solve_plan
from bastion.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_the_tutorial_numbers() -> None:
    plan = solve_plan(load_scenario(ROOT / "examples" / "minimal.yaml"))
    assert plan.tables is not None and plan.cost is not None
    production = {r["month"]: r["units"] for r in plan.tables.production.records()}
    assert abs(sum(production.values()) - 890) < 1e-6
    expected = {"2027-04": 10, "2027-05": 10, "2027-06": 10, "2027-07": 110}
    expected |= {f"2027-{m:02d}": 150 for m in range(8, 13)}
    assert {k: round(v, 6) for k, v in production.items()} == expected
    assert round(plan.cost.purchases, 4) == 17_800
    assert round(plan.cost.production, 4) == 17_800
    assert round(plan.cost.fixed, 4) == 22_000
    assert plan.cost.capex == 0
    [target] = plan.targets
    assert target.met and target.met_month == "2027-12" and round(target.planned_units or 0, 4) == 800
    assert "tutorial" in (ROOT / "docs" / "tutorial.md").read_text("utf-8").lower()
