"""The small valid scenario, the reference scenario and every example in the repository load; round trips."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bastion.scenario import Scenario, dump_scenario, load_scenario, load_text
from bastion.scenario.model import MilestoneRef

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "src" / "bastion" / "scenario" / "examples" / "baltic-atm-plant.yaml"


def test_valid_scenario_loads(valid_scenario: Scenario) -> None:
    s = valid_scenario
    assert s.bastion == 1
    assert s.name == "Small test plant"
    assert s.classification == "UNCLASSIFIED // TEST"
    assert s.horizon.start == "2026-01" and s.horizon.months == 36
    assert set(s.items) == {"atm-1", "fuze-assy", "body", "fuze", "spring", "crate"}
    assert s.items["atm-1"].made and s.items["atm-1"].bom == {"body": 1, "fuze-assy": 1, "crate": 0.25}
    assert s.items["fuze-assy"].bom == {"fuze": 1, "spring": 2}
    assert s.items["spring"].unit == "pcs" and s.items["body"].unit == "each"
    assert s.suppliers["fuze-no"].country == "NO"
    assert s.suppliers["fuze-no"].disruption is not None
    assert s.suppliers["fuze-no"].disruption.recovery_months == (3, 3, 3)  # a number is [a, a, a]
    assert s.suppliers["steel-lv"].supplies["body"].capacity_per_month == 5000
    assert s.suppliers["steel-lv"].supplies["crate"].capacity_per_month is None
    lines = s.all_lines()
    assert list(lines) == ["line-1", "line-2"]
    line1, line2 = lines["line-1"][1], lines["line-2"][1]
    assert line1.online == MilestoneRef(milestone="sat-line-1") and not line1.optional
    assert line1.learning_rate == 0.85 and line1.outage is not None
    assert line2.online == "2027-06" and line2.optional and line2.learning_rate == 1.0
    assert s.programme is not None and s.programme.resources == {"engineering": 2}
    assert s.programme.tasks["building"].after == ["site-permit"]
    assert s.programme.tasks["building"].duration_months == (10, 12, 18)
    assert s.programme_start() == "2026-02"
    assert s.customers["lv-naf"].consumption == {"atm-1": 50}
    assert s.customers["ee-df"].consumption == {"atm-1": {"2026-01": 10, "2027-01": 40}}
    assert s.customers["ee-df"].targets[0].by == "2028-06"
    assert s.customers["lv-naf"].surge is not None and s.customers["lv-naf"].surge.factor == 5
    assert s.customers["lt-af"].priority == 2 and s.customers["lt-af"].delivery_months == 0
    assert s.budget is not None and s.budget.capex_per_year == {2026: 1e7, 2027: 2.5e7}
    assert [r.id for r in s.risks] == ["fuze-export-ban", "plant-fire"]
    assert s.risks[1].applies_to.lines == ["line-1"] and s.risks[1].duration_months == (6, 6, 6)


def test_valid_scenario_loads_from_a_file_and_as_json(valid_yaml: str, tmp_path: Path) -> None:
    import json

    import yaml

    file = tmp_path / "ok.yaml"
    file.write_text(valid_yaml, encoding="utf-8")
    from_file = load_scenario(file)
    json_file = tmp_path / "ok.json"
    json_file.write_text(json.dumps(yaml.safe_load(valid_yaml), indent=2), encoding="utf-8")
    assert load_scenario(json_file) == from_file == load_text(valid_yaml)


def test_utf8_bom_is_accepted(valid_yaml: str, tmp_path: Path) -> None:
    file = tmp_path / "bom.yaml"
    file.write_bytes(b"\xef\xbb\xbf" + valid_yaml.encode())
    assert load_scenario(file) == load_text(valid_yaml)


def test_round_trip_fixture(valid_scenario: Scenario) -> None:
    text = dump_scenario(valid_scenario)
    again = load_text(text, "dumped.yaml")
    assert again == valid_scenario
    assert dump_scenario(again) == text


def test_round_trip_reference_scenario() -> None:
    if not REFERENCE.exists():
        pytest.skip("the reference scenario is not written yet")
    scenario = load_scenario(REFERENCE)
    assert load_text(dump_scenario(scenario), "dumped.yaml") == scenario


def _repo_examples() -> list[Path]:
    found: list[Path] = []
    for folder in ("docs", "examples"):
        base = ROOT / folder
        if base.is_dir():
            for pattern in ("*.yaml", "*.yml", "*.json"):
                found.extend(p for p in base.rglob(pattern) if p.is_file())
    return sorted(found)


@pytest.mark.parametrize(
    "path", _repo_examples() or [None], ids=lambda p: str(p.relative_to(ROOT)) if p else "none"
)
def test_repository_example_files_load(path: Path | None) -> None:
    if path is None:
        pytest.skip("no YAML/JSON scenario under docs/ or examples/ yet")
    load_scenario(path)


_FENCE = re.compile(r"```ya?ml\n(.*?)```", re.S)


def _doc_blocks() -> list[tuple[str, str]]:
    """Fenced YAML blocks in docs/**/*.md that are whole scenarios (a `bastion:` line)."""
    out: list[tuple[str, str]] = []
    base = ROOT / "docs"
    if base.is_dir():
        for md in sorted(base.rglob("*.md")):
            for index, block in enumerate(_FENCE.findall(md.read_text(encoding="utf-8"))):
                if re.search(r"^bastion:", block, re.M) and "# ..." not in block:
                    out.append((f"{md.relative_to(ROOT)}#{index}", block))
    return out


@pytest.mark.parametrize(
    "name,block", _doc_blocks() or [("none", "")], ids=lambda v: v if "\n" not in v else ""
)
def test_docs_yaml_blocks_load(name: str, block: str) -> None:
    if name == "none":
        pytest.skip("no whole-scenario YAML block in docs/ yet")
    load_text(block, name)
