"""A study's Dask worker runs each variant on the one thread Dask gives it (bastion.study.worker)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from bastion.study.engine import cores, run_tasks
from bastion.study.task import VariantTask
from bastion.study.worker import (
    THREAD_VARIABLES,
    one_thread,
    process_defaults,
    thread_cpu_seconds,
    thread_settings,
)

pytestmark = pytest.mark.skipif(cores() < 2, reason="HiGHS starts no helper thread on one core")


def _in_a_fresh_thread(pin: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def probe() -> None:
        if pin:
            one_thread()
        out.update(thread_settings())

    t = threading.Thread(target=probe)
    t.start()
    t.join()
    return out


def test_highs_left_to_its_default_starts_a_helper_thread_and_one_thread_stops_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bastion.plan import solve

    for name in THREAD_VARIABLES:  # one_thread() sets them in this process: restored afterwards
        monkeypatch.setenv(name, "restored")
    monkeypatch.setattr(solve, "THREADS", None)
    default = _in_a_fresh_thread(pin=False)
    assert not default["highs_pinned"]
    assert default["threads_after_solve"] == default["threads_before_solve"] + 1
    pinned = _in_a_fresh_thread(pin=True)
    assert pinned["highs_pinned"] and pinned["threads_after_solve"] == pinned["threads_before_solve"]
    assert pinned["variables"] == dict.fromkeys(THREAD_VARIABLES, "1")


def test_a_worker_runs_each_variant_on_its_task_thread_alone(reference_path: Path) -> None:
    """The reference's plan, left to HiGHS's defaults, runs part of its work on a helper thread
    (about a fifth here); in a study's worker every CPU second of it is on the task's thread."""
    from distributed import Client, LocalCluster

    text = json.dumps(yaml.safe_load(reference_path.read_text()))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                      dashboard_address="127.0.0.1:0") as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        task_thread = client.submit(threading.get_native_id, pure=False).result()
        [main_thread] = client.run(threading.get_native_id).values()  # the worker's event loop
        [before] = client.run(thread_cpu_seconds).values()
        [result] = run_tasks([VariantTask("v1", text, seed=1, paths=64)], client=client)
        [after] = client.run(thread_cpu_seconds).values()
        settings = client.submit(thread_settings, pure=False).result()  # on the thread the variant ran on
    assert result["status"] in ("ok", "short") and result["timings"]["cpu"] > 0
    elsewhere = {tid: after[tid] - before.get(tid, 0.0) for tid in after if tid not in (task_thread, main_thread)}
    assert after[task_thread] - before[task_thread] > 0.5
    assert sum(elsewhere.values()) <= 0.05, elsewhere
    assert settings["highs_threads"] == 1 and settings["highs_pinned"]
    assert settings["threads_after_solve"] == settings["threads_before_solve"]
    assert settings["variables"] == dict.fromkeys(THREAD_VARIABLES, "1")


def test_the_compiled_step_runs_at_most_numba_num_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    from bastion.simulate.compiled import _cores

    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    assert _cores() == 1
    monkeypatch.delenv("NUMBA_NUM_THREADS")
    assert _cores() == cores()


def _plan_status_and_objective(text: str) -> tuple[str, float | None]:
    from bastion.plan import solve_plan
    from bastion.scenario import load_text

    plan = solve_plan(load_text(text), explain=False, sensitivity=False)
    return plan.status.value, plan.objective


def test_a_variant_after_a_default_solve_on_the_same_thread_and_a_run_after_it_still_solve(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A server's Dask worker runs a run job (HiGHS's default threads) and then a study's variant
    (`one_thread`) on the same thread, then another run (`process_defaults`): HiGHS keeps one
    scheduler per calling thread, started by its first solve, and refused every solver asking
    another thread count ("Not Set": the variant and every later run failed). Every solve here
    is optimal with the same objective as the first, and the run after the variant is back on
    HiGHS's default (its helper thread)."""
    from tests.study.conftest import BINDING

    from bastion.plan import solve
    from bastion.study import worker

    for name in THREAD_VARIABLES:
        monkeypatch.setenv(name, "restored")
    monkeypatch.setattr(solve, "THREADS", None)
    monkeypatch.setattr(worker, "_defaults", None)  # as in a fresh worker process
    out: dict[str, Any] = {}

    def jobs() -> None:
        out["run"] = _plan_status_and_objective(BINDING)  # scheduler started at HiGHS's default
        one_thread()
        out["pinned"] = thread_settings()
        out["variant"] = _plan_status_and_objective(BINDING)
        process_defaults()
        out["defaults"] = thread_settings()
        out["run again"] = _plan_status_and_objective(BINDING)

    t = threading.Thread(target=jobs)
    t.start()
    t.join()
    status, objective = out["run"]
    assert status == "optimal" and objective is not None
    assert out["variant"] == (status, pytest.approx(objective, rel=1e-9))
    assert out["run again"] == (status, pytest.approx(objective, rel=1e-9))
    assert out["pinned"]["highs_pinned"]
    assert out["pinned"]["threads_after_solve"] == out["pinned"]["threads_before_solve"]
    assert out["defaults"]["highs_threads"] is None
    assert out["defaults"]["variables"] == dict.fromkeys(THREAD_VARIABLES, "restored")
