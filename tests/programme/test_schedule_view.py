"""`bastion schedule` on the terminal: the critical path as a path with side-by-side branches,
and finish quantiles as dates with months, labelled P10/P50/P90."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from bastion.cli import app
from bastion.programme.analysis import analyse_schedule, critical_path_text, critical_steps, month_of_finish
from bastion.scenario import load_text

runner = CliRunner()

SCENARIO = """\
bastion: 1
name: t
horizon: {{start: "2026-01", months: 60}}
items:
  a: {{made: true}}
sites:
  p:
    country: LV
    lines:
      l1: {{makes: [a], capacity_per_month: 10, online: {{milestone: ready}}}}
customers:
  c: {{country: LV}}
programme:
  start: "2026-02"
  tasks:
{tasks}
"""

# permit, then two 10-month branches side by side (both critical) and a 4-month one with float,
# then a 1.5-month commissioning, then the zero-length milestone: 2 + 10 + 1.5 = 13.5 months.
BRANCHES = """\
    permit: {duration_months: 2}
    build: {duration_months: 10, after: [permit]}
    equip: {duration_months: 10, after: [permit]}
    train: {duration_months: 4, after: [permit]}
    commission: {duration_months: 1.5, after: [build, equip, train]}
    ready: {duration_months: 0, after: [commission]}
"""


def _output(tmp_path: Path, tasks: str, *args: str) -> str:
    f = tmp_path / "s.yaml"
    f.write_text(SCENARIO.format(tasks=tasks), "utf-8")
    result = runner.invoke(app, ["schedule", str(f), *args], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_critical_steps_group_side_by_side_tasks() -> None:
    tasks = [("a", 0, 2), ("b", 2, 12), ("c", 2, 12), ("d", 12, 13.5), ("m", 13.5, 13.5)]
    assert critical_steps(tasks) == [["a"], ["b", "c"], ["d"], ["m"]]
    assert critical_steps([("x", 0, 3), ("y", 3, 5)]) == [["x"], ["y"]]  # touching is in sequence
    assert critical_path_text([["a"], ["b", "c"], ["d"]]) == "a → (b ∥ c) → d"
    assert [month_of_finish(x) for x in (0, 0.5, 1.0, 23.5, 24.0, 24.000000001)] == [0, 0, 0, 23, 23, 23]


def test_parallel_branches_print_as_such(tmp_path: Path) -> None:
    data = analyse_schedule(load_text(SCENARIO.format(tasks=BRANCHES)), paths=0).to_json()
    assert data["critical_steps"] == [["permit"], ["build", "equip"], ["commission"], ["ready"]]
    text = _output(tmp_path, BRANCHES, "--paths", "0")
    assert "Critical path (∥: side by side, both critical): permit → (build ∥ equip) → commission → ready" in text
    assert "build → equip" not in text
    assert "Beside it, with float: train" in text
    assert "programme from 2026-02 to 2027-03, 13.5 months" in text  # finish 13.5: month 13 = 2027-03


def test_finish_quantiles_are_dates_with_months(tmp_path: Path) -> None:
    # fixed durations: every sampled schedule is the mode schedule, so P10 = P50 = P90 = 13.5 months
    text = _output(tmp_path, BRANCHES, "--paths", "300", "--seed", "4")
    assert ("Programme finish: P10 2027-03 (13.5 months), P50 2027-03 (13.5 months), "
            "P90 2027-03 (13.5 months) from 2026-02") in text
    assert "300 sampled schedules, seed 4" in text
    assert re.search(r"┃ task\s+┃ P10\s+┃ P50\s+┃ P90\s+┃ critical ┃", text)
    # build finishes at 12.0 months: month 11 from 2026-02 = 2027-01, in all three columns; critical in all
    assert re.search(r"│ build\s+│ 2027-01 │ 2027-01 │ 2027-01 │ 100%\s+│", text)
    # train finishes at 6.0: month 5 = 2026-07; never critical (6 months of float)
    assert re.search(r"│ train\s+│ 2026-07 │ 2026-07 │ 2026-07 │ 0%\s+│", text)
    assert "29.439" not in text and not re.search(r"P\d0 \d+\.\d{2,}", text)  # no bare month counts


def test_the_reference_schedule_fits_80_columns(reference_path: Path) -> None:
    result = runner.invoke(app, ["schedule", str(reference_path), "--paths", "300"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "…" not in result.output  # nothing cut
    assert "(construction ∥ equipment-procurement)" in " ".join(result.output.split())
    assert max(len(line) for line in result.output.splitlines()) <= 80
