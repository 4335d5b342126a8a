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
from bastion.study.worker import THREAD_VARIABLES, one_thread, thread_cpu_seconds, thread_settings

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
