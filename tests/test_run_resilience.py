"""`bastion run`'s resilience figures are `bastion resilience`'s (the state rule, not run's plan).

In both cases the plan as solved and the state rule's plan differ at M (holding cost 0): analysed as
solved, the two-node case gives fuze-co TTS 0 and 300 units lost; by the rule, TTS 4.7 and none.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bastion.cli import app

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "examples" / "minimal.yaml"

TWO_NODES = """bastion: 1
name: two nodes
horizon: {start: "2026-01", months: 12}
items:
  atm: {made: true, bom: {fuze: 1}}
  fuze: {made: false}
suppliers:
  fuze-co:
    country: LV
    supplies:
      fuze: {price: 1, lead_time_months: 1, capacity_per_month: 150}
    disruption: {rate_per_year: 0.1, recovery_months: [0.5, 3, 5]}
sites:
  plant:
    country: LV
    initial_store: {fuze: 120}
    lines:
      line-a:
        makes: [atm]
        capacity_per_month: 150
        online: "2026-03"
        ramp_months: 2
        outage: {rate_per_year: 0.1, recovery_months: [0.5, 2, 3]}
customers:
  army:
    country: LV
    initial_stock: {atm: 50}
    consumption: {atm: 100}
"""


def _nodes(args: list[str]) -> list[dict[str, object]]:
    res = CliRunner().invoke(app, args)
    assert res.exit_code in (0, 3), res.output
    data = json.loads(res.stdout)
    if "resilience" in data:
        data = data["resilience"]
    nodes: list[dict[str, object]] = data["nodes"]
    for n in nodes:  # seconds and solve counts are not figures
        n.pop("seconds", None)
    return nodes


@pytest.mark.parametrize("case", ["minimal", "two-nodes"])
def test_run_resilience_equals_resilience(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASTION_HOME", str(tmp_path))
    if case == "minimal":
        file = MINIMAL
    else:
        file = tmp_path / "two.yaml"
        file.write_text(TWO_NODES, encoding="utf-8")
    alone = _nodes(["resilience", str(file), "--json"])
    in_run = _nodes(["run", str(file), "--json", "--no-store", "--paths", "100",
                     "--out", str(tmp_path / "out")])
    assert alone and in_run == alone
    if case == "two-nodes":
        [fuze] = [n for n in alone if n["node"] == "fuze-co"]
        assert (fuze["tts_months"], fuze["lost_units"]) == (4.7, 0.0)
