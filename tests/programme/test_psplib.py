"""PSPLIB reader and CP-SAT solver against published J30 optima."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bastion.programme.psplib import PsplibError, parse_psplib, read_psplib, solve_psplib
from bastion.programme.rcpsp import schedule

DATA = Path(__file__).resolve().parents[1] / "data" / "psplib"  # the instances below, with optima
SAMPLE = [
    "j301_1.sm", "j3010_3.sm", "j3011_4.sm", "j3013_9.sm",
    "j3021_5.sm", "j3025_2.sm", "j3033_7.sm", "j3045_10.sm",
]  # fmt: skip


def optima() -> dict[str, int]:
    with (DATA / "optimum" / "j30.csv").open() as fh:
        return {r["problem"]: int(r["optimum"]) for r in csv.DictReader(fh)}


@pytest.mark.parametrize("name", SAMPLE)
def test_j30_reaches_optimum(name: str) -> None:
    sol = solve_psplib(read_psplib(DATA / "j30" / name), time_limit_s=20)
    assert sol.makespan == optima()[name]
    assert sol.optimal


def test_reader_fields_and_solution_feasible() -> None:
    inst = read_psplib(DATA / "j30" / "j301_1.sm")
    assert inst.jobs == 32 and inst.horizon == 158
    assert list(inst.capacity) == [12, 13, 4, 12]
    assert inst.successors[0] == (1, 2, 3)
    assert inst.durations[1] == 8 and list(inst.demand[1]) == [4, 0, 0, 0]
    sol = solve_psplib(inst)
    for j, ps in enumerate(inst.preds):
        for p in ps:
            assert sol.starts[j] >= sol.starts[p] + inst.durations[p]
    for t in range(sol.makespan):
        running = [j for j in range(inst.jobs) if sol.starts[j] <= t < sol.starts[j] + inst.durations[j]]
        assert all(inst.demand[running].sum(axis=0) <= inst.capacity)


def test_programme_schedule_agrees_on_makespan() -> None:
    inst = read_psplib(DATA / "j30" / "j301_1.sm")
    s = schedule(inst.to_network(), time_limit_s=20)
    assert s.makespan == 43.0


def text() -> str:
    return (DATA / "j30" / "j301_1.sm").read_text()


def write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "bad.sm"
    p.write_text(body)
    return p


def test_missing_successor(tmp_path: Path) -> None:
    body = text().replace(
        "   4        1          3           5   9  10", "   4        1          3           5   9"
    )
    with pytest.raises(PsplibError, match=r"line 22: expected 3 successors for job 4, found 2"):
        read_psplib(write(tmp_path, body))


def test_truncated_before_requests(tmp_path: Path) -> None:
    body = "\n".join(text().splitlines()[:51])
    with pytest.raises(PsplibError, match=r"file ends before the REQUESTS/DURATIONS section"):
        read_psplib(write(tmp_path, body))


def test_truncated_inside_requests(tmp_path: Path) -> None:
    body = "\n".join(text().splitlines()[:60])
    with pytest.raises(PsplibError, match=r"line 60: file ends before the duration line of job 7"):
        read_psplib(write(tmp_path, body))


def test_demand_above_availability(tmp_path: Path) -> None:
    body = text().replace("   12   13    4   12", "   12   13    1   12")
    with pytest.raises(PsplibError, match=r"job 26 demands 4 of resource R3, above its availability 1"):
        read_psplib(write(tmp_path, body))


def test_garbage_number(tmp_path: Path) -> None:
    body = text().replace("  2      1     8       4", "  2      1     x       4")
    with pytest.raises(PsplibError, match=r"line 56: expected integers"):
        read_psplib(write(tmp_path, body))


def test_cycle_in_file() -> None:
    body = text().replace("  32        1          0        ", "  32        1          1           2")
    with pytest.raises(PsplibError, match=r"precedence cycle: 2 -> "):
        parse_psplib(body)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PsplibError, match="cannot read"):
        read_psplib(tmp_path / "nope.sm")
