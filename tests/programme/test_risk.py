"""Schedule risk: sampling, the degenerate case, CDFs and feasibility properties."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.programme.network import Network
from bastion.programme.rcpsp import schedule
from bastion.programme.risk import (
    sample_durations,
    sample_finishes,
    sample_schedules,
    sgs_order,
    summarise,
    triangular_cdf,
)


def plant(degenerate: bool, resources: bool) -> Network:
    ranges: dict[str, list[float]] = {
        "design": [2, 3, 5], "build": [6, 8.37, 12], "tool": [4, 5.21, 7],
        "hire": [3, 4, 4], "fit": [2, 3.05, 6], "accept": [0.5, 1.5, 3], "go": [0, 0, 0],
    }  # fmt: skip
    if degenerate:
        ranges = {k: [v[1]] * 3 for k, v in ranges.items()}
    after = {"build": ["design"], "tool": ["design"], "fit": ["build", "tool"],
             "accept": ["fit", "hire"], "go": ["accept"]}  # fmt: skip
    if not resources:
        return Network.from_names(ranges, after)
    return Network.from_names(
        ranges, after, {"crew": 2, "bay": 1},
        {"build": {"crew": 1, "bay": 1}, "tool": {"crew": 2}, "hire": {"crew": 1}, "fit": {"bay": 1}},
    )  # fmt: skip


def test_degenerate_without_resources_equals_schedule() -> None:
    net = plant(True, False)
    det = schedule(net)
    s = sample_schedules(net, 200, np.random.default_rng(0))
    assert np.array_equal(s.finishes, np.tile(det.finishes, (200, 1)))
    assert np.array_equal(s.starts, np.tile(det.starts, (200, 1)))
    summary = summarise(net, s)
    assert set(summary.makespan_sorted) == {det.makespan}
    assert all(p == (1.0 if x >= det.makespan else 0.0) for x, p in summary.s_curve)
    crit = {t.task for t in summary.tasks if t.criticality == 1.0}
    assert crit == set(det.critical_path)
    assert all(t.criticality in (0.0, 1.0) for t in summary.tasks)


def test_degenerate_with_resources_equals_optimum() -> None:
    net = plant(True, True)
    det = schedule(net)
    assert det.optimal
    f = sample_finishes(net, 100, np.random.default_rng(0))
    assert np.array_equal(f, np.tile(det.finishes, (100, 1)))
    s = sample_schedules(net, 10, np.random.default_rng(1), sgs_order(net))
    crit = {net.tasks[j] for j in np.flatnonzero(s.critical[0])}
    assert crit == set(det.critical_path)


def test_degenerate_sampling_is_exact() -> None:
    net = Network.from_names({"a": [0.29, 0.29, 0.29], "b": [7, 7, 7]})
    d = sample_durations(net, 5, np.random.default_rng(0))
    assert (d[:, 0] == 0.29).all() and (d[:, 1] == 7.0).all()


def test_single_task_matches_triangular_cdf() -> None:
    a, c, b = 2.0, 3.5, 8.0
    net = Network.from_names({"t": [a, c, b]})
    n = 40_000
    f = sample_finishes(net, n, np.random.default_rng(42))[:, 0]
    # durations are rounded to 0.01: at x half-way between grid points,
    # P(rounded <= x) equals the continuous CDF exactly
    for x in (2.505, 3.005, 3.495, 4.505, 6.005, 7.505):
        p = float(triangular_cdf(x, a, c, b))
        est = float(np.mean(f <= x))
        se = max(np.sqrt(p * (1 - p) / n), 1e-4)
        assert abs(est - p) <= 4 * se, (x, est, p)


def test_summary_percentiles_and_probability() -> None:
    net = plant(False, True)
    s = sample_schedules(net, 2000, np.random.default_rng(5))
    summary = summarise(net, s)
    go = summary.task("go")
    assert go.p10 <= go.p50 <= go.p90
    assert summary.probability_finish_by("go", go.p50) >= 0.5
    assert summary.task("design").criticality == 1.0
    assert 0.0 <= summary.task("hire").criticality < 1.0


@st.composite
def networks(draw: st.DrawFn) -> Network:
    t = draw(st.integers(1, 7))
    preds = tuple(
        tuple(sorted(draw(st.sets(st.integers(0, j - 1), max_size=2)))) if j else () for j in range(t)
    )
    lo = draw(st.lists(st.integers(0, 300), min_size=t, max_size=t))
    spread = draw(st.lists(st.integers(0, 300), min_size=t, max_size=t))
    durations = np.array(
        [[x / 100, (x + s / 2) / 100, (x + s) / 100] for x, s in zip(lo, spread, strict=True)]
    )
    r = draw(st.integers(0, 2))
    cap = np.array(draw(st.lists(st.integers(1, 3), min_size=r, max_size=r)), dtype=np.int64)
    demand = np.array(
        [[draw(st.integers(0, int(cap[k]))) for k in range(r)] for _ in range(t)], dtype=np.int64
    ).reshape(t, r)
    return Network(
        tuple(f"t{i}" for i in range(t)), durations, preds, tuple(f"r{k}" for k in range(r)), cap, demand
    )


@settings(max_examples=40, deadline=None)
@given(networks(), st.integers(0, 2**32 - 1))
def test_sampled_schedules_are_feasible(net: Network, seed: int) -> None:
    s = sample_schedules(net, 30, np.random.default_rng(seed))
    assert np.all(s.starts >= 0)
    np.testing.assert_allclose(s.finishes - s.starts, s.durations, atol=1e-9)
    for j, ps in enumerate(net.preds):
        for p in ps:
            assert np.all(s.starts[:, j] >= s.finishes[:, p] - 1e-9)
    for k in range(s.starts.shape[0]):
        for e in s.starts[k]:
            running = (s.starts[k] <= e) & (e < s.finishes[k])
            assert np.all(net.demand[running].sum(axis=0) <= net.capacity)
    assert np.all(s.critical.any(axis=1) | (net.size == 0))


@settings(max_examples=25, deadline=None)
@given(networks())
def test_degenerate_paths_equal_deterministic_optimum(net: Network) -> None:
    modes = np.repeat(net.durations[:, 1:2], 3, axis=1)
    flat = Network(net.tasks, modes, net.preds, net.resources, net.capacity, net.demand)
    det = schedule(flat)
    assert det.optimal
    f = sample_finishes(flat, 3, np.random.default_rng(0))
    assert np.array_equal(f, np.tile(det.finishes, (3, 1)))
