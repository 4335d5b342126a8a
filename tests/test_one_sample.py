"""One number per question in one run: the run's paths and seed everywhere, and each figure names its sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from bastion.cli import app
from bastion.plan import solve_plan
from bastion.programme.analysis import analyse_schedule
from bastion.run import execute, headline
from bastion.scenario import load_text
from bastion.simulate import simulate

runner = CliRunner()

# A line whose online month is a milestone with a wide duration range: about half of the futures
# bring first output inside the programme's first 24 months.
SCENARIO = """\
bastion: 1
name: one-sample
horizon: {start: "2026-01", months: 48}
items: {a: {made: true}}
sites:
  p:
    country: LV
    lines:
      l1: {makes: [a], capacity_per_month: 10, online: {milestone: ready}, variable_cost_per_unit: 5}
customers:
  c: {country: LV, targets: [{item: a, by: "2029-06", units: 60}]}
programme:
  start: "2026-02"
  tasks:
    build: {duration_months: [12, 16, 26]}
    ready: {duration_months: [1, 3, 6], after: [build]}
"""


def test_schedule_and_simulate_draw_the_same_futures() -> None:
    s = load_text(SCENARIO)
    n, seed = 2_500, 7  # two full blocks of 1,024 paths and a partial one
    sched = analyse_schedule(s, paths=n, seed=seed)
    sim = simulate(s, solve_plan(s, explain=False, sensitivity=False), paths=n, seed=seed)
    assert sched.first_output is not None
    # path by path the same first-output month, so the same probability, to the last digit
    assert np.array_equal(sched.first_output, sim.per_path.first_output.astype(np.int64))
    p = sched.p_first_output_within()
    assert p is not None and 0.2 < p < 0.8
    assert p == sim.first_output.p_within_24_months
    other = analyse_schedule(s, paths=n, seed=seed + 1).p_first_output_within()
    assert other != p  # the seed matters (the check above is not vacuous)


def test_a_run_uses_its_paths_and_seed_everywhere(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(SCENARIO, "utf-8")
    run = execute(f, paths=1_500, seed=5, stages=("schedule", "plan", "simulate", "economics"))
    data = run.to_json()
    head = headline(run)
    assert head["first_output_from"] == "simulate"
    p = data["simulate"]["first_output"]["p_within_24_months"]
    assert head["p_first_output_within_24_months"] == p
    assert data["schedule"]["risk"]["first_output"]["p_within_24_months"] == p
    assert data["schedule"]["risk"]["paths"] == data["simulate"]["paths"] == data["economics"]["jcl"]["paths"] == 1_500
    assert head["jcl_paths"] == 1_500 and data["simulate"]["seed"] == data["schedule"]["risk"]["seed"] == 5

    from bastion.cli.common import console
    from bastion.cli.run_view import render_headline
    from bastion.report.content import headline as report_headline

    out = console()
    with out.capture() as captured:
        render_headline(run, head, "r1", tmp_path / "report.html", out)
    text = " ".join(captured.get().split())
    assert f"{p:.1%} (simulation, 1,500 paths, seed 5)" in text
    assert "1,500 simulated paths, seed 5" in text
    boxes = {h.label: h for h in report_headline({**data, "run_id": "r1"})}
    assert "simulation, 1,500 paths, seed 5" in boxes["First output (P50)"].detail
    assert "1,500 simulated paths" in boxes["70% joint confidence (JCL)"].detail


def test_economics_draws_as_many_paths_as_simulate_by_default(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(SCENARIO, "utf-8")
    result = runner.invoke(app, ["economics", str(f), "--json"])
    assert result.exit_code == 0, result.output
    jcl = json.loads(result.output)["jcl"]
    assert jcl["paths"] == 10_000 and jcl["seed"] == 0
    text = runner.invoke(app, ["economics", str(f), "--paths", "700", "--seed", "4"]).output
    assert "700 simulated paths, seed 4" in " ".join(text.split())


def test_schedule_says_which_sample(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(SCENARIO, "utf-8")
    text = " ".join(runner.invoke(app, ["schedule", str(f), "--paths", "600", "--seed", "2"]).output.split())
    assert "600 sampled schedules, seed 2" in text and "same --paths and --seed" in text
