"""`bastion plan`: JSON on stdout, exit status 3 when short, --out tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from bastion.cli import plan_cmd

SHORT = """
bastion: 1
name: t
classification: "RESTRICTED-TEST"
horizon: {start: "2026-01", months: 6}
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 100}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-06", units: 1000}]}
"""


def app() -> typer.Typer:
    a = typer.Typer(add_completion=False)

    @a.callback()
    def _root() -> None:
        """Test app."""

    plan_cmd.register(a)
    return a


def test_json_and_exit_3(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(SHORT)
    res = CliRunner().invoke(app(), ["plan", str(f), "--json", "--out", str(tmp_path / "out")])
    assert res.exit_code == 3
    obj = json.loads(res.stdout)
    for key in ("status", "gap", "objective", "first_output", "lines", "targets", "cost"):
        assert key in obj
    assert obj["status"] == "optimal"
    assert obj["targets"][0]["planned_units"] == 600
    assert obj["targets"][0]["met"] is False
    assert set(obj["cost"]) == {"capex", "purchases", "production", "fixed", "holding", "total"}
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"plan.json", "production.csv", "purchases.csv", "stores.csv", "deliveries.csv",
            "stockpiles.csv", "costs.csv"} <= names
    assert (tmp_path / "out" / "production.csv").read_text().startswith("month,line,site,item,units")


def test_summary_marks_classification(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(SHORT)
    res = CliRunner().invoke(app(), ["plan", str(f)])
    assert res.exit_code == 3
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert lines[0] == "RESTRICTED-TEST" and lines[-1] == "RESTRICTED-TEST"
    assert "short by 400" in res.stdout


def test_stdout_is_one_json_object_in_a_real_process(tmp_path: Path) -> None:
    """HiGHS prints a banner at C level unless kept quiet: stdout must hold only the JSON."""
    f = tmp_path / "s.yaml"
    f.write_text(SHORT.replace("units: 1000", "units: 100"))
    code = ("import typer\nfrom bastion.cli import plan_cmd\napp=typer.Typer()\n"
            "@app.callback()\ndef r() -> None: pass\nplan_cmd.register(app)\napp()")
    res = subprocess.run([sys.executable, "-c", code, "plan", str(f), "--json"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["targets"][0]["met"] is True
