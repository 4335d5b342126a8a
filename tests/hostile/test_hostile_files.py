"""Issue 21, failures 1, 4 and 6: each hostile file is refused at load with its line, exit 2, nothing written.

Every file in tests/data/hostile/ but `valid-base.yaml` is `valid-base.yaml`
(or its JSON twin) with one value changed; the name says which. Each is
refused by `validate` and by `plan --out` with `FILE:LINE: path: message`,
exit status 2 and no output folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bastion.cli import app
from bastion.scenario import ScenarioError, load_scenario

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"
BASE = HOSTILE / "valid-base.yaml"

LINE = "sites.plant-lv.lines.line-1"
SUPPLY = "suppliers.steel-lv.supplies.body"
NOT_NUMBER = "yes was read as a boolean; a number is meant here"
NULL = "no value (null): give a value, or leave the key out for its default"
SURROGATE = "not valid Unicode text (it holds a lone surrogate)"
TEXT = '"1000" is a text; a number is meant here'

EXPECTED: dict[str, tuple[int, str, str]] = {
    # failure 1: finite but absurd numbers, texts that are not Unicode
    "lead-time-1e19.yaml": (12, f"{SUPPLY}.lead_time_months", "must be <= 1200, found 1e+19"),
    "json-lead-time-1e19.json": (26, f"{SUPPLY}.lead_time_months", "must be <= 1200, found 1e+19"),
    "lead-time-beyond-horizon.yaml": (12, f"{SUPPLY}.lead_time_months", "longer than the horizon (24 months)"),
    "priority-1e19.yaml": (37, "customers.lv-naf.priority", "must be <= 100, found 1e+19"),
    "resources-1e19.yaml": (30, "programme.resources.engineering", "must be <= 1000, found 1e+19"),
    "duration-1e12.yaml": (32, "programme.tasks.build.duration_months", "must be <= 1200, found 1e+12"),
    "duration-1e308.yaml": (33, "programme.tasks.sat.duration_months", "must be <= 1200, found 1e+308"),
    "outage-rate-1e20.yaml": (28, f"{LINE}.outage.rate_per_year", "must be <= 120, found 1e+20"),
    "disruption-rate-1e4.yaml": (13, "suppliers.steel-lv.disruption.rate_per_year", "must be <= 120, found 10000.0"),
    "surge-rate-1e6.yaml": (43, "customers.lv-naf.surge.rate_per_year", "must be <= 120, found 1e+06"),
    "factor-1e6.yaml": (43, "customers.lv-naf.surge.factor", "must be <= 1000, found 1e+06"),
    "acceptance-1e12.yaml": (22, f"{LINE}.acceptance_months", "must be <= 1200, found 1e+12"),
    "delivery-1e12.yaml": (38, "customers.lv-naf.delivery_months", "must be <= 1200, found 1e+12"),
    "currency-surrogate.yaml": (3, "currency", SURROGATE),
    "json-currency-surrogate.json": (4, "currency", SURROGATE),
    "json-month-surrogate.json": (6, "horizon.start", SURROGATE),  # found by the property test
    "name-surrogate.yaml": (2, "name", SURROGATE),
    "name-too-long.yaml": (2, "name", "string should have at most 1000 characters"),
    "yaml-5000-digits.yaml": (20, f"{LINE}.capacity_per_month", "must be < 1e+15, found inf"),
    "json-5000-digits.json": (48, f"{LINE}.capacity_per_month", "must be < 1e+15, found inf"),
    # failure 6: numbers that made the solver fail and exit 3
    "bom-1e308.yaml": (6, "items.atm-1.bom.body", "must be <= 1e+06, found 1e+308"),
    "price-1e308.yaml": (12, f"{SUPPLY}.price", "must be < 1e+15, found 1e+308"),
    "units-1e308.yaml": (42, "customers.lv-naf.targets[0].units", "must be < 1e+15, found 1e+308"),
    # failure 4: invalid values that were silently coerced
    "capacity-yes.yaml": (20, f"{LINE}.capacity_per_month", NOT_NUMBER),
    "capacity-true.yaml": (20, f"{LINE}.capacity_per_month", "true was read as a boolean"),
    "json-capacity-true.json": (48, f"{LINE}.capacity_per_month", "true was read as a boolean"),
    "capacity-text.yaml": (20, f"{LINE}.capacity_per_month", TEXT),
    "json-capacity-text.json": (48, f"{LINE}.capacity_per_month", TEXT),
    "capacity-base60.yaml": (20, f"{LINE}.capacity_per_month", "40:00 is a YAML 1.1 base-60 number"),
    "capacity-null.yaml": (12, f"{SUPPLY}.capacity_per_month", NULL),
    "json-capacity-null.json": (27, f"{SUPPLY}.capacity_per_month", NULL),
    "price-yes.yaml": (12, f"{SUPPLY}.price", NOT_NUMBER),
    "lead-time-yes.yaml": (12, f"{SUPPLY}.lead_time_months", NOT_NUMBER),
    "rate-yes.yaml": (13, "suppliers.steel-lv.disruption.rate_per_year", NOT_NUMBER),
    "ramp-yes.yaml": (23, f"{LINE}.ramp_months", NOT_NUMBER),
    "learning-rate-yes.yaml": (24, f"{LINE}.learning_rate", NOT_NUMBER),
    "capex-yes.yaml": (26, f"{LINE}.capex", NOT_NUMBER),
    "priority-yes.yaml": (37, "customers.lv-naf.priority", NOT_NUMBER),
    "units-yes.yaml": (42, "customers.lv-naf.targets[0].units", NOT_NUMBER),
    "confidence-yes.yaml": (42, "customers.lv-naf.targets[0].confidence", NOT_NUMBER),
    "confidence-text.yaml": (42, "customers.lv-naf.targets[0].confidence",
                             '"0.9" is a text; a number is meant here'),
    "factor-yes.yaml": (43, "customers.lv-naf.surge.factor", NOT_NUMBER),
    "budget-yes.yaml": (45, "budget.capex_per_year.2026", NOT_NUMBER),
    "duration-yes.yaml": (33, "programme.tasks.sat.duration_months", "true was read as a boolean"),
    "bastion-yes.yaml": (1, "bastion", "format version must be the number 1, found a boolean (true)"),
    "json-bastion-true.json": (2, "bastion", "format version must be the number 1, found a boolean (true)"),
    "bastion-1.0.yaml": (1, "bastion", "format version must be the number 1, found 1.0"),
    "json-bastion-1.0.json": (2, "bastion", "format version must be the number 1, found 1.0"),
    "optional-string-yes.yaml": (27, f"{LINE}.optional", 'expected true or false, found "yes"'),
    "json-optional-text.json": (57, f"{LINE}.optional", 'expected true or false, found "yes"'),
    "made-one.yaml": (7, "items.body.made", "expected true or false, found 0"),
    "unknown-tag.yaml": (2, "name", "unknown YAML tag !foo"),
    "unknown-tag-mapping.yaml": (4, "horizon", "unknown YAML tag !foo"),
    "makes-duplicate.yaml": (19, f"{LINE}.makes[1]", "atm-1 is listed twice (first at [0])"),
    "after-duplicate.yaml": (33, "programme.tasks.sat.after[1]", "build is listed twice (first at [0])"),
    "applies-to-duplicate.yaml": (48, "risks[0].applies_to.suppliers[1]", "steel-lv is listed twice"),
    "id-supplier-site.yaml": (15, "sites.steel-lv", "id steel-lv is already used by a supplier"),
    "id-task-line.yaml": (32, "programme.tasks.build", "id build is already used by a line"),
}


def test_every_hostile_file_has_an_expectation() -> None:
    names = {p.name for p in HOSTILE.iterdir()} - {BASE.name}
    assert names == set(EXPECTED)


def test_the_base_is_valid() -> None:
    """The files differ from a valid scenario, so each is refused for its one change."""
    scenario = load_scenario(BASE)
    assert scenario.sites["plant-lv"].lines["line-1"].capacity_per_month == 1000


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.endswith(".yaml")))
def test_yaml_files_change_one_line_of_the_base(name: str) -> None:
    base = BASE.read_text(encoding="utf-8").splitlines()
    bad = (HOSTILE / name).read_text(encoding="utf-8").splitlines()
    assert len(bad) == len(base)
    changed = [i + 1 for i, (a, b) in enumerate(zip(base, bad, strict=True)) if a != b]
    assert len(changed) == 1


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.endswith(".json")))
def test_json_files_change_one_value_of_the_base(name: str) -> None:
    twin = json.dumps(yaml.safe_load(BASE.read_text(encoding="utf-8")), indent=2).splitlines()
    bad = (HOSTILE / name).read_text(encoding="utf-8").splitlines()
    assert sum(a != b for a, b in zip(twin, bad, strict=True)) == 1


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_refused_with_line_and_nothing_written(name: str, tmp_path: Path) -> None:
    line, path, message = EXPECTED[name]
    file = HOSTILE / name
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    problems = caught.value.problems
    assert [(p.line, p.path) for p in problems] == [(line, path)], [str(p) for p in problems]
    assert message in problems[0].message

    runner = CliRunner()
    res = runner.invoke(app, ["validate", str(file)])
    assert res.exit_code == 2
    assert f"{file}:{line}: {path}: " in res.stdout

    out = tmp_path / "out"
    res = runner.invoke(app, ["plan", str(file), "--out", str(out)])
    assert res.exit_code == 2
    assert f"{file}:{line}: {path}: " in res.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
