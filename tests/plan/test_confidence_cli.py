"""`--confidence` / `--futures` on plan, simulate and run, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .test_confidence_hand import case


def bastion(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BASTION_HOME": str(home), "COLUMNS": "160"}
    env.pop("BASTION_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "bastion", *args], capture_output=True, text=True,
                          env=env, check=False)


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> str:
    f = tmp_path / name
    f.write_text(text, "utf-8")
    return str(f)


def _drop_seconds(data: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in data.items() if k != "seconds"}


def test_without_a_confidence_the_plan_is_unchanged(tmp_path: Path) -> None:
    f = write(tmp_path, case(optional=True))
    plain = bastion("plan", f, "--json", home=tmp_path)
    with_futures = bastion("plan", f, "--json", "--futures", "30", home=tmp_path)
    assert plain.returncode == with_futures.returncode == 0
    a, b = json.loads(plain.stdout), json.loads(with_futures.stdout)
    assert "confidence" not in a
    assert _drop_seconds(a) == _drop_seconds(b)


def test_unreachable_confidence_exits_3_with_the_best_probability(tmp_path: Path) -> None:
    f = write(tmp_path, case())
    proc = bastion("plan", f, "--json", "--confidence", "0.9", "--futures", "30", home=tmp_path)
    assert proc.returncode == 3, proc.stderr
    data = json.loads(proc.stdout)
    assert {"status", "objective", "lines", "targets", "cost", "confidence"} <= set(data)
    [t] = data["confidence"]["targets"]
    assert t["requested"] == 0.9 and not t["reached"]
    assert t["validated"]["paths"] == 10_000 and t["validated"]["seed"] == 1
    assert t["best_reachable"] == pytest.approx(0.368, abs=0.03)
    assert data["short"] is True
    assert "line line-1 is down" in t["binds"]


def test_confidence_out_of_range_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    f = write(tmp_path, case())
    out = tmp_path / "out"
    proc = bastion("plan", f, "--json", "--confidence", "1.5", "--out", str(out), home=tmp_path)
    assert proc.returncode == 2 and proc.stdout == "" and not out.exists()


def test_simulate_plays_the_plan_made_at_the_confidence(tmp_path: Path) -> None:
    f = write(tmp_path, case(optional=True))
    det = json.loads(bastion("simulate", f, "--json", "--paths", "4096", home=tmp_path).stdout)
    proc = bastion("simulate", f, "--json", "--paths", "4096", "--seed", "11", "--confidence", "0.9",
                   "--futures", "30", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    conf = json.loads(proc.stdout)
    assert det["targets"][0]["probability"] < 0.45
    assert conf["targets"][0]["probability"] >= 0.9


def test_run_carries_both_probabilities_and_the_price(tmp_path: Path) -> None:
    f = write(tmp_path, case(optional=True))
    proc = bastion("run", f, "--json", "--no-store", "--paths", "2048", "--out", str(tmp_path / "r"),
                   "--confidence", "0.9", "--futures", "30", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    [t] = data["confidence"]["targets"]
    assert t["deterministic_probability"] < 0.45 <= 0.9 <= t["validated"]["probability"]
    assert [ln["built"] for ln in data["plan"]["lines"]] == [True, True]
    assert data["confidence"]["price"]["text"].startswith("+50,000 EUR")
    assert data["simulate"]["targets"][0]["probability"] >= 0.9


def test_run_says_why_a_target_misses_its_confidence(tmp_path: Path) -> None:
    f = write(tmp_path, case())  # exactly tight, no second line: 0.9 cannot be reached
    proc = bastion("run", f, "--no-store", "--paths", "2048", "--out", str(tmp_path / "r"),
                   "--confidence", "0.9", "--futures", "30", home=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "Short of 90%:" in proc.stdout and "line line-1 is down" in proc.stdout
