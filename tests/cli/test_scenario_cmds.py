"""The scenario commands, run as a user runs them (a real subprocess where it matters)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from bastion import __version__
from bastion.cli import app

runner = CliRunner()

BROKEN = """\
bastion: 1
name: broken
horizon: {start: "2026-01", months: 12}
items:
  atm-1: {made: true, bom: {body: 1}}
sites:
  p:
    country: LV
    lines:
      l1: {makes: [atm-1], capacity_per_month: -1}
customers:
  lv: {country: LV, targets: [{item: atm-1, by: "2027-12", units: 5}]}
"""


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"bastion {__version__}"


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "validate", "show", "demo"):
        assert command in result.output


def test_init_validate_show(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "study")])
    assert result.exit_code == 0, result.output
    scenario = tmp_path / "study" / "baltic-atm-plant.yaml"
    assert scenario.is_file()
    result = runner.invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    result = runner.invoke(app, ["show", str(scenario)])
    assert result.exit_code == 0, result.output
    for word in ("Items", "Suppliers", "Lines", "Customers", "Programme", "ILLUSTRATIVE"):
        assert word in result.output


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "baltic-atm-plant.yaml"
    target.write_text("mine")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert target.read_text() == "mine"


def test_validate_reports_problems_with_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    before = sorted(os.listdir(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "bastion", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert f"{bad}:10: sites.p.lines.l1.capacity_per_month: must be >= 0, found -1" in lines
    assert "Traceback" not in proc.stderr
    assert sorted(os.listdir(tmp_path)) == before  # nothing written


def test_show_json_is_one_object(tmp_path: Path, reference_path: Path) -> None:
    import json

    result = runner.invoke(app, ["show", str(reference_path), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["bastion"] == 1


def test_missing_file_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml:1: (file): cannot read" in result.output
