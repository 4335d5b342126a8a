"""`--out`: all or nothing, a clear line and exit 2 for a folder it cannot use, never a traceback.

A file in the way, a read-only folder, a folder inside the output where a file goes, a
non-empty folder Bastion did not write (refused unless --force, which keeps the other
files), an earlier output of Bastion (replaced whole), staging left by a killed run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bastion.outdir import MARKER, Mode, OutputError, check_output, clean_stale, staged_output

PLAN_FILES = {"costs.csv", "deliveries.csv", "plan.json", "production.csv", "purchases.csv", "stockpiles.csv",
              "stores.csv"}


@pytest.mark.parametrize("command", ["plan", "resilience", "run"])
def test_a_file_given_as_out(cli: Any, tmp_path: Path, command: str) -> None:
    target = tmp_path / "taken.txt"
    target.write_text("mine\n")
    extra = ("--paths", "50") if command == "run" else ("--json",)
    proc = cli.run(command, str(cli.minimal), "--out", str(target), *extra, home=tmp_path / "home", cwd=tmp_path)
    assert proc.returncode == 2
    assert cli.one_clear_line(proc) == (
        f"--out {target}: exists and is not a folder; give a folder (new or empty) for the output"
    )
    assert target.read_text() == "mine\n"
    assert cli.files_under(tmp_path) == {"taken.txt"}  # no store, no staging, no report


@pytest.mark.parametrize("command", ["plan", "resilience", "run"])
def test_a_read_only_folder(cli: Any, restore_modes: Path, command: str) -> None:
    tmp_path = restore_modes
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    for target, reason in (
        (locked, f"--out {locked}: the folder is not writable"),
        (locked / "new", f"--out {locked / 'new'}: cannot be written: the folder {locked} is not writable"),
    ):
        extra = ("--paths", "50", "--no-store") if command == "run" else ("--json",)
        proc = cli.run(command, str(cli.minimal), "--out", str(target), *extra, home=tmp_path, unprivileged=True)
        assert proc.returncode == 2
        assert cli.one_clear_line(proc).startswith(reason)
        assert cli.files_under(locked) == set()


def test_a_folder_where_a_file_goes(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "D"
    (out / "stores.csv").mkdir(parents=True)
    proc = cli.run("plan", str(cli.minimal), "--out", str(out), "--json", home=tmp_path)
    assert proc.returncode == 2
    assert "was not written by Bastion" in cli.one_clear_line(proc)
    proc = cli.run("plan", str(cli.minimal), "--out", str(out), "--json", "--force", home=tmp_path)
    assert proc.returncode == 2
    assert cli.one_clear_line(proc) == (
        f"--out {out}/stores.csv: is a folder; Bastion would write a file there; nothing written"
    )
    assert cli.files_under(out) == {"stores.csv"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["D"]  # the staging folder is gone too


def test_a_foreign_folder_is_refused_unless_forced(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me\n")
    proc = cli.run("plan", str(cli.minimal), "--out", str(out), "--json", home=tmp_path)
    assert proc.returncode == 2
    assert cli.one_clear_line(proc) == (
        f"--out {out}: the folder is not empty and was not written by Bastion (no {MARKER} file listing its "
        "files); give a new or empty folder, or --force to write Bastion's files into it"
    )
    assert cli.files_under(out) == {"notes.txt"}
    proc = cli.run("plan", str(cli.minimal), "--out", str(out), "--json", "--force", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert cli.files_under(out) == PLAN_FILES | {"notes.txt"}  # no marker: still not Bastion's alone
    assert (out / "notes.txt").read_text() == "keep me\n"
    assert json.loads((out / "plan.json").read_text())["status"] == "optimal"


def test_an_earlier_output_is_replaced_whole(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    assert cli.run("plan", str(cli.minimal), "--out", str(out), "--json", home=tmp_path).returncode == 0
    assert cli.files_under(out) == PLAN_FILES | {MARKER}
    marker = json.loads((out / MARKER).read_text())
    assert marker["written_by"] == "bastion" and set(marker["files"]) == PLAN_FILES
    # An earlier version wrote one more table: it goes when the output is replaced.
    (out / "old-table.csv").write_text("a,b\n")
    (out / MARKER).write_text(json.dumps({**marker, "files": [*marker["files"], "old-table.csv"]}))
    assert cli.run("plan", str(cli.minimal), "--out", str(out), "--json", home=tmp_path).returncode == 0
    assert cli.files_under(out) == PLAN_FILES | {MARKER}
    # A file the user added makes it a folder Bastion did not (all) write.
    (out / "my-notes.txt").write_text("mine\n")
    proc = cli.run("plan", str(cli.minimal), "--out", str(out), "--json", home=tmp_path)
    assert proc.returncode == 2 and "was not written by Bastion" in cli.one_clear_line(proc)
    assert (out / "my-notes.txt").read_text() == "mine\n"


def test_staging_left_by_a_killed_run_is_cleaned(cli: Any, tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead_pid = int(gone.stdout)
    dead = tmp_path / f".out.bastion-{dead_pid}-k3x9q2ab.tmp"
    dead_file = tmp_path / f".report.html.bastion-{dead_pid}-z81mq0ab.tmp"
    alive = tmp_path / f".out.bastion-{os.getpid()}-a1b2c3d4.tmp"  # this test's own process: still running
    foreign = tmp_path / ".out.something-else.tmp"
    for folder in (dead, alive, foreign):
        folder.mkdir()
        (folder / "report.html").write_text("half")
    dead_file.write_text("half")
    proc = cli.run("plan", str(cli.minimal), "--out", str(tmp_path / "out"), "--json", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not dead.exists() and not dead_file.exists()
    assert alive.exists() and foreign.exists()  # a live run's stage, and a name that is not Bastion's
    assert clean_stale(tmp_path) == []


def test_a_save_that_fails_publishes_nothing(monkeypatch: pytest.MonkeyPatch, cli: Any, tmp_path: Path) -> None:
    from bastion.cli import app
    from bastion.store import RunStore, StoreUnavailable

    def broken(self: RunStore, record: object) -> str:
        raise StoreUnavailable(f"the run store {self.url} did not answer in time (saving run x): timeout")

    monkeypatch.setattr(RunStore, "save", broken)
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BASTION_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["run", str(cli.minimal), "--out", str(out), "--paths", "50", "--json"])
    assert result.exit_code == 2
    assert "did not answer in time (saving run x): timeout; nothing written" in result.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_run_keeps_its_scenario_when_it_replaces_the_folder_holding_it(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "study"
    first = cli.run("run", str(cli.minimal), "--out", str(out), "--paths", "50", "--no-store", home=tmp_path)
    assert first.returncode == 0, first.stderr
    scenario = out / "scenario.yaml"
    scenario.write_text(cli.minimal.read_text())
    marker = json.loads((out / MARKER).read_text())
    (out / MARKER).write_text(json.dumps({**marker, "files": [*marker["files"], "scenario.yaml"]}))
    proc = cli.run("run", str(scenario), "--out", str(out), "--paths", "50", "--no-store", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert scenario.read_text() == cli.minimal.read_text()
    files = cli.files_under(out)
    kept = {"report.html", "report.xlsx", "run.json", "scenario.yaml", MARKER}
    assert kept <= files and "stockpiles.csv" in files  # the report, the kept scenario and the CSV tables
    assert all(name.endswith(".csv") for name in files - kept)


@pytest.mark.slow
def test_demo_runs_again_and_refuses_a_foreign_folder(cli: Any, tmp_path: Path) -> None:
    # The README's promise too: nothing on stderr to a pipe, as text and as JSON (the second run
    # replaces the first's folder whole).
    for as_json in ((), ("--json",)):
        proc = cli.run("demo", "--paths", "50", "--no-store", *as_json, home=tmp_path, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
        if as_json:
            data = json.loads(proc.stdout)
            assert data["paths"] == 50 and Path(tmp_path / data["report"]).is_file()
            assert data["headline"]["first_output_from"] == "simulate"
        else:
            assert "Demo finished" in proc.stdout
        files = cli.files_under(tmp_path / "bastion-demo")
        kept = {"baltic-atm-plant.yaml", "report.html", "report.xlsx", "run.json", MARKER}
        assert kept <= files and "stockpiles.csv" in files
        assert all(name.endswith(".csv") for name in files - kept)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "thesis.tex").write_text("x")
    proc = cli.run("demo", "--dir", "other", "--no-store", home=tmp_path, cwd=tmp_path)
    assert proc.returncode == 2
    assert "was not written by Bastion" in cli.one_clear_line(proc)
    assert cli.files_under(tmp_path / "other") == {"thesis.tex"}


def test_check_output_modes(tmp_path: Path) -> None:
    assert check_output(tmp_path / "new" / "deeper").mode is Mode.NEW
    (tmp_path / "empty").mkdir()
    assert check_output(tmp_path / "empty").mode is Mode.NEW
    with staged_output(tmp_path / "empty") as stage:
        (stage / "a.csv").write_text("x\n")
    assert check_output(tmp_path / "empty").mode is Mode.REPLACE
    (tmp_path / "empty" / MARKER).write_text("not json")
    with pytest.raises(OutputError, match="not written by Bastion"):
        check_output(tmp_path / "empty")
    assert check_output(tmp_path / "empty", force=True).mode is Mode.MERGE
    with pytest.raises(RuntimeError), staged_output(tmp_path / "failed") as stage:
        (stage / "a.csv").write_text("x\n")
        raise RuntimeError("an engine failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # the stage of "failed" is gone


KILLED_AT_SAVE = """
import os, signal, sys
from bastion.store import RunStore
RunStore.save = lambda self, record: os.kill(os.getpid(), signal.SIGKILL)  # killed between report and save
from bastion.cli import app
sys.argv = ["bastion", *sys.argv[1:]]
app()
"""


def test_a_kill_between_the_report_and_the_save_leaves_no_report(cli: Any, tmp_path: Path) -> None:
    env = {**os.environ, "BASTION_HOME": str(tmp_path / "home"),
           "PYTHONPATH": os.pathsep.join([str(cli.minimal.parents[1] / "src"), os.environ.get("PYTHONPATH", "")])}
    env.pop("BASTION_DATABASE_URL", None)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", KILLED_AT_SAVE, "run", str(cli.minimal), "--out", str(out),
                           "--paths", "50"], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == -9
    assert not out.exists()  # the report is not published: its run is not in the store
    [stage] = [p for p in tmp_path.iterdir() if p.name.startswith(".out.bastion-")]
    assert (stage / "report.html").is_file()  # it was written, in the staging folder
    listed = cli.run("runs", "list", "--json", home=tmp_path / "home")
    assert json.loads(listed.stdout) == {"runs": [], "studies": []}
    # The next run in that folder removes the dead run's staging folder and publishes its own.
    again = cli.run("run", str(cli.minimal), "--out", str(out), "--paths", "50", "--json", home=tmp_path / "home")
    assert again.returncode == 0, again.stderr
    assert not stage.exists()
    [row] = json.loads(cli.run("runs", "list", "--json", home=tmp_path / "home").stdout)["runs"]
    assert json.loads((out / "run.json").read_text())["run_id"] == row["run_id"]


def test_dot_as_the_output_folder(cli: Any, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    proc = cli.run("plan", str(cli.minimal), "--out", ".", "--json", home=tmp_path, cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert cli.files_under(work) == PLAN_FILES | {MARKER}
    proc = cli.run("plan", str(cli.minimal), "--out", ".", "--json", home=tmp_path, cwd=work)  # replaced whole
    assert proc.returncode == 0, proc.stderr
    assert cli.files_under(work) == PLAN_FILES | {MARKER}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def test_a_link_to_an_output_folder_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    with staged_output(real) as stage:
        (stage / "a.csv").write_text("1\n")
    (tmp_path / "link").symlink_to(real)
    with staged_output(tmp_path / "link") as stage:
        (stage / "b.csv").write_text("2\n")
    assert (tmp_path / "link").is_symlink()
    assert sorted(p.name for p in real.iterdir()) == [MARKER, "b.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]
