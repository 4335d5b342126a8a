"""Integer-period helpers for CP-SAT: heads, tails and a serial-SGS upper bound.

These give the solver tight start windows (a job cannot start before the
longest path into it, nor end later than the horizon minus the longest path
out of it) and a good first solution.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from bastion.programme import sgs_compiled
from bastion.programme.network import topological_order

__all__ = ["best_sgs", "heads_tails", "serial_sgs"]

IntArray = npt.NDArray[np.int64]


def heads_tails(durations: IntArray, preds: Sequence[Sequence[int]]) -> tuple[IntArray, IntArray]:
    """Longest path into each job (head) and out of its finish (tail)."""
    t = len(durations)
    order = topological_order(preds)
    succs: list[list[int]] = [[] for _ in range(t)]
    for j, ps in enumerate(preds):
        for p in ps:
            succs[p].append(j)
    heads = np.zeros(t, dtype=np.int64)
    tails = np.zeros(t, dtype=np.int64)
    for j in order:
        heads[j] = max((heads[p] + durations[p] for p in preds[j]), default=0)
    for j in reversed(order):
        tails[j] = max((tails[s] + durations[s] for s in succs[j]), default=0)
    return heads, tails


def serial_sgs(
    durations: IntArray,
    preds: Sequence[Sequence[int]],
    capacity: IntArray,
    demand: IntArray,
    priority: Callable[[int], float],
) -> IntArray:
    """Serial SGS on a time-indexed resource profile (integer periods).

    At each step the eligible job (all predecessors placed) of least
    ``priority`` is started at its earliest precedence- and resource-feasible
    period. Returns the starts.

    Which job comes next depends only on which are placed, not on their starts,
    so the list is drawn first and placed by the compiled SGS where numba is
    installed (same starts; see sgs_compiled.py).
    """
    if sgs_compiled.AVAILABLE:
        order = _priority_list(preds, priority)
        d2 = np.asarray(durations, dtype=np.int64)[None, :]
        starts: IntArray = sgs_compiled.serial_sgs_arrays(d2, order, preds, capacity, demand)[0][0]
        return starts
    return serial_sgs_timeindexed(durations, preds, capacity, demand, priority)


def serial_sgs_timeindexed(
    durations: IntArray,
    preds: Sequence[Sequence[int]],
    capacity: IntArray,
    demand: IntArray,
    priority: Callable[[int], float],
) -> IntArray:
    """:func:`serial_sgs` in numpy on a time-indexed resource profile (one period a column)."""
    t = len(durations)
    horizon = int(durations.sum()) + 1
    used = np.zeros((len(capacity), horizon), dtype=np.int64)
    starts = np.zeros(t, dtype=np.int64)
    waiting = [len(set(ps)) for ps in preds]
    succs: list[list[int]] = [[] for _ in range(t)]
    for j, ps in enumerate(preds):
        for p in set(ps):
            succs[p].append(j)
    eligible = {j for j in range(t) if waiting[j] == 0}
    while eligible:
        j = min(eligible, key=lambda i: (priority(i), i))
        eligible.remove(j)
        est = max((starts[p] + durations[p] for p in preds[j]), default=0)
        d = int(durations[j])
        uses = np.flatnonzero(demand[j] > 0)
        s = int(est)
        if d > 0 and uses.size:
            bad = np.any(used[uses] + demand[j, uses, None] > capacity[uses, None], axis=0)
            cs = np.concatenate([[0], np.cumsum(bad)])
            fits = cs[d:] - cs[:-d] == 0  # fits[x]: window [x, x + d) is free
            s = int(est + np.argmax(fits[est:]))
            used[uses, s : s + d] += demand[j, uses, None]
        starts[j] = s
        for k in succs[j]:
            waiting[k] -= 1
            if waiting[k] == 0:
                eligible.add(k)
    return starts


def _priority_list(preds: Sequence[Sequence[int]], priority: Callable[[int], float]) -> list[int]:
    """The jobs in the order the serial SGS takes them: the eligible job of least (priority, index)."""
    t = len(preds)
    waiting = [len(set(ps)) for ps in preds]
    succs: list[list[int]] = [[] for _ in range(t)]
    for j, ps in enumerate(preds):
        for p in set(ps):
            succs[p].append(j)
    heap = [(priority(j), j) for j in range(t) if waiting[j] == 0]
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        _, j = heapq.heappop(heap)
        order.append(j)
        for k in succs[j]:
            waiting[k] -= 1
            if waiting[k] == 0:
                heapq.heappush(heap, (priority(k), k))
    return order


def _rule(pr: npt.NDArray[np.float64]) -> Callable[[int], float]:
    return lambda i: float(pr[i])


def best_sgs(
    durations: IntArray,
    preds: Sequence[Sequence[int]],
    capacity: IntArray,
    demand: IntArray,
    samples: int = 8,
    seed: int = 0,
) -> tuple[int, IntArray]:
    """Best serial-SGS schedule over a few priority rules and randomised lists.

    Rules: latest finish time, latest start time, most total successors,
    greatest rank positional weight, and ``samples`` lists with latest finish
    times perturbed at random (fixed ``seed``). Returns (makespan, starts).
    """
    d = np.asarray(durations, dtype=np.int64)
    heads, tails = heads_tails(d, preds)
    bound = int((heads + d + tails).max(initial=0))
    lft = bound - tails
    lst = lft - d
    t = len(d)
    succs: list[set[int]] = [set() for _ in range(t)]
    for j in reversed(topological_order(preds)):
        for p in preds[j]:
            succs[p] |= succs[j] | {j}
    mts = np.array([-len(s) for s in succs], dtype=np.float64)
    grpw = np.array([-(d[j] + sum(int(d[k]) for k in succs[j])) for j in range(t)], dtype=np.float64)
    rules: list[npt.NDArray[np.float64]] = [lft.astype(np.float64), lst.astype(np.float64), mts, grpw]
    rng = np.random.default_rng(seed)
    spread = max(1.0, float(bound) * 0.15)
    rules += [lft + rng.uniform(0.0, spread, size=t) for _ in range(samples)]
    best_ms, best_starts = -1, np.zeros(t, dtype=np.int64)
    for pr in rules:
        starts = serial_sgs(d, preds, capacity, demand, _rule(pr))
        ms = int((starts + d).max(initial=0))
        if best_ms < 0 or ms < best_ms:
            best_ms, best_starts = ms, starts
        if best_ms <= bound:
            break
    return best_ms, best_starts
