"""`bastion study` on Dask: equal to hand-edited runs, the same on 1, 2 and remote workers,
a worker killed mid-study, invalid variants, the tornado, the store and the files."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.report.pagehtml import Page

from bastion.scenario.load import load_scenario
from bastion.study import execute, prepare
from bastion.study.engine import Progress

from .conftest import comparable, invoke

SUPPLY = "suppliers.parts-lv.supplies.part-b.capacity_per_month"
LINE = "sites.plant.lines.line-1.capacity_per_month"
GRID = ["--vary", f"{SUPPLY}=160,200,240", "--vary", f"{LINE}=100,150"]
PATHS = "1500"
SRC = str(Path(__file__).resolve().parents[2] / "src")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning",
                                        "ignore::pytest.PytestUnraisableExceptionWarning")


def _study(binding: Path, *extra: str, home: Path) -> tuple[int, dict[str, Any], str]:
    result = invoke(["study", str(binding), *GRID, "--paths", PATHS, "--seed", "11", "--json", *extra],
                    env={"BASTION_HOME": str(home), "BASTION_DATABASE_URL": ""})
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}, result.stderr


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    """The 3 x 2 study on a local cluster of 2 workers (stored in a fresh store)."""
    from .conftest import BINDING

    folder = tmp_path_factory.mktemp("study2")
    binding = folder / "binding.yaml"
    binding.write_text(BINDING, encoding="utf-8")
    code, data, err = _study(binding, "--workers", "2", "--out", str(folder / "out"), home=folder / "home")
    assert code == 0, err
    return binding, data, folder


def test_each_variant_equals_plan_and_simulate_of_the_file_edited_by_hand(
        two_workers: tuple[Path, dict[str, Any], Path], tmp_path: Path) -> None:
    binding, data, _ = two_workers
    assert len(data["variants"]) == 6 and data["status"] == "complete"
    doc = yaml.safe_load(binding.read_text())
    for v in data["variants"]:
        edited = json.loads(json.dumps(doc))
        edited["suppliers"]["parts-lv"]["supplies"]["part-b"]["capacity_per_month"] = v["changes"][SUPPLY]
        edited["sites"]["plant"]["lines"]["line-1"]["capacity_per_month"] = v["changes"][LINE]
        file = tmp_path / f"{v['id']}.yaml"
        file.write_text(yaml.safe_dump(edited, sort_keys=False), encoding="utf-8")
        plan = invoke(["plan", str(file), "--json"])
        sim = invoke(["simulate", str(file), "--json", "--paths", PATHS, "--seed", str(v["seed"])])
        plan_json, sim_json = json.loads(plan.stdout), json.loads(sim.stdout)
        assert v["status"] == ("short" if plan_json["short"] else "ok")
        for key in ("status", "objective", "first_output", "cost", "targets", "short"):
            assert v["plan"][key] == plan_json[key], (v["id"], key)
        for key in ("paths", "seed", "first_output", "targets", "expected_cost"):
            assert v["simulate"][key] == sim_json[key], (v["id"], key)
    # the sweep sees the binding supplier: 160 parts a month (80 units) leave the target short
    short = {v["changes"][SUPPLY] for v in data["variants"] if v["status"] == "short"}
    assert short == {160}


def test_one_worker_gives_the_same_study_as_two(two_workers: tuple[Path, dict[str, Any], Path],
                                                 tmp_path: Path) -> None:
    binding, data, _ = two_workers
    code, one, err = _study(binding, "--workers", "1", "--no-store", home=tmp_path)
    assert code == 0, err
    assert comparable(one) == comparable(data)


def _wait_for(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear in {seconds:.0f} s")
        time.sleep(0.2)


@pytest.fixture
def remote_cluster(tmp_path: Path) -> Iterator[str]:
    """A `dask scheduler` and two `dask worker` processes on 127.0.0.1 (torn down afterwards)."""
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(file)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    try:
        _wait_for(file, 60)
        for _ in range(2):
            procs.append(subprocess.Popen([dask, "worker", "--scheduler-file", str(file), "--nworkers", "1",
                                           "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        address = json.loads(file.read_text())["address"]
        with Client(address, timeout="30s") as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def test_a_separately_started_scheduler_and_workers_give_the_same_study(
        two_workers: tuple[Path, dict[str, Any], Path], remote_cluster: str, tmp_path: Path) -> None:
    binding, data, _ = two_workers
    code, remote, err = _study(binding, "--scheduler", remote_cluster, "--no-store", home=tmp_path)
    assert code == 0, err
    assert comparable(remote) == comparable(data)
    assert len({v["timings"]["worker"] for v in remote["variants"]}) >= 1


def test_a_worker_killed_mid_study_is_retried_and_the_numbers_do_not_change(
        two_workers: tuple[Path, dict[str, Any], Path]) -> None:
    from distributed import Client, LocalCluster

    binding, data, _ = two_workers
    scenario = load_scenario(binding)
    prepared = prepare(scenario, str(binding), binding.read_text(),
                       vary=[GRID[1], GRID[3]], seed=11, paths=int(PATHS))
    killed: list[int] = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                      dashboard_address="127.0.0.1:0") as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]

        def kill_one(progress: Progress) -> None:
            """Once the variants are submitted (none done yet), SIGKILL a worker running one."""
            if killed:
                return
            deadline = time.monotonic() + 30
            busy: list[str] = []
            while not busy and time.monotonic() < deadline:
                busy = [w for w, keys in client.processing().items() if keys]
                time.sleep(0.05)
            assert busy and progress.done == 0, "no worker was running a variant"
            pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        study = execute(prepared, study_id="killed", scheduler=cluster.scheduler_address, tell=kill_one,
                        versions=data["versions"])
    assert killed
    got = study.to_json()
    assert got["status"] == "complete"
    assert comparable(got) == comparable({**data, "spec": got["spec"], "scenario_file": got["scenario_file"]})


def test_an_invalid_variant_is_reported_and_the_rest_complete(binding: Path, tmp_path: Path) -> None:
    args = ["study", str(binding), "--vary", f"{SUPPLY}=200,-5,240", "--paths", "200", "--workers", "1",
            "--no-store"]
    stopped = invoke([*args, "--json", "--out", str(tmp_path / "out")])
    assert stopped.exit_code == 2 and stopped.stdout == ""
    assert "variant v2 (suppliers.parts-lv.supplies.part-b.capacity_per_month=-5)" in stopped.stderr
    assert "nothing run" in stopped.stderr and not (tmp_path / "out").exists()
    kept = invoke([*args, "--skip-invalid", "--json"])
    assert kept.exit_code == 3
    data = json.loads(kept.stdout)
    assert [(v["id"], v["status"]) for v in data["variants"]] == [("v1", "ok"), ("v2", "invalid"), ("v3", "ok")]
    assert "capacity_per_month" in data["variants"][1]["message"] and data["status"] == "incomplete"


def test_the_tornado_ranks_the_binding_supplier_first(binding: Path, tmp_path: Path) -> None:
    result = invoke(["study", str(binding), "--tornado", "20", "--paths", "400", "--workers", "2", "--json",
                     "--no-store", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    tornado = json.loads(result.stdout)["tornado"]
    (target,) = tornado["targets"]
    first = target["ranking"][0]
    assert first["parameter"] == SUPPLY and first["kind"] == "capacity"
    assert (first["low_value"], first["high_value"]) == (160, 240)
    assert first["planned_low"] == 880 and first["planned_high"] >= 1050  # 11 months x 80 units; met
    assert first["low"] == 0.0 and first["swing"] > 0.5
    assert all(r["swing"] < first["swing"] for r in target["ranking"][1:])
    charts = Page((tmp_path / "out" / "study.html").read_text()).charts
    assert sorted(charts) == ["chart-tornado-0", "chart-tornado-1"]  # the target's P(met), the plan cost
    bars = charts["chart-tornado-0"]["data"]
    assert [b["type"] for b in bars] == ["bar", "bar"] and bars[0]["y"][-1] == SUPPLY  # largest swing on top


def test_the_study_and_its_member_runs_are_stored(two_workers: tuple[Path, dict[str, Any], Path]) -> None:
    _, data, folder = two_workers
    env = {"BASTION_HOME": str(folder / "home"), "BASTION_DATABASE_URL": ""}
    listed = json.loads(invoke(["runs", "list", "--json"], env=env).stdout)
    assert [s["study_id"] for s in listed["studies"]] == [data["study_id"]]
    assert listed["studies"][0]["variants"] == 6 and listed["runs"] == []  # members are shown under their study
    shown = invoke(["runs", "show", data["study_id"][:20], "--json"], env=env)
    stored = json.loads(shown.stdout)
    assert stored["scenario_hash"] == data["scenario_hash"] and stored["seed"] == 11
    assert stored["versions"]["bastion"] and comparable(stored["study"]) == comparable(data)
    member = stored["members"][0]
    run = json.loads(invoke(["runs", "show", member["run_id"], "--json"], env=env).stdout)
    assert run["seed"] == data["variants"][0]["seed"]
    assert run["plan"]["targets"] == data["variants"][0]["plan"]["targets"]
    text = invoke(["runs", "show", data["study_id"]], env=env).stdout
    assert data["scenario_hash"] in text and "seed: 11" in text and "versions: bastion" in text


def test_the_out_folder_holds_csv_xlsx_and_an_offline_html_report(
        two_workers: tuple[Path, dict[str, Any], Path]) -> None:
    import csv

    from openpyxl import load_workbook

    _, data, folder = two_workers
    out = folder / "out"
    assert json.loads((out / "study.json").read_text())["variants"] == data["variants"]
    rows = list(csv.DictReader((out / "variants.csv").open()))
    assert [r["variant"] for r in rows] == ["v1", "v2", "v3", "v4", "v5", "v6"]
    assert float(rows[0][SUPPLY]) == 160 and rows[0]["lv unit-a 2027-12: P(met)"] != ""
    book = load_workbook(out / "study.xlsx")
    assert book["variants"]["A1"].value == "RESTRICTED-TEST"
    page = (out / "study.html").read_text()
    doc = Page(page)
    assert doc.text_of["marking-top"].strip() == doc.text_of["marking-bottom"].strip() == "RESTRICTED-TEST"
    assert [u for u in doc.urls if re.match(r"\s*(https?:)?//", u[2], re.I)] == []
    assert not re.search(r"<script[^>]+src=", page) and page.count("* plotly.js v") == 1
    assert sorted(doc.charts) == ["chart-heat-0", "chart-heat-1"]  # P(met) of the one target, and the cost
    heat = doc.charts["chart-heat-0"]["data"][0]
    assert heat["type"] == "heatmap" and len(heat["z"]) == 2 and len(heat["z"][0]) == 3
    for spec in doc.charts.values():
        assert spec["layout"]["xaxis"]["title"]["text"] == SUPPLY


def test_a_sampled_study_charts_each_varied_path_with_error_bars(binding: Path, tmp_path: Path) -> None:
    lead = "suppliers.parts-lv.supplies.part-b.lead_time_months"
    result = invoke(["study", str(binding), "--vary", f"{SUPPLY}=150.0:250.0", "--vary", f"{lead}=0:2",
                     "--sample", "4", "--seed", "3", "--paths", "200", "--workers", "1", "--no-store", "--json",
                     "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mode"] == "sample" and [v["kind"] for v in data["variants"]] == ["sample"] * 4
    assert sorted(int((v["changes"][SUPPLY] - 150) // 25) for v in data["variants"]) == [0, 1, 2, 3]
    charts = Page((tmp_path / "out" / "study.html").read_text()).charts
    assert len(charts) == 4  # P(met) and cost against each of the two paths
    p_chart = next(c for cid, c in charts.items() if cid.startswith("chart-response-p-0-"))
    trace = p_chart["data"][0]
    assert trace["mode"] == "markers" and len(trace["error_y"]["array"]) == 4
    assert p_chart["layout"]["xaxis"]["title"]["text"] == SUPPLY


def test_dasks_gc_hook_is_added_once_and_kept_across_clusters() -> None:
    """A scheduler or worker started in this process adds distributed's gc hook at its start and
    removes it at its close; held from the first cluster on (engine.hold_gc_diagnosis), the hook stays
    put, so no cluster's start or close can land inside another thread's collection."""
    import gc

    from distributed.gc import _gc_diagnosis, disable_gc_diagnosis, enable_gc_diagnosis

    from bastion.study.engine import hold_gc_diagnosis

    hold_gc_diagnosis()
    hold_gc_diagnosis()
    hook = _gc_diagnosis._gc_callback
    assert gc.callbacks.count(hook) == 1
    enable_gc_diagnosis()  # a cluster starts ...
    disable_gc_diagnosis()  # ... and closes
    assert gc.callbacks.count(hook) == 1 and _gc_diagnosis.enabled
