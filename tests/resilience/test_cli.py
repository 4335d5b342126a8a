"""`bastion resilience` through typer: JSON, table, --out, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from tests.resilience.cases import HEAD
from typer.testing import CliRunner

from bastion.cli import resilience_cmd

app = typer.Typer()


@app.callback()
def _root() -> None:
    """Test app."""


resilience_cmd.register(app)

FILE = HEAD + """classification: "OFFICIAL (test)"
suppliers:
  sup-a:
    country: LV
    supplies: {fuze: {capacity_per_month: 100}}
    disruption: {rate_per_year: 0.1, recovery_months: [1, 4, 6]}
sites:
  plant:
    country: LV
    initial_store: {fuze: 250}
    lines: {line-1: {makes: [atm], capacity_per_month: 100}}
customers:
  army: {country: LV, consumption: {atm: 100}}
"""


def _file(tmp_path: Path) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(FILE, encoding="utf-8")
    return p


def test_json_is_one_object(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["resilience", str(_file(tmp_path)), "--json"])
    assert res.exit_code == 0, res.output
    obj = json.loads(res.stdout)
    assert obj["nodes"][0]["node"] == "sup-a" and obj["nodes"][0]["tts_months"] == 2.5
    first = obj["nodes"][0]
    for key in ("tts_window_months", "lost_units_in_window", "lost_by_item",
                "lost_by_item_in_window", "lost_weighted"):
        assert key in first
    assert set(first["lost_by_item"]) <= {"atm"}
    assert obj["loss_weight"] and obj["state_rule"]


def test_table_marks_and_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["resilience", str(_file(tmp_path)), "--out", str(out)])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert lines[0].strip() == "OFFICIAL (test)" and lines[-1].strip() == "OFFICIAL (test)"
    assert "sup-a" in res.stdout
    assert {p.name for p in out.iterdir()} == {
        "resilience-nodes.csv", "resilience-concentration.csv", "resilience-mitigations.csv",
        "resilience.json", ".bastion-output"}  # the marker: an output of Bastion, replaced whole next time


def test_at_outside_horizon_exit_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["resilience", str(_file(tmp_path)), "--at", "2031-01"])
    assert res.exit_code == 2
    assert "outside the horizon" in res.stderr


def test_invalid_scenario_exit_2(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("bastion: 1\nname: x\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["resilience", str(p)])
    assert res.exit_code == 2
