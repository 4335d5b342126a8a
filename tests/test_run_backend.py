"""`bastion run` simulates with the `auto` backend; its numbers are the same on numpy and compiled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bastion.run import execute

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "src" / "bastion" / "scenario" / "examples" / "baltic-atm-plant.yaml"
VOLATILE = {"timings", "seconds", "backend", "chunk", "workers", "versions"}
"""How a result was computed, not what it says."""

HAND = """
bastion: 1
name: hand case
horizon: {start: "2026-01", months: 12}
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines:
      line-1:
        makes: [shell]
        capacity_per_month: 100
        variable_cost_per_unit: 10
        outage: {rate_per_year: 1, recovery_months: [1, 1, 1]}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-12", units: 1100}]}
"""


def _numbers(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _numbers(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list):
        return [_numbers(v) for v in x]
    return x


_PLANS: list[tuple[Any, Any]] = []
"""(scenario, its deterministic plan) solved once for this module (see `_cache`)."""


@pytest.fixture(autouse=True)
def _cache(numba_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here shares the session's numba cache (compiled once), and the run's plan stage
    solves each scenario once for the module: the backend is the simulator's, the plan does not
    depend on it (each solve of the reference takes seconds; `bastion.run` calls
    `bastion.plan.solve_plan`, the confidence plan its own solves, which still run)."""
    import bastion.plan

    solve = bastion.plan.solve_plan

    def once(scenario: Any, **kw: Any) -> Any:
        for sc, plan in _PLANS:
            if sc == scenario:
                return plan
        plan = solve(scenario, **kw)
        _PLANS.append((scenario, plan))
        return plan

    monkeypatch.setattr(bastion.plan, "solve_plan", once)


def test_run_numbers_equal_on_numpy_and_compiled() -> None:
    stages = ("plan", "simulate", "economics")
    runs = {b: execute(REFERENCE, paths=2048, seed=5, stages=stages, backend=b) for b in ("numpy", "compiled")}
    assert {b: r.results["simulate"].backend for b, r in runs.items()} == {  # type: ignore[attr-defined]
        "numpy": "numpy", "compiled": "compiled"}
    a, b = (_numbers(r.to_json()) for r in runs.values())
    assert a["simulate"]["targets"] and a["economics"]["jcl"]
    assert a == b
    cost = [r.results["simulate"].per_path.cost for r in runs.values()]  # type: ignore[attr-defined]
    assert (cost[0] == cost[1]).all()


def test_confidence_validation_equal_on_numpy_and_compiled(tmp_path: Path) -> None:
    file = tmp_path / "hand.yaml"
    file.write_text(HAND, encoding="utf-8")
    runs = [execute(file, paths=4096, seed=2, stages=("plan", "simulate"), confidence=0.5, futures=40,
                    backend=b) for b in ("numpy", "compiled")]
    a, b = (_numbers(r.to_json()) for r in runs)
    assert a["confidence"]["targets"][0]["validated"]["probability"] > 0
    assert a == b


def test_run_picks_auto_like_the_simulate_command() -> None:
    from bastion.simulate import prepare
    from bastion.simulate.compiled import choose_backend

    run = execute(REFERENCE, paths=10_000, stages=("plan", "simulate"))
    assert run.backend == "auto"
    _pa, _u, p = prepare(run.scenario, run.results["plan"])  # type: ignore[arg-type]
    assert run.results["simulate"].backend == choose_backend("auto", p, 10_000) == "compiled"  # type: ignore[attr-defined]
