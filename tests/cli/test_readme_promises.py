"""README's promises about the command line: `--json` everywhere, `run --out` CSV tables,
and nothing extra on stderr when it is not a terminal (real subprocesses, stderr captured)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from bastion.cli import app

BROKEN = """\
bastion: 1
name: broken
horizon: {start: "2026-01", months: 12}
items:
  atm-1: {made: true, bom: {body: 1}}
sites:
  p:
    country: LV
    lines:
      l1: {makes: [atm-1], capacity_per_month: -1}
customers:
  lv: {country: LV, targets: [{item: atm-1, by: "2027-12", units: 5}]}
"""
ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "examples" / "minimal.yaml"
runner = CliRunner()


def bastion(*args: str, home: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`bastion ARGS` with stdout and stderr both pipes (not terminals)."""
    env = {**os.environ, "BASTION_HOME": str(home), "COLUMNS": "160"}
    env.pop("BASTION_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bastion", *args], capture_output=True, text=True, env=env, check=False, cwd=cwd
    )


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group: its own commands
            out |= _commands(command, f"{prefix}{name} ")
        else:
            out[f"{prefix}{name}"] = command
    return out


def test_every_command_takes_json() -> None:
    commands = _commands(typer.main.get_command(app))
    assert {"init", "validate", "show", "demo", "run", "runs list"} <= set(commands)
    lacking = [name for name, c in commands.items() if not any("--json" in p.opts for p in c.params)]
    assert lacking == ["serve"]  # a server: it gives no result to print (README)


def test_validate_json_lists_each_error_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    before = sorted(os.listdir(tmp_path))
    proc = bastion("validate", str(bad), "--json", home=tmp_path)
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    assert data["valid"] is False and data["file"] == str(bad)
    assert {"file": str(bad), "line": 10, "path": "sites.p.lines.l1.capacity_per_month",
            "message": "must be >= 0, found -1"} in data["errors"]
    text = bastion("validate", str(bad), home=tmp_path)
    assert [f"{e['file']}:{e['line']}: {e['path']}: {e['message']}" for e in data["errors"]] \
        == text.stdout.splitlines()  # the same problems as the text form, in the same order
    assert sorted(os.listdir(tmp_path)) == before


def test_validate_json_of_a_valid_file() -> None:
    result = runner.invoke(app, ["validate", str(MINIMAL), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data == {"file": str(MINIMAL), "valid": True, "errors": [], "name": "Minimal example (illustrative)",
                    "counts": {"items": 2, "suppliers": 1, "lines": 1, "customers": 1}}


def test_init_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "study"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    written = Path(data["written"])
    assert written == tmp_path / "study" / "baltic-atm-plant.yaml" and written.is_file()
    assert data["next"][0] == f"bastion validate {written}"
    again = runner.invoke(app, ["init", str(tmp_path / "study"), "--json"])
    assert again.exit_code == 2 and again.stdout == ""


def test_run_out_writes_the_csv_tables_as_plan_and_resilience_do(tmp_path: Path) -> None:
    proc = bastion("run", str(MINIMAL), "--out", str(tmp_path / "run"), "--paths", "100", "--no-store",
                   home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # stderr is a pipe: no stage lines
    assert "UNCLASSIFIED" in proc.stdout
    assert bastion("plan", str(MINIMAL), "--out", str(tmp_path / "plan"), home=tmp_path).returncode == 0
    assert bastion("resilience", str(MINIMAL), "--out", str(tmp_path / "res"), home=tmp_path).returncode == 0
    tables = {p.name: p.read_text("utf-8") for d in ("plan", "res") for p in (tmp_path / d).glob("*.csv")}
    assert {"production.csv", "purchases.csv", "stockpiles.csv", "resilience-nodes.csv"} <= set(tables)
    written = {p.name: p.read_text("utf-8") for p in (tmp_path / "run").glob("*.csv")}
    assert written == tables


# `bastion demo` prints nothing on stderr to a pipe, as text and as JSON: checked with its runs
# again in tests/hostile/test_out.py::test_demo_runs_again_and_refuses_a_foreign_folder.


def test_run_shows_its_stages_on_a_terminal(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    received: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            received.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    env = {**os.environ, "BASTION_HOME": str(tmp_path), "TERM": "xterm"}
    env.pop("BASTION_DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "bastion", "run", str(MINIMAL), "--out", str(tmp_path / "o"), "--paths", "100",
         "--no-store"], stdout=subprocess.PIPE, stderr=slave, env=env, check=False,
    )
    os.close(slave)
    reader.join(timeout=30)
    os.close(master)
    assert proc.returncode == 0
    assert b"plan: production and stockpile plan" in b"".join(received)
