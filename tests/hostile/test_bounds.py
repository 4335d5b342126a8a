"""Issue 21, failure 1: a scenario with values at the edges of their documented ranges runs in every engine.

Each file in tests/data/bounds/ is `valid-base.yaml` with every value of one
kind at the edge of its range (docs/scenario.md): quantities just under 1e15
(capacities, stocks, consumption, target units), money just under 1e15
(price, fixed cost, capex, budget) with the steepest learning curve, a bom of
1e6 with scrap 0.99, delays as long as the horizon and durations of 1200
months, resources of 1000 and priority 100, rates of 120 a year. None may
overflow a cast, an allocation or a solver bound: each engine gives its
result (`plan` may say the plan is short: exit 3), never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bastion.cli import app
from bastion.scenario import load_scenario

BOUNDS = Path(__file__).resolve().parents[1] / "data" / "bounds"
FILES = sorted(p.name for p in BOUNDS.glob("*.yaml"))
COMMANDS = [
    (["plan", "--json"], (0, 3)),
    (["simulate", "--paths", "50", "--json"], (0,)),
    (["schedule", "--paths", "50", "--json"], (0,)),
    (["resilience", "--json"], (0,)),
    (["economics", "--paths", "50", "--json"], (0,)),
]


def test_the_edge_files_are_there() -> None:
    kinds = ["bom", "money", "quantities", "rates", "time"]
    assert [f"bounds-{kind}.yaml" for kind in kinds] == FILES


@pytest.mark.parametrize("name", FILES)
def test_edge_values_are_valid(name: str) -> None:
    scenario = load_scenario(BOUNDS / name)
    assert scenario.horizon.months == 24


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize(("args", "codes"), COMMANDS, ids=lambda a: a[0] if isinstance(a, list) else "")
def test_every_engine_answers_at_the_edges(name: str, args: list[str], codes: tuple[int, ...]) -> None:
    res = CliRunner().invoke(app, [args[0], str(BOUNDS / name), *args[1:]])
    assert res.exit_code in codes, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.stdout.lstrip().startswith("{")
