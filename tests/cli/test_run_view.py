"""`runs show` and `runs compare` in words: labels, units, percentages, money; added list items as such."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from bastion.cli.run_view import render_compare, render_record
from bastion.store import RunRecord, compare, scenario_hash

TEXT_A = """\
bastion: 1
name: Baltic plant
customers:
  pl-af:
    targets:
      - {item: atm-1, by: "2030-12", units: 500}
suppliers:
  steel:
    supplies:
      body: {price: 46, capacity_per_month: 1200}
"""
TEXT_B = TEXT_A.replace(
    '      - {item: atm-1, by: "2030-12", units: 500}\n',
    '      - {item: atm-1, by: "2030-12", units: 500}\n      - {item: atm-1, by: "2034-12", units: 10000}\n',
).replace("capacity_per_month: 1200", "capacity_per_month: 600")


def _head(p: float, cost: float, extra: bool) -> dict[str, Any]:
    targets = [{"customer": "pl-af", "item": "atm-1", "by": "2030-12", "units": 500.0,
                "planned_units": 499.99999, "met_in_plan": True, "probability": p}]
    if extra:
        targets.append({"customer": "pl-af", "item": "atm-1", "by": "2034-12", "units": 10000.0,
                        "planned_units": 24229.9997, "met_in_plan": False, "probability": None})
    return {"status": "ok", "first_output_p50": "2028-04", "p_first_output_within_24_months": 0.7194,
            "plan_first_output": "2028-01", "targets": targets, "plan_cost": cost, "capex": 63375.0,
            "total_cost": cost - 13930.4, "jcl_p70_month": None, "jcl_p70_cost": None,
            "jcl_by_target": [], "worst_node": "parts-lv", "exposed_nodes": 0}


def _record(run_id: str, text: str, head: dict[str, Any], paths: int = 10000) -> RunRecord:
    return RunRecord(run_id=run_id, created_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
                     scenario_name="Baltic plant [draft v2]", scenario_file="b.yaml", scenario_text=text,
                     scenario_hash=scenario_hash(text), seed=0, paths=paths,
                     versions={"bastion": "0.1.0"}, timings={"plan": 1.25}, status="ok", headline=head,
                     results={"plan": {"currency": "EUR"}})


def _text(render: Any, *args: Any) -> str:
    buf = io.StringIO()
    out = Console(file=buf, width=120, color_system=None, highlight=False, emoji=False)
    if render is render_compare:
        render(args[0], out, *args[1:])
    else:
        render(*args, out)
    return buf.getvalue()


def test_runs_show_labels_every_number() -> None:
    out = _text(render_record, _record("r1", TEXT_A, _head(0.7194, 1_234_567.0, extra=True)))
    assert out.splitlines()[:6] == [
        "run r1 at 2026-11-30T09:00:00+00:00",
        "scenario Baltic plant [draft v2] (b.yaml)",
        f"sha256 {scenario_hash(TEXT_A)}",
        "seed 0, 10,000 paths, status ok",
        "versions: bastion 0.1.0",
        "timings: plan 1.2 s",
    ]
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert rows == [
        "│ Status                                           │         ok │",
        "│ First output, P50 (month)                        │    2028-04 │",
        "│ P(first output within 24 months)                 │      71.9% │",
        "│ First output in the plan (month)                 │    2028-01 │",
        "│ Target pl-af atm-1 by 2030-12: units wanted      │        500 │",
        "│ Target pl-af atm-1 by 2030-12: units in the plan │        500 │",
        "│ Target pl-af atm-1 by 2030-12: met in the plan   │        yes │",
        "│ Target pl-af atm-1 by 2030-12: P(met)            │      71.9% │",
        "│ Target pl-af atm-1 by 2034-12: units wanted      │     10,000 │",
        "│ Target pl-af atm-1 by 2034-12: units in the plan │     24,230 │",
        "│ Target pl-af atm-1 by 2034-12: met in the plan   │         no │",
        "│ Target pl-af atm-1 by 2034-12: P(met)            │        n/a │",
        "│ Plan cost                                        │  1.2 M EUR │",
        "│ Capex                                            │ 63,375 EUR │",
        "│ Total cost, learning-adjusted                    │  1.2 M EUR │",
        "│ 70% joint confidence, every target: month        │        n/a │",
        "│ 70% joint confidence, every target: cost         │        n/a │",
        "│ Most exposed node                                │   parts-lv │",
        "│ Nodes with TTS < TTR (count)                     │          0 │",
    ]
    for raw in ("None", "0.7194", "24229.9997", "planned_units", "met_in_plan"):
        assert raw not in out


def test_runs_compare_shows_added_items_changes_and_money() -> None:
    a = _record("run-a", TEXT_A, _head(0.7194, 1_234_567.0, extra=False))
    b = _record("run-b", TEXT_B, _head(0.5, 1_220_637.0, extra=True), paths=20000)
    out = _text(render_compare, compare(a, b), "EUR")
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[:6] == [
        "run-a → run-b",
        "Scenario: 2 lines added, 1 line removed",
        '  customers.pl-af.targets[atm-1/2034-12]: added {item: atm-1, by: "2034-12", units: 10000} (line 7)',
        "  suppliers.steel.supplies.body: {price: 46, capacity_per_month: 1200} → "
        "{price: 46, capacity_per_month: 600} (line 11)",
        "paths: 10,000 → 20,000",
        "Effect on the headline",
    ]
    rows = [line for line in lines if line.startswith("│")]
    assert rows == [
        "│ Target pl-af atm-1 by 2030-12: P(met)            │     71.9% │     50.0% │   -21.9 pts │",
        "│ Plan cost                                        │ 1.2 M EUR │ 1.2 M EUR │ -13,930 EUR │",
        "│ Total cost, learning-adjusted                    │ 1.2 M EUR │ 1.2 M EUR │ -13,930 EUR │",
        "│ Target pl-af atm-1 by 2034-12: units wanted      │         - │    10,000 │       added │",
        "│ Target pl-af atm-1 by 2034-12: units in the plan │         - │    24,230 │       added │",
        "│ Target pl-af atm-1 by 2034-12: met in the plan   │         - │        no │       added │",
        "│ Target pl-af atm-1 by 2034-12: P(met)            │         - │       n/a │       added │",
    ]


def test_a_removed_item_and_unknown_keys_read_as_words() -> None:
    a = _record("run-a", TEXT_B, {"targets": [], "new_metric": 0.25, "months_short": 3})
    b = _record("run-b", TEXT_A, {"targets": [], "new_metric": 1234.5678})
    lines = _text(render_compare, compare(a, b), "EUR").splitlines()
    assert '  customers.pl-af.targets[atm-1/2034-12]: removed {item: atm-1, by: "2034-12", units: 10000} ' \
        "(was line 7)" in lines
    rows = [line for line in lines if line.startswith("│")]
    assert rows == [
        "│ new metric   │   0.25 │ 1,235 │ +1,234 (+493,727.1%) │",
        "│ months short │      3 │     - │              removed │",
    ]
