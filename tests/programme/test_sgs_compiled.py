"""The compiled serial SGS and critical rule give exactly the numpy versions' results."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.programme import sgs_compiled
from bastion.programme.network import Network, topological_order
from bastion.programme.sgs import critical_mask_numpy, serial_sgs_numpy

pytestmark = pytest.mark.skipif(not sgs_compiled.AVAILABLE, reason="numba not installed")


def _network(seed: int, tasks: int, resources: int) -> Network:
    rng = np.random.default_rng(seed)
    preds = [sorted(set(rng.choice(j, size=min(j, int(rng.integers(0, 3))), replace=False).tolist()))
             if j else [] for j in range(tasks)]
    cap = rng.integers(1, 4, size=resources)
    demand = np.zeros((tasks, resources), dtype=np.int64)
    for j in range(tasks):
        for k in range(resources):
            if rng.random() < 0.5:
                demand[j, k] = rng.integers(0, cap[k] + 1)
    dur = rng.integers(0, 4, size=(tasks, 1)).astype(float)
    return Network(tasks=tuple(f"t{j}" for j in range(tasks)), durations=np.hstack([dur, dur, dur]),
                   preds=tuple(tuple(p) for p in preds), resources=tuple(f"r{k}" for k in range(resources)),
                   capacity=cap, demand=demand)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), tasks=st.integers(1, 14), resources=st.integers(1, 3))
def test_compiled_sgs_and_critical_equal_numpy(seed: int, tasks: int, resources: int) -> None:
    net = _network(seed, tasks, resources)
    rng = np.random.default_rng(seed + 1)
    d = rng.integers(0, 6, size=(7, tasks)) * rng.integers(1, 60, size=(7, 1))  # ties and zeros
    order = list(topological_order(net.preds))
    s_np, f_np = serial_sgs_numpy(net, d, order)
    s_c, f_c = sgs_compiled.serial_sgs(net, d, order)
    assert np.array_equal(s_c, s_np) and np.array_equal(f_c, f_np)
    assert np.array_equal(sgs_compiled.critical(net, s_np, f_np), critical_mask_numpy(net, s_np, f_np))


def test_one_unit_resource_serialises_in_list_order() -> None:
    # three tasks of 2, 3 and 1 hundredths holding the single unit: back to back
    net = Network(tasks=("a", "b", "c"), durations=np.zeros((3, 3)), preds=((), (), ()),
                  resources=("r",), capacity=np.array([1]), demand=np.array([[1], [1], [1]]))
    s, f = sgs_compiled.serial_sgs(net, np.array([[2, 3, 1]]), [1, 0, 2])
    assert s.tolist() == [[3, 0, 5]] and f.tolist() == [[5, 3, 6]]
    assert sgs_compiled.critical(net, s, f).tolist() == [[True, True, True]]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), tasks=st.integers(1, 14), resources=st.integers(1, 3))
def test_heuristic_sgs_equals_time_indexed(seed: int, tasks: int, resources: int) -> None:
    from bastion.programme.heuristic import serial_sgs, serial_sgs_timeindexed

    net = _network(seed, tasks, resources)
    d = np.random.default_rng(seed).integers(0, 5, size=tasks).astype(np.int64)
    pr = np.random.default_rng(seed + 2).integers(0, 4, size=tasks).astype(float)  # ties

    def rule(i: int) -> float:
        return float(pr[i])

    fast = serial_sgs(d, net.preds, net.capacity, net.demand, rule)
    slow = serial_sgs_timeindexed(d, net.preds, net.capacity, net.demand, rule)
    assert fast.tolist() == slow.tolist()
