"""Round trips: YAML -> workbook -> YAML gives the same scenario; workbook -> YAML -> workbook the same cells."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import pytest
from xlsx_helpers import open_book, scenario_of, values_of

from bastion.scenario import ScenarioError, dump_scenario, load_text
from bastion.xlsxio import build_workbook

ROOT = Path(__file__).resolve().parents[2]


def _suite_scenarios() -> list[tuple[str, str]]:
    """Every valid scenario text in the test suite: the packaged examples, examples/ and each
    string constant in tests/ that loads as a scenario."""
    found: list[tuple[str, str]] = []
    for path in sorted((ROOT / "src" / "bastion" / "scenario" / "examples").glob("*.yaml")):
        found.append((path.name, path.read_text("utf-8")))
    for path in sorted((ROOT / "examples").glob("*.y*ml")):
        found.append((f"examples/{path.name}", path.read_text("utf-8")))
    found.append(("xlsx-template", (ROOT / "src" / "bastion" / "xlsxio" / "template.yaml").read_text("utf-8")))
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "bastion: 1" in node.value:
                text = textwrap.dedent(node.value)
                try:
                    load_text(text)
                except ScenarioError:
                    continue  # a fragment or a deliberately broken scenario
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", text))
    return found


SCENARIOS = _suite_scenarios()


def test_the_suite_has_scenarios() -> None:
    names = [name for name, _ in SCENARIOS]
    assert "baltic-atm-plant.yaml" in names and "examples/minimal.yaml" in names
    assert sum(name.startswith("tests/") for name in names) >= 4


@pytest.mark.parametrize(("name", "text"), SCENARIOS, ids=[n for n, _ in SCENARIOS])
def test_yaml_to_workbook_to_yaml(name: str, text: str) -> None:
    scenario = load_text(text, name)
    again = scenario_of(build_workbook(scenario))
    assert again == scenario
    # ids, their order and every value (a dict compares equal in any order; its JSON does not)
    assert json.dumps(again.model_dump(mode="json")) == json.dumps(scenario.model_dump(mode="json"))
    assert load_text(dump_scenario(again)) == scenario


@pytest.mark.parametrize(("name", "text"), SCENARIOS, ids=[n for n, _ in SCENARIOS])
def test_workbook_to_yaml_to_workbook(name: str, text: str) -> None:
    first = build_workbook(load_text(text, name))
    second = build_workbook(load_text(dump_scenario(scenario_of(first))))
    assert values_of(second) == values_of(first)


def test_the_workbook_has_a_sheet_per_section_and_a_row_per_entity(reference_path: Path) -> None:
    scenario = load_text(reference_path.read_text("utf-8"))
    wb = open_book(build_workbook(scenario))
    assert wb.sheetnames == [
        "Scenario", "Items", "Bill of materials", "Suppliers", "Supplies", "Sites", "Site stores", "Lines",
        "Customers", "Customer stocks", "Targets", "Consumption", "Programme", "Resources", "Risks", "Budget",
        "Economics",
    ]
    assert wb["Items"].max_row == 1 + len(scenario.items)
    assert wb["Suppliers"].max_row == 1 + len(scenario.suppliers)
    assert wb["Supplies"].max_row == 1 + sum(len(s.supplies) for s in scenario.suppliers.values())
    assert wb["Lines"].max_row == 1 + len(scenario.all_lines())
    assert wb["Targets"].max_row == 1 + sum(len(c.targets) for c in scenario.customers.values())
    assert scenario.programme is not None
    assert wb["Programme"].max_row == 1 + len(scenario.programme.tasks)
    # the lt-af consumption changes in 2029: one row per month given
    consumption = [r for r in wb["Consumption"].iter_rows(min_row=2, values_only=True)]
    assert [r[:2] for r in consumption].count(("lt-af", "atm-1")) == 2
