"""`bastion run` end to end, as a user runs it: stored, reported, killed, concurrent, compared."""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "examples" / "minimal.yaml"
REFERENCE = ROOT / "src" / "bastion" / "scenario" / "examples" / "baltic-atm-plant.yaml"


def bastion(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BASTION_HOME": str(home), "COLUMNS": "160"}
    env.pop("BASTION_DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "bastion", *args], capture_output=True, text=True, env=env, check=False
    )
    if check:
        assert proc.returncode in (0, 3), proc.stderr + proc.stdout
    return proc


def stored(home: Path) -> list[dict[str, object]]:
    runs: list[dict[str, object]] = json.loads(bastion("runs", "list", "--json", home=home).stdout)["runs"]
    return runs


@pytest.fixture(scope="module")
def minimal_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    """(home, out, process) of one stored run of the minimal example (300 paths, seed 0), shared by
    the tests that only read it (each `bastion run` costs ~2.5 CPU s, mostly imports and the
    report); a test that adds runs copies the home first, so this one only ever holds this run."""
    home = tmp_path_factory.mktemp("minimal-run")
    out = home / "out"
    return home, out, bastion("run", str(MINIMAL), "--out", str(out), "--paths", "300", "--json", home=home)


def test_run_writes_the_report_and_stores_the_run(
    minimal_run: tuple[Path, Path, subprocess.CompletedProcess[str]],
) -> None:
    tmp_path, out, proc = minimal_run
    data = json.loads(proc.stdout)
    assert proc.returncode == 0
    assert set(data) >= {"run_id", "report", "schedule", "plan", "simulate", "resilience", "economics"} - {"schedule"}
    assert (out / "report.html").is_file() and (out / "report.xlsx").is_file() and (out / "run.json").is_file()
    html = (out / "report.html").read_text("utf-8")
    assert html.count("UNCLASSIFIED - ILLUSTRATIVE EXAMPLE") >= 2
    [row] = stored(tmp_path)
    assert row["run_id"] == data["run_id"] and row["status"] == "ok"
    shown = json.loads(bastion("runs", "show", str(data["run_id"])[:15], "--json", home=tmp_path).stdout)
    assert shown["scenario_hash"] == data["scenario_hash"]
    assert shown["plan"]["targets"] == data["plan"]["targets"]
    assert shown["seed"] == 0 and shown["paths"] == 300
    assert "bastion" in shown["versions"]


def test_same_seed_same_numbers(tmp_path: Path) -> None:
    """Two processes, same scenario and seed: the same numbers; another seed: other numbers (the
    minimal example has no uncertainty, so its supplier is given disruptions here: else a seed
    ignored or taken from the clock would pass unseen)."""
    import yaml

    data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    data["suppliers"]["parts-lv"]["disruption"] = {"rate_per_year": 3, "recovery_months": [1, 2, 3]}
    risky = tmp_path / "risky.yaml"
    risky.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    def numbers(name: str, seed: int) -> dict[str, object]:
        proc = bastion("run", str(risky), "--out", str(tmp_path / name), "--paths", "300", "--seed", str(seed),
                       "--json", "--no-store", home=tmp_path)
        answer: dict[str, object] = json.loads(proc.stdout)
        return answer

    first, second, other = numbers("a", 0), numbers("b", 0), numbers("c", 1)
    assert first["simulate"]["targets"] == second["simulate"]["targets"]  # type: ignore[index]
    assert first["plan"]["cost"] == second["plan"]["cost"]  # type: ignore[index]
    assert first["simulate"]["expected_cost"] == second["simulate"]["expected_cost"]  # type: ignore[index]
    assert first["simulate"]["targets"] != other["simulate"]["targets"]  # type: ignore[index]


def test_invalid_scenario_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.read_text().replace("capacity_per_month: 150", "capacity_per_month: -150"))
    proc = bastion("run", str(bad), "--out", str(tmp_path / "out"), home=tmp_path, check=False)
    assert proc.returncode == 2
    assert "capacity_per_month: must be >= 0" in proc.stderr
    assert not (tmp_path / "out").exists()
    assert stored(tmp_path) == []


