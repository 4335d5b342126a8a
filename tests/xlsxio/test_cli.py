"""`bastion xlsx export|import|template`, and every command reading a workbook as it reads YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner
from xlsx_helpers import edited, set_cell

from bastion.cli import app
from bastion.scenario import load_scenario, load_text

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "examples" / "minimal.yaml"


@pytest.fixture
def minimal_xlsx(tmp_path: Path) -> Path:
    out = tmp_path / "minimal.xlsx"
    result = runner.invoke(app, ["xlsx", "export", str(MINIMAL), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_export_then_import_gives_the_same_scenario(minimal_xlsx: Path, tmp_path: Path) -> None:
    out = tmp_path / "back.yaml"
    result = runner.invoke(app, ["xlsx", "import", str(minimal_xlsx), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    assert text.startswith("# Imported from minimal.xlsx by bastion xlsx import (comments are not carried).\n")
    assert load_text(text) == load_scenario(MINIMAL)


def test_import_to_stdout_and_default_names(minimal_xlsx: Path) -> None:
    result = runner.invoke(app, ["xlsx", "import", str(minimal_xlsx), "-o", "-"])
    assert result.exit_code == 0
    assert load_text(result.stdout) == load_scenario(MINIMAL)
    result = runner.invoke(app, ["xlsx", "import", str(minimal_xlsx)])
    assert result.exit_code == 0 and minimal_xlsx.with_suffix(".yaml").exists()
    again = runner.invoke(app, ["xlsx", "import", str(minimal_xlsx)])
    assert again.exit_code == 2 and "already exists; use --force" in again.output


def test_import_refuses_a_yaml_file() -> None:
    result = runner.invoke(app, ["xlsx", "import", str(MINIMAL)])
    assert result.exit_code == 2
    assert "not a workbook (.xlsx)" in result.output


def test_import_of_a_bad_workbook_names_cells_exits_2_and_writes_nothing(minimal_xlsx: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    data = edited(minimal_xlsx.read_bytes(), set_cell("Supplies", ("parts-lv", "part-b"), "price", "lots"))
    data = edited(data, set_cell("Targets", ("lv",), "units", -5))
    bad.write_bytes(data)
    out = tmp_path / "bad.yaml"
    result = runner.invoke(app, ["xlsx", "import", str(bad), "-o", str(out)])
    assert result.exit_code == 2
    assert not out.exists()
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{bad}:Supplies!C2: suppliers.parts-lv.supplies.part-b.price: ")
    assert lines[1] == f"{bad}:Targets!D2: customers.lv.targets[0].units: must be >= 0, found -5"
    assert lines[2] == f"{bad}: 2 problems, nothing done"


def test_every_command_reads_a_workbook(minimal_xlsx: Path) -> None:
    result = runner.invoke(app, ["validate", str(minimal_xlsx)])
    assert result.exit_code == 0
    assert result.output == f"{minimal_xlsx}: valid (2 items, 1 supplier, 1 line, 1 customer)\n"
    shown = runner.invoke(app, ["show", "--json", str(minimal_xlsx)])
    assert load_text(shown.stdout, "shown.json") == load_scenario(MINIMAL)
    from_yaml = runner.invoke(app, ["plan", "--json", str(MINIMAL)])
    from_xlsx = runner.invoke(app, ["plan", "--json", str(minimal_xlsx)])
    assert from_xlsx.exit_code == from_yaml.exit_code == 0
    plans = [json.loads(r.stdout) for r in (from_yaml, from_xlsx)]
    for p in plans:
        p.pop("seconds")
    assert plans[0] == plans[1]


def test_run_keeps_a_workbook_scenario_as_yaml_text(minimal_xlsx: Path) -> None:
    from bastion.run import execute

    run = execute(minimal_xlsx, paths=20, stages=("plan",))
    assert run.scenario == load_scenario(MINIMAL)
    assert load_text(run.scenario_text) == run.scenario


def test_export_refuses_to_overwrite(minimal_xlsx: Path) -> None:
    result = runner.invoke(app, ["xlsx", "export", str(MINIMAL), "-o", str(minimal_xlsx)])
    assert result.exit_code == 2 and "already exists; use --force" in result.output
    result = runner.invoke(app, ["xlsx", "export", str(MINIMAL), "-o", str(minimal_xlsx), "--force"])
    assert result.exit_code == 0


def test_export_of_an_invalid_scenario_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.read_text("utf-8").replace("capacity_per_month: 150", "capacity_per_month: -1"), "utf-8")
    result = runner.invoke(app, ["xlsx", "export", str(bad)])
    assert result.exit_code == 2
    assert not (tmp_path / "bad.xlsx").exists()


def test_unknown_sheets_are_a_warning(minimal_xlsx: Path) -> None:
    from xlsx_helpers import open_book, save

    wb = open_book(minimal_xlsx.read_bytes())
    wb.create_sheet("My notes")["A1"] = "x"
    minimal_xlsx.write_bytes(save(wb))
    result = runner.invoke(app, ["validate", str(minimal_xlsx)])
    assert result.exit_code == 0
    assert f'warning: {minimal_xlsx}: sheet "My notes" is not part of the scenario format; ignored' in result.output


def test_validate_json_names_the_cell_of_each_workbook_problem(minimal_xlsx: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(edited(minimal_xlsx.read_bytes(), set_cell("Targets", ("lv",), "units", -5)))
    result = runner.invoke(app, ["validate", str(bad), "--json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["valid"] is False
    [error] = data["errors"]
    assert error["file"] == str(bad) and error["cell"].startswith("Targets!")
    assert error["path"].endswith(".units") and "found -5" in error["message"]


def test_xlsx_commands_take_json(minimal_xlsx: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    result = runner.invoke(app, ["xlsx", "template", "-o", str(out), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == {"written": str(out)}
    back = tmp_path / "back.yaml"
    result = runner.invoke(app, ["xlsx", "import", str(minimal_xlsx), "-o", str(back), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == {"written": str(back)}
