"""A scenario's programme schedule stops after a fixed amount of CP-SAT work, not seconds."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path
from typing import Any

import pytest

from bastion.programme import rcpsp
from bastion.programme import scenario as sp
from bastion.programme.network import Network
from bastion.scenario import load_text

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_scale.py"


def _programme(tasks: int) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("bench_scale", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    prog: dict[str, Any] = mod.programme(tasks, random.Random(3))
    return prog


def _network(tasks: int) -> Network:
    import numpy as np

    prog = _programme(tasks)
    names = list(prog["tasks"])
    index = {t: k for k, t in enumerate(names)}
    res = list(prog["resources"])
    return Network(
        tasks=tuple(names),
        durations=np.array([prog["tasks"][t]["duration_months"] for t in names], dtype=float),
        preds=tuple(tuple(index[p] for p in prog["tasks"][t].get("after", [])) for t in names),
        resources=tuple(res),
        capacity=np.array([prog["resources"][r] for r in res], dtype=np.int64),
        demand=np.array([[prog["tasks"][t].get("uses", {}).get(r, 0) for r in res] for t in names],
                        dtype=np.int64),
    )


def test_the_work_limit_is_cp_sats_deterministic_time() -> None:
    solver = rcpsp._solver(60.0, 1, 0, work_limit=0.2)
    assert solver.parameters.max_deterministic_time == pytest.approx(0.2)
    assert solver.parameters.max_time_in_seconds == pytest.approx(60.0)


def test_a_search_stopped_by_work_gives_the_same_schedule_each_time() -> None:
    """A programme too large to prove in the work given: stopped, `optimal: false`, and the
    same starts on every run (a wall-clock stop would depend on the machine's load)."""
    net = _network(300)
    a = rcpsp.schedule(net, time_limit_s=600, work_limit=0.01)
    b = rcpsp.schedule(net, time_limit_s=600, work_limit=0.01)
    assert not a.optimal
    assert a.starts == b.starts and a.makespan == b.makespan


def test_the_scenario_schedule_is_solved_once_per_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float | None] = []
    real = rcpsp.schedule

    def spy(net: Network, time_limit_s: float = 30.0, workers: int = 1, seed: int = 0,
            work_limit: float | None = None) -> Any:
        calls.append(work_limit)
        return real(net, time_limit_s=time_limit_s, workers=workers, seed=seed, work_limit=work_limit)

    monkeypatch.setattr(rcpsp, "schedule", spy)
    text = """
bastion: 1
name: p
horizon: {start: 2026-01, months: 24}
items: {widget: {made: true}}
sites:
  s: {country: LV, lines: {l: {makes: [widget], capacity_per_month: 10, online: {milestone: b}}}}
customers: {c: {country: LV, consumption: {widget: 1}}}
programme:
  start: 2026-01
  resources: {crew: 1}
  tasks:
    a: {duration_months: [1, 2, 3], uses: {crew: 1}}
    b: {duration_months: [1, 2, 3], uses: {crew: 1}}
"""
    s1, s2 = load_text(text), load_text(text)
    first = sp.deterministic_schedule(s1)
    assert sp.deterministic_schedule(s1) is first  # the same (frozen) scenario: reused
    assert calls == [sp.SCENARIO_WORK_LIMIT]
    again = sp.deterministic_schedule(s2)  # an equal but other scenario: solved again
    assert again is not first and again.schedule.starts == first.schedule.starts
    sp.deterministic_schedule(s1, time_limit_s=5.0)  # a wall-clock limit: never cached
    assert calls == [sp.SCENARIO_WORK_LIMIT, sp.SCENARIO_WORK_LIMIT, None]