def test_a_run_killed_half_way_leaves_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "BASTION_HOME": str(tmp_path), "TERM": "xterm"}
    env.pop("BASTION_DATABASE_URL", None)
    out = tmp_path / "out"
    master, slave = pty.openpty()  # stderr a terminal: the stage lines show (never on a pipe)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bastion", "run", str(REFERENCE), "--out", str(out), "--paths", "20000"],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120
    while b"plan" not in seen and time.monotonic() < deadline:  # wait until the engines are running
        try:
            seen += os.read(master, 4096)
        except OSError:
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    os.close(master)
    assert b"plan" in seen
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()
    assert stored(tmp_path) == []


def test_two_runs_at_once_both_land(tmp_path: Path) -> None:
    env = {**os.environ, "BASTION_HOME": str(tmp_path)}
    env.pop("BASTION_DATABASE_URL", None)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bastion",
                "run",
                str(MINIMAL),
                "--out",
                str(tmp_path / f"o{k}"),
                "--paths",
                "300",
                "--seed",
                str(k),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        for k in range(2)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    assert len(stored(tmp_path)) == 2


@pytest.mark.slow
def test_compare_shows_a_supplier_change_and_its_effect(
    tmp_path: Path, minimal_run: tuple[Path, Path, subprocess.CompletedProcess[str]]
) -> None:
    # the minimal example (the reference's runs take ten times longer and show nothing more here):
    # the parts maker cut from 400 to 100 a month feeds 50 units a month, short of the target
    changed = tmp_path / "parts-100.yaml"
    text = MINIMAL.read_text("utf-8")
    old = "part-b: {price: 10, lead_time_months: 1, capacity_per_month: 400}"
    assert old in text
    changed.write_text(text.replace(old, old.replace("400", "100")), "utf-8")
    home, _out, proc = minimal_run  # run a: the shared run, in a copy of its home
    a = json.loads(proc.stdout)["run_id"]
    shutil.copytree(home, tmp_path, dirs_exist_ok=True)
    b = json.loads(
        bastion("run", str(changed), "--out", str(tmp_path / "b"), "--paths", "300", "--json", home=tmp_path).stdout
    )["run_id"]
    diff = json.loads(bastion("runs", "compare", a, b, "--json", home=tmp_path).stdout)
    [change] = diff["scenario"]["changes"]
    assert change["where"] == "suppliers.parts-lv.supplies.part-b"
    assert "400" in change["a"] and "100" in change["b"]
    effects = {e["key"]: e for e in diff["headline"] if e["changed"]}
    assert effects["status"]["a"] == "ok" and effects["status"]["b"] == "short"
    assert effects["targets[lv/unit-a/2027-12].probability"]["delta"] < 0
    text_view = bastion("runs", "compare", a, b, home=tmp_path).stdout
    assert "suppliers.parts-lv.supplies.part-b" in text_view
    assert "Target lv unit-a by 2027-12: P(met)" in text_view
    assert "targets[" not in text_view and "None" not in text_view


def test_progress_tells_stages_and_their_steps() -> None:
    from bastion.run import execute

    events: list[tuple[str, str]] = []
    execute(MINIMAL, paths=2048, stages=("plan", "simulate", "resilience"),
            progress=lambda stage, event: events.append((stage, event)))
    for stage in ("plan", "simulate", "resilience"):
        mine = [e for s, e in events if s == stage]
        assert mine[0] == "start" and mine[-1] == "done" and len(mine) > 2
    assert [s for s, _ in events] == sorted((s for s, _ in events),
                                            key=("plan", "simulate", "resilience").index)
    plan_steps = [e for s, e in events if s == "plan"][1:-1]
    assert plan_steps[0] == "priority 1 shortfall, stage 1/2" and plan_steps[1] == "cost, stage 2/2"
    assert ("simulate", "2,048 of 2,048 paths") in events
    assert any(s == "resilience" and e.startswith("time to survive 1/") for s, e in events)
