"""Pieces of a study without Dask: the task, the tornado ranking, the progress line, bad --confidence."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bastion.cli.study_view import StudyProgress
from bastion.study.engine import Progress
from bastion.study.result import tornado_rankings
from bastion.study.task import VariantTask, run_variant

from .conftest import invoke


def test_a_variant_that_fails_inside_its_task_is_reported_not_raised() -> None:
    out = run_variant(VariantTask("v9", '{"bastion": 1, "name": "x"}', seed=1, paths=10))
    assert out["status"] == "failed" and out["plan"] is None and out["simulate"] is None
    assert out["message"].startswith("ScenarioError: ") and "horizon" in out["message"]


def test_a_variant_runs_plan_then_simulate_with_its_own_seed(binding: Path) -> None:
    import json

    import yaml

    text = json.dumps(yaml.safe_load(binding.read_text()))
    out = run_variant(VariantTask("v1", text, seed=123, paths=64))
    assert out["status"] == "ok"
    assert out["simulate"]["seed"] == 123 and out["simulate"]["paths"] == 64
    assert out["plan"]["targets"][0]["planned_units"] >= 1050


def _variant(vid: str, param: str | None, direction: str | None, value: Any, cost: float, p: float,
             planned: float) -> dict[str, Any]:
    target = {"customer": "c", "item": "i", "by": "2030-12"}
    v: dict[str, Any] = {"id": vid, "status": "ok", "changes": {param: value} if param else {},
                         "plan": {"cost": {"total": cost}, "first_output": "2027-01",
                                  "targets": [{**target, "planned_units": planned}]},
                         "simulate": {"targets": [{**target, "probability": p, "stderr": 0.01}]}}
    if param:
        v["meta"] = {"parameter": param, "kind": "capacity", "direction": direction, "base_value": 10}
    return v


def test_the_tornado_ranks_by_swing_then_planned_units_and_fills_a_missing_side_from_the_base() -> None:
    base = _variant("base", None, None, None, 100.0, 0.5, 50)
    variants = [
        _variant("t1", "a", "-", 9, 90.0, 0.5, 40), _variant("t2", "a", "+", 11, 130.0, 0.5, 60),  # swing 0, 20 units
        _variant("t3", "b", "-", 9, 99.0, 0.2, 50), _variant("t4", "b", "+", 11, 101.0, 0.9, 50),  # swing 0.7
        _variant("t5", "c", "+", 11, 100.0, 0.6, 50),  # no "-" side: the base's 0.5 -> swing 0.1
        _variant("t6", "d", "-", 9, 100.0, 0.5, 50), _variant("t7", "d", "+", 11, 100.0, 0.5, 50),
    ]
    out = tornado_rankings(base, variants, 10.0)
    ranking = out["targets"][0]["ranking"]
    assert [(r["parameter"], r["rank"]) for r in ranking] == [("b", 1), ("c", 2), ("a", 3), ("d", 4)]
    assert ranking[1]["low_variant"] == "base" and ranking[1]["low"] == 0.5
    assert abs(ranking[0]["swing"] - 0.7) < 1e-12
    assert [r["parameter"] for r in out["cost"]] == ["a", "b", "c", "d"]  # 40, 2, 0, 0
    assert out["cost"][0]["swing"] == 40.0


def test_progress_is_drawn_on_a_terminal_only() -> None:
    p = Progress(total=6, done=3, per_worker={"tcp://127.0.0.1:1": 2, "tcp://127.0.0.1:2": 1}, workers=2)
    buf = io.StringIO()
    with StudyProgress(Console(file=buf, force_terminal=True, width=120)) as progress:
        progress.tell(p)
        assert progress.live is not None
        progress.live.refresh()
    text = buf.getvalue()
    assert "3 of 6 variants" in text and "2 workers" in text and "tcp://127.0.0.1:1: 2 done" in text
    assert "left" in text
    quiet = io.StringIO()
    with StudyProgress(Console(file=quiet, force_terminal=False)) as progress:
        progress.tell(p)
    assert quiet.getvalue() == ""


def test_bad_confidence_levels_are_refused(binding: Path) -> None:
    result = invoke(["study", str(binding), "--vary", "sites.plant.lines.line-1.capacity_per_month=100",
                     "--confidence", "0.7,x", "--no-store"])
    assert result.exit_code == 2 and "--confidence '0.7,x'" in result.stderr


def test_an_unreachable_scheduler_is_a_clear_error(binding: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bastion.study.engine.CONNECT_TIMEOUT", "1s")
    result = invoke(["study", str(binding), "--vary", "sites.plant.lines.line-1.capacity_per_month=100",
                     "--scheduler", "tcp://127.0.0.1:1", "--no-store", "--json"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "--scheduler tcp://127.0.0.1:1: cannot use this Dask scheduler" in result.stderr
    assert "nothing run" in result.stderr and "Traceback" not in result.stderr


def test_a_store_that_cannot_be_opened_stops_the_study_before_it_runs(binding: Path, tmp_path: Path) -> None:
    result = invoke(["study", str(binding), "--vary", "sites.plant.lines.line-1.capacity_per_month=100",
                     "--db", "nosuch://x", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "cannot use the run store nosuch://x (opening)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_scheduler_without_workers_is_a_clear_error(binding: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import LocalCluster

    monkeypatch.setattr("bastion.study.engine.CONNECT_TIMEOUT", "1s")
    with LocalCluster(n_workers=0, processes=False, dashboard_address="127.0.0.1:0") as cluster:  # type: ignore[no-untyped-call]
        result = invoke(["study", str(binding), "--vary", "sites.plant.lines.line-1.capacity_per_month=100",
                         "--scheduler", cluster.scheduler_address, "--no-store"])
    assert result.exit_code == 2 and "no worker joined the cluster" in result.stderr
