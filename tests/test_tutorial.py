"""docs/tutorial.md's hand-computed numbers and exit statuses are what Bastion gives, step by step."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bastion.cli import app
from bastion.plan import solve_plan
from bastion.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "examples" / "minimal.yaml"
TUTORIAL = (ROOT / "docs" / "tutorial.md").read_text("utf-8")
runner = CliRunner()


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_tutorial_shows_the_file_it_explains() -> None:
    body = TUTORIAL.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert body.startswith("bastion: 1\n") and MINIMAL.read_text("utf-8").endswith(body)


def test_the_tutorial_numbers() -> None:
    plan = solve_plan(load_scenario(MINIMAL))
    assert plan.tables is not None and plan.cost is not None
    production = {r["month"]: r["units"] for r in plan.tables.production.records()}
    assert abs(sum(production.values()) - 890) < 1e-6
    expected = {"2027-04": 10, "2027-05": 10, "2027-06": 10, "2027-07": 110}
    expected |= {f"2027-{m:02d}": 150 for m in range(8, 13)}
    assert {k: round(v, 6) for k, v in production.items()} == expected
    purchases = {r["month"]: (r["arrival_month"], round(r["units"], 6)) for r in plan.tables.purchases.records()}
    assert sum(u for _, u in purchases.values()) == 1_780
    for month, (arrival, units) in purchases.items():  # ordered the month before the parts are used
        assert units == 2 * expected[arrival] and month < arrival
    assert round(plan.cost.purchases, 4) == 17_800
    assert round(plan.cost.production, 4) == 17_800
    assert round(plan.cost.fixed, 4) == 22_000
    assert round(plan.cost.holding, 4) == 5_775
    assert plan.cost.capex == 0
    assert round(plan.cost.total, 4) == 63_375
    held = {r["month"]: r["closing"] for r in plan.tables.stockpiles.records()}
    for r in plan.tables.stores.records():  # units made but not yet delivered are held too
        held[r["month"]] += r["closing"] if r["item"] == "unit-a" else 0.0
        assert r["item"] == "unit-a" or r["closing"] < 1e-6  # parts are used in the month they arrive
    closing = [round(v, 6) for _, v in sorted(held.items())]
    assert closing[:12] == [20, 10, 0, 0, 0, 0, 100, 240, 380, 520, 660, 800]
    assert closing[12:] == [800 - 10 * k for k in range(1, 13)] and sum(closing) == 11_550
    [target] = plan.targets
    assert target.met and target.met_month == "2027-12" and round(target.planned_units or 0, 4) == 800
    text = _flat(TUTORIAL)
    for promised in ("890 units", "17,800", "22,000", "5,775", "63,375", "11,550 unit-months"):
        assert promised in text


def test_the_commands_the_tutorial_runs(tmp_path: Path) -> None:
    valid = runner.invoke(app, ["validate", str(MINIMAL)])
    assert valid.exit_code == 0
    assert valid.output.strip() == f"{MINIMAL}: valid (2 items, 1 supplier, 1 line, 1 customer)"
    assert "valid (2 items, 1 supplier, 1 line, 1 customer)" in _flat(TUTORIAL)
    out = tmp_path / "minimal-plan"
    planned = runner.invoke(app, ["plan", str(MINIMAL), "--out", str(out)])
    assert planned.exit_code == 0, planned.output
    written = sorted(p.name for p in out.iterdir() if p.name != ".bastion-output")  # the marker: docs/report.md
    assert written == sorted(re.findall(r"`(\w+\.(?:csv|json))`", TUTORIAL.split("writes", 1)[1].split("\n\n")[0]))


def _with_capacity(tmp_path: Path, capacity: int) -> Path:
    text = MINIMAL.read_text("utf-8").replace("capacity_per_month: 150", f"capacity_per_month: {capacity}")
    assert f"capacity_per_month: {capacity}" in text
    path = tmp_path / f"minimal-{capacity}.yaml"
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(
    ("capacity", "status", "planned", "shortfall"),
    [(120, 0, 800, 0), (99, 0, 800, 0), (98, 3, 792, 8), (90, 3, 720, 80)],
)
def test_then_try_a_lower_capacity(tmp_path: Path, capacity: int, status: int, planned: int, shortfall: int) -> None:
    result = runner.invoke(app, ["plan", str(_with_capacity(tmp_path, capacity)), "--json"])
    assert result.exit_code == status, result.output
    [target] = json.loads(result.output)["targets"]
    assert round(target["planned_units"], 4) == planned
    assert round(target["shortfall"], 4) == shortfall
    assert target["met"] is (shortfall == 0)
    text = _flat(TUTORIAL)
    assert "`capacity_per_month` to 90" in text and "exit status 3, **720** of 800" in text
    assert "**short by 80**" in text
    assert "at 98 it is short by 8 (exit status 3), at 99 it is met (exit status 0)" in text
