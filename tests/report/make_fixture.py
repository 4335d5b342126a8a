"""Regenerate the report's test fixture from the packaged reference scenario.

    .venv/bin/python tests/report/make_fixture.py

Writes tests/report/data/run-reference.json (one run as `Run.to_json()` gives it)
and tests/report/data/tables-reference.json (the plan's tidy tables as records),
so the report tests never re-run the engines. Engines that cannot be imported
are left out of the run, as a run without them would be.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bastion.store.record import package_versions, scenario_hash

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "src/bastion/scenario/examples/baltic-atm-plant.yaml"
DATA = Path(__file__).resolve().parent / "data"
PATHS = 2000
SEED = 0


# The short variant: Lithuania's 2032-12 target raised from 30,000 to 36,000, beyond what the plan
# can make by then: the report then has to say why it is short and what fixes it.
SHORT = ('- {item: atm-1, by: "2032-12", units: 30000}', '- {item: atm-1, by: "2032-12", units: 36000}')


def build(short: bool = False) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The run dict and the plan tables of the reference scenario (or of its short variant)."""
    from bastion.economics import economics
    from bastion.plan import solve_plan
    from bastion.programme.analysis import analyse_schedule
    from bastion.scenario import load_text

    text = SCENARIO.read_text(encoding="utf-8")
    if short:
        assert SHORT[0] in text
        text = text.replace(*SHORT)
    scenario = load_text(text)
    timings: dict[str, float] = {}
    results: dict[str, dict[str, Any]] = {}

    t0 = time.perf_counter()
    results["schedule"] = analyse_schedule(scenario, paths=PATHS, seed=SEED).to_json()
    timings["schedule"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    plan = solve_plan(scenario)
    results["plan"] = plan.to_json()
    timings["plan"] = time.perf_counter() - t0

    sim: Any = None
    try:
        from bastion.simulate import simulate
    except ImportError:
        pass
    else:
        t0 = time.perf_counter()
        sim = simulate(scenario, plan, paths=PATHS, seed=SEED)
        results["simulate"] = sim.to_json()
        timings["simulate"] = time.perf_counter() - t0

    try:
        from bastion.resilience import resilience
    except ImportError:
        pass
    else:
        t0 = time.perf_counter()
        results["resilience"] = resilience(scenario, plan).to_json()
        timings["resilience"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if sim is not None:
        eco = economics(scenario, plan, sim_costs=sim.per_path.cost, sim_months=sim.per_path.met_month)
    else:
        eco = economics(scenario, plan)
    results["economics"] = eco.to_json()
    timings["economics"] = time.perf_counter() - t0

    run: dict[str, Any] = {
        "scenario": scenario.name,
        "scenario_file": str(SCENARIO.relative_to(ROOT)).replace(".yaml", "-short.yaml" if short else ".yaml"),
        "scenario_hash": scenario_hash(text),
        "classification": scenario.classification,
        "seed": SEED,
        "paths": PATHS,
        "versions": package_versions(),
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "status": "short" if plan.short else "ok",
    }
    run.update(results)
    assert plan.tables is not None, "the reference plan has tables"
    tables = {t.name: _rounded(t.records()) for t in plan.tables.all()}
    return run, tables


def _rounded(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Floats to 6 significant digits: the fixture stays small and its diffs readable."""
    return [{k: float(f"{v:.6g}") if isinstance(v, float) else v for k, v in r.items()} for r in records]


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    for name, short in (("reference", False), ("short", True)):
        run, tables = build(short)
        (DATA / f"run-{name}.json").write_text(json.dumps(run, indent=1) + "\n", encoding="utf-8")
        (DATA / f"tables-{name}.json").write_text(json.dumps(tables) + "\n", encoding="utf-8")
        print(f"wrote {DATA / f'run-{name}.json'} and {DATA / f'tables-{name}.json'}")


if __name__ == "__main__":
    main()
