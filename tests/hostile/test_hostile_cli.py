"""Issue 21, failures 5 and 6: CLI options out of range, and exit codes that say what happened.

- `--seed` is 0 .. 2**31-1 in every command, `--paths` at most 2**31-1,
  `runs list --limit` at most 1,000,000: anything else is exit 2 naming the option.
- `demo` where it cannot write: one line, exit 2, no traceback.
- Solver trouble (the model refused, no plan found, out of memory) is exit 1
  in every command that plans; exit 3 only ever means a plan that is short.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bastion.cli import app
from bastion.plan import solve as solve_module
from bastion.plan.solve import SolveOutcome, SolverError, SolveStatus

BASE = Path(__file__).resolve().parents[1] / "data" / "hostile" / "valid-base.yaml"
runner = CliRunner()


def _refused(args: list[str], option: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert f"Invalid value for '{option}'" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("command", ["simulate", "schedule", "economics", "run"])
@pytest.mark.parametrize("seed", ["-1", str(2**31), "100000000000000000000"])
def test_seed_out_of_range_is_exit_2_in_every_command(command: str, seed: str, tmp_path: Path) -> None:
    _refused([command, str(BASE), "--seed", seed], "--seed")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["simulate", "schedule"])
def test_largest_seed_is_accepted(command: str) -> None:
    """2**31-1 is the largest seed CP-SAT (schedule) and a 32-bit store column take; it works end to end."""
    res = runner.invoke(app, [command, str(BASE), "--seed", str(2**31 - 1), "--paths", "20", "--json"])
    assert res.exit_code == 0, res.output
    assert f'"seed": {2**31 - 1}' in res.stdout or command == "schedule"


@pytest.mark.parametrize("command", ["simulate", "schedule", "economics", "run", "demo"])
def test_paths_out_of_range_is_exit_2(command: str) -> None:
    args = [command] if command == "demo" else [command, str(BASE)]
    _refused([*args, "--paths", str(2**31)], "--paths")


@pytest.mark.parametrize("limit", ["0", "1000001", "100000000000000000000"])
def test_runs_list_limit_out_of_range_is_exit_2(limit: str) -> None:
    _refused(["runs", "list", "--limit", limit], "--limit")


def test_demo_where_it_cannot_write_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bastion import files

    def refuse(path: object, data: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "write_atomic", refuse)
    res = runner.invoke(app, ["demo", "--dir", str(tmp_path / "demo"), "--no-store", "--paths", "10"])
    assert res.exit_code == 2
    assert res.stderr.strip() == f"{tmp_path / 'demo'}: cannot write the demo here: Permission denied"
    assert list(tmp_path.iterdir()) == []


def test_demo_under_a_file_is_exit_2(tmp_path: Path) -> None:
    """A real operating-system refusal (no mock): the folder would sit under a plain file."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["demo", "--dir", str(blocker / "demo"), "--no-store", "--paths", "10"])
    assert res.exit_code == 2
    assert res.stderr.strip() == f"--dir {blocker / 'demo'}: cannot be created: {blocker} is not a folder"
    assert "Traceback" not in res.output
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


ENGINES = [
    ["plan"],
    ["plan", "--json"],
    ["simulate", "--paths", "20"],
    ["economics", "--paths", "20"],
    ["resilience"],
    ["run", "--no-store", "--paths", "20"],
]


def _no_plan(self: object, **kwargs: object) -> SolveOutcome:
    return SolveOutcome(SolveStatus.ERROR, None, None, None, None, "the solver stopped: Memory limit reached", 0.0)


def _refuse_model(self: object, *args: object, **kwargs: object) -> None:
    raise SolverError("the solver rejected the model (inconsistent bounds or coefficients)")


def _out_of_memory(self: object, *args: object, **kwargs: object) -> None:
    raise MemoryError


@pytest.mark.parametrize("args", ENGINES, ids=lambda a: " ".join(a))
@pytest.mark.parametrize(
    ("attribute", "stub", "says"),
    [
        ("solve", _no_plan, "the solver stopped: Memory limit reached"),
        ("__init__", _refuse_model, "the solver rejected the model"),
        ("__init__", _out_of_memory, "the plan model is too large"),
    ],
    ids=["no-plan", "model-refused", "out-of-memory"],
)
def test_solver_trouble_is_exit_1_in_every_command(
    args: list[str], attribute: str, stub: object, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(solve_module.HighsSolver, attribute, stub)
    out = tmp_path / "out"
    res = runner.invoke(app, [args[0], str(BASE), *args[1:], "--out", str(out)]
                        if args[0] in ("plan", "run", "resilience") else [args[0], str(BASE), *args[1:]])
    assert res.exit_code == 1, res.output
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{BASE}: the solver gave no plan: ") and says in last
    assert "Traceback" not in res.output
    assert not out.exists()


def test_simulate_and_plan_agree_on_a_short_plan(tmp_path: Path) -> None:
    """A plan that exists but is short: `plan` exits 3 (its answer), `simulate` 0 (it simulated)."""
    short = BASE.read_text(encoding="utf-8").replace("units: 5000}", "units: 900000}")
    file = tmp_path / "short.yaml"
    file.write_text(short, encoding="utf-8")
    assert runner.invoke(app, ["plan", str(file)]).exit_code == 3
    res = runner.invoke(app, ["simulate", str(file), "--paths", "20"])
    assert res.exit_code == 0, res.output



def test_show_json_loads_back(tmp_path: Path) -> None:
    """`show --json` leaves out what is not set (null is no value), so its output is a valid scenario again."""
    from bastion.cli.scenario_cmds import REFERENCE
    from bastion.scenario import load_scenario

    runner.invoke(app, ["init", str(tmp_path)])
    source = tmp_path / f"{REFERENCE}.yaml"
    res = runner.invoke(app, ["show", str(source), "--json"])
    assert res.exit_code == 0
    assert "null" not in res.stdout
    again = tmp_path / "again.json"
    again.write_text(res.stdout, encoding="utf-8")
    assert load_scenario(again) == load_scenario(source)
