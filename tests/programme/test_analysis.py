"""The scenario-level programme analysis and the `bastion schedule` command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from bastion.cli import app
from bastion.online import line_online_months
from bastion.programme.analysis import analyse_schedule
from bastion.programme.risk import triangular_cdf
from bastion.scenario import load_text

runner = CliRunner()
PSPLIB = Path(__file__).resolve().parents[1] / "data" / "psplib"


def scenario(tasks: str, resources: str = "{}", start: str = '"2026-02"') -> str:
    return f"""\
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
      l2: {{makes: [a], capacity_per_month: 10, online: "2031-01", optional: true}}
customers:
  c: {{country: LV}}
programme:
  start: {start}
  resources: {resources}
  tasks:
{tasks}
"""


CHAIN = """\
    permit: {duration_months: 2.5}
    build: {duration_months: 10, after: [permit]}
    ready: {duration_months: 11, after: [build]}
"""


def test_chain_with_fractional_durations_and_the_ceil_rule() -> None:
    s = load_text(scenario(CHAIN))
    data = analyse_schedule(s, paths=0).to_json()
    assert data["makespan_months"] == 23.5
    # finish 2.5 -> month ceil(2.5) - 1 = 2 from 2026-02 = 2026-04; 12.5 -> 12 = 2027-02; 23.5 -> 23
    assert data["finish"] == {"permit": "2026-04", "build": "2027-02", "ready": "2028-01"}
    assert data["critical_path"] == ["permit", "build", "ready"]
    # milestone at 23.5 months from programme start (24.5 from horizon start): output from month 25
    assert data["line_online"] == {"l1": "2028-02"}
    assert line_online_months(s)["l1"] == 25


def test_resource_forces_parallel_tasks_into_sequence() -> None:
    tasks = """\
    x: {duration_months: 3, uses: {crew: 1}}
    y: {duration_months: 2, uses: {crew: 1}}
    ready: {duration_months: 0, after: [x, y]}
"""
    data = analyse_schedule(load_text(scenario(tasks, "{crew: 1}")), paths=0).to_json()
    starts = {t["task"]: t["start_months"] for t in data["tasks"]}
    # least makespan 5, then least sum of finishes: the short task first (2 + 5 < 3 + 5)
    assert data["makespan_months"] == 5
    assert starts == {"y": 0.0, "x": 2.0, "ready": 5.0}
    assert data["optimal"] is True
    assert data["finish"]["ready"] == "2026-07"  # zero duration: the month of its start (5)


def test_degenerate_ranges_give_a_step_at_the_deterministic_makespan() -> None:
    data = analyse_schedule(load_text(scenario(CHAIN)), paths=500, seed=3).to_json()
    risk = data["risk"]
    assert risk["makespan"] == {"p10": 23.5, "p50": 23.5, "p90": 23.5}
    for x, p in risk["s_curve"]:
        assert p == (1.0 if x >= 23.5 else 0.0)
    assert risk["first_output"]["p_within_24_months"] == 0.0  # online from month 24 of the programme


def test_probability_of_first_output_within_24_months_matches_the_triangular_cdf() -> None:
    a, c, b = 18.0, 22.0, 30.0
    s = load_text(scenario(f"    ready: {{duration_months: [{a:g}, {c:g}, {b:g}]}}\n"))
    n = 20_000
    p = analyse_schedule(s, paths=n, seed=11).p_first_output_within(24)
    assert p is not None
    # output within the first 24 programme months <=> ceil(f) <= 23 <=> f <= 23
    exact = float(triangular_cdf(np.array([23.0]), a, c, b)[0])
    assert abs(p - exact) <= 4 * math.sqrt(exact * (1 - exact) / n)


def test_schedule_json_command(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(scenario(CHAIN))
    result = runner.invoke(app, ["schedule", str(f), "--json", "--paths", "200"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"makespan_months", "finish", "critical_path", "risk"}
    assert set(data["risk"]["first_output"]) == {"p10", "p50", "p90", "p_within_24_months"}


def test_schedule_terminal_output_names_the_headline(reference_path: Path) -> None:
    result = runner.invoke(app, ["schedule", str(reference_path), "--paths", "500"])
    assert result.exit_code == 0, result.output
    assert "Critical path" in result.output
    assert "P(within 24 months" in result.output
    assert result.output.count("UNCLASSIFIED - ILLUSTRATIVE EXAMPLE") == 2


def test_psplib_command_reaches_the_optimum() -> None:
    result = runner.invoke(app, ["schedule", "--psplib", str(PSPLIB / "j30" / "j301_1.sm"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["makespan"] == 43 and data["optimal"] is True
    assert data["starts"]["1"] == 0 and len(data["starts"]) == 32


def test_bad_psplib_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sm"
    bad.write_text((PSPLIB / "j30" / "j301_1.sm").read_text()[:900])
    result = runner.invoke(app, ["schedule", "--psplib", str(bad)])
    assert result.exit_code == 2
    assert "bad.sm" in result.output


def test_a_task_cycle_is_refused_before_scheduling(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(
        scenario("    a: {duration_months: 1, after: [ready]}\n    ready: {duration_months: 1, after: [a]}\n")
    )
    result = runner.invoke(app, ["schedule", str(f)])
    assert result.exit_code == 2
    assert "task cycle" in result.output


def test_a_scenario_without_a_programme_still_gives_a_result(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    result = runner.invoke(app, ["schedule", str(root / "examples" / "minimal.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["line_online"] == {"line-1": "2027-03"} and data["critical_path"] == []
