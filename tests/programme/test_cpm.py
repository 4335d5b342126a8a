"""Hand-checked CPM schedules, network validation and the month conventions."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.programme.cpm import forward_pass_paths, solve_cpm
from bastion.programme.network import Network, NetworkError
from bastion.programme.rcpsp import schedule
from bastion.programme.risk import finish_month_index, online_month_index, probability_online_within


def const(**d: float) -> dict[str, list[float]]:
    return {k: [v, v, v] for k, v in d.items()}


def test_chain() -> None:
    net = Network.from_names(const(a=2, b=3, c=1.5), {"b": ["a"], "c": ["b"]})
    s = schedule(net)
    assert s.starts == (0.0, 2.0, 5.0)
    assert s.finishes == (2.0, 5.0, 6.5)
    assert s.makespan == 6.5
    assert s.critical_path == ("a", "b", "c")
    assert s.optimal and s.method == "cpm"


def test_parallel_branches_float_and_critical_path() -> None:
    net = Network.from_names(
        const(start=0, long=5, short=2, mid=1, end=1),
        {"long": ["start"], "short": ["start"], "mid": ["short"], "end": ["long", "mid"]},
    )
    cpm = solve_cpm(net)
    assert cpm.makespan == 6.0
    assert list(cpm.total_float) == [0.0, 0.0, 2.0, 2.0, 0.0]
    assert [net.tasks[i] for i in cpm.critical] == ["start", "long", "end"]
    assert schedule(net).critical_path == ("start", "long", "end")


def test_fractional_durations_at_resolution() -> None:
    net = Network.from_names(const(a=0.1, b=0.2, c=23.2), {"b": ["a"], "c": ["b"]})
    s = schedule(net)
    assert s.finishes == (0.1, 0.3, 23.5)
    assert online_month_index(s.finish_of("c")) == 24


def test_resource_forces_sequence_least_sum_of_finishes() -> None:
    # two parallel tasks, one crew: either order gives makespan 7; the short
    # one first gives the least sum of finishes (2 + 7 < 5 + 7)
    net = Network.from_names(
        const(long=5, short=2), capacity={"crew": 1}, demand={"long": {"crew": 1}, "short": {"crew": 1}}
    )
    s = schedule(net)
    assert s.makespan == 7.0
    assert s.starts == (2.0, 0.0)
    assert s.optimal and s.method == "cp-sat"
    assert s.critical_path == ("short", "long")


def test_resource_with_ample_capacity_is_cpm() -> None:
    net = Network.from_names(
        const(a=5, b=2), capacity={"crew": 2}, demand={"a": {"crew": 1}, "b": {"crew": 1}}
    )
    s = schedule(net)
    assert s.starts == (0.0, 0.0) and s.makespan == 5.0


def test_tie_break_keeps_makespan_first() -> None:
    # c must follow a; a and b share a crew. Starting b first would lower the
    # sum of finishes less than it delays c: least makespan wins.
    net = Network.from_names(
        const(a=3, b=1, c=4),
        {"c": ["a"]},
        capacity={"crew": 1},
        demand={"a": {"crew": 1}, "b": {"crew": 1}},
    )
    s = schedule(net)
    assert s.makespan == 7.0
    assert s.starts == (0.0, 3.0, 3.0)


def test_cycle_is_named() -> None:
    with pytest.raises(NetworkError, match=r"precedence cycle: a -> b -> c -> a"):
        Network.from_names(const(a=1, b=1, c=1, d=1), {"a": ["c"], "b": ["a"], "c": ["b"], "d": ["a"]})


def test_demand_above_capacity_is_named() -> None:
    with pytest.raises(NetworkError, match=r"task weld demands 3 of resource crew, above its capacity 2"):
        Network.from_names(const(weld=1), capacity={"crew": 2}, demand={"weld": {"crew": 3}})


def test_bad_ranges_and_shapes_all_listed() -> None:
    with pytest.raises(NetworkError) as exc:
        Network.from_names({"a": [2, 1, 3], "b": [-1, 0, 1]})
    assert len(exc.value.problems) == 2
    assert "task a" in str(exc.value) and "task b" in str(exc.value)
    with pytest.raises(NetworkError, match="durations must have shape"):
        Network(("a",), np.zeros((2, 3)), ((),))


def test_month_conventions() -> None:
    assert online_month_index(23.5) == 24
    assert online_month_index(24.0) == 24
    assert online_month_index(24.000000001) == 24
    assert online_month_index(0.0) == 0
    assert finish_month_index(23.5, 20.0) == 23
    assert finish_month_index(24.0, 20.0) == 23
    assert finish_month_index(24.000000001, 20.0) == 23
    assert finish_month_index(7.0, 7.0) == 7  # zero duration: the month of its start
    assert finish_month_index(7.3, 7.3) == 7
    assert list(online_month_index(np.array([22.99, 23.0, 23.01]))) == [23, 23, 24]
    # first output within 24 months: online month index <= 23
    assert probability_online_within(np.array([23.0, 23.5, 22.0, 30.0])) == 0.5


def test_forward_pass_paths_matches_single_pass() -> None:
    net = Network.from_names(const(a=1, b=2, c=3, d=4), {"c": ["a", "b"], "d": ["a"]})
    rng = np.random.default_rng(3)
    d = rng.random((50, 4)) * 5
    f = forward_pass_paths(net, d)
    for k in range(50):
        np.testing.assert_allclose(f[k], solve_cpm(net, d[k]).finishes)
