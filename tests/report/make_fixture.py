"""Regenerate the report's test fixture from the packaged reference scenario.

    .venv/bin/python tests/report/make_fixture.py

Writes tests/report/data/run-reference.json (one run as `Run.to_json()` gives it)
and tests/report/data/tables-reference.json (the plan's tidy tables as records),
so the report tests never re-run the engines. The run is `bastion.run.execute`'s,
as `bastion run` makes it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from bastion.store.record import scenario_hash

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "src/bastion/scenario/examples/baltic-atm-plant.yaml"
DATA = Path(__file__).resolve().parent / "data"
PATHS = 2000
SEED = 0


# The short variant: Lithuania's 2032-12 target raised from 30,000 to 36,000, beyond what the plan
# can make by then: the report then has to say why it is short and what fixes it.
SHORT = ('- {item: atm-1, by: "2032-12", units: 30000}', '- {item: atm-1, by: "2032-12", units: 36000}')


def build(short: bool = False) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The run dict and the plan tables of the reference scenario (or of its short variant),
    as `bastion run --paths PATHS --seed SEED` makes them (`bastion.run.execute`)."""
    from bastion.run import execute

    text = SCENARIO.read_text(encoding="utf-8")
    if short:
        assert SHORT[0] in text
        text = text.replace(*SHORT)
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / SCENARIO.name
        file.write_text(text, encoding="utf-8")
        done = execute(file, paths=PATHS, seed=SEED)
    run = done.to_json()
    run["scenario_file"] = str(SCENARIO.relative_to(ROOT)).replace(".yaml", "-short.yaml" if short else ".yaml")
    assert run["scenario_hash"] == scenario_hash(text)
    plan: Any = done.results["plan"]
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
