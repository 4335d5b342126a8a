"""Serial schedule-generation scheme (SGS), over many paths at once.

The serial SGS takes tasks one by one in a fixed, precedence-feasible list and
starts each at the earliest time at which its predecessors have finished and
enough of every resource it needs is free for its whole duration, given the
tasks already placed. Time is continuous (event based): the only candidate
start times are the task's precedence-earliest start and the finishes of the
tasks already placed.

Here the list is the same for every path and numpy works across paths. Times
are integers (hundredths of a month), so comparisons are exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bastion.programme import sgs_compiled
from bastion.programme.network import Network

__all__ = ["critical_mask", "list_from_starts", "serial_sgs_paths"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_CHUNK = 4096


def list_from_starts(net: Network, starts: Sequence[float] | npt.NDArray[np.float64]) -> tuple[int, ...]:
    """The SGS list: tasks by start, ties by topological position.

    With durations of zero a successor can start at the same time as its
    predecessor; ranking ties by topological position (file order whenever
    the file lists predecessors first) keeps the list precedence-feasible.
    """
    rank = {j: k for k, j in enumerate(net.order)}
    return tuple(sorted(range(net.size), key=lambda j: (float(starts[j]), rank[j])))


def _check_list(net: Network, order: Sequence[int]) -> None:
    if sorted(order) != list(range(net.size)):
        raise ValueError("the SGS list must hold every task exactly once")
    pos = {j: k for k, j in enumerate(order)}
    for j, ps in enumerate(net.preds):
        for p in ps:
            if pos[p] > pos[j]:
                raise ValueError(f"the SGS list puts {net.tasks[j]} before its predecessor {net.tasks[p]}")


def serial_sgs_paths(net: Network, durations: IntArray, order: Sequence[int]) -> tuple[IntArray, IntArray]:
    """Serial SGS for every path (row) of integer ``durations`` (n, T).

    Returns:
        (starts, finishes), each (n, T) int64.
    """
    _check_list(net, order)
    d = np.asarray(durations, dtype=np.int64)
    if sgs_compiled.AVAILABLE:
        return sgs_compiled.serial_sgs(net, d, order)
    return serial_sgs_numpy(net, d, order)


def serial_sgs_numpy(net: Network, d: IntArray, order: Sequence[int]) -> tuple[IntArray, IntArray]:
    """:func:`serial_sgs_paths` in numpy across paths (memory grows as rivals squared)."""
    n = d.shape[0]
    starts = np.zeros((n, net.size), dtype=np.int64)
    finishes = np.zeros((n, net.size), dtype=np.int64)
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        s, f = _sgs_chunk(net, d[lo:hi], order)
        starts[lo:hi] = s
        finishes[lo:hi] = f
    return starts, finishes


def _sgs_chunk(net: Network, d: IntArray, order: Sequence[int]) -> tuple[IntArray, IntArray]:
    n = d.shape[0]
    s = np.zeros((net.size, n), dtype=np.int64)
    f = np.zeros((net.size, n), dtype=np.int64)
    dt = np.ascontiguousarray(d.T)
    demand, cap = net.demand, net.capacity
    placed: list[int] = []
    for j in order:
        est = np.zeros(n, dtype=np.int64)
        for p in net.preds[j]:
            np.maximum(est, f[p], out=est)
        uses = np.flatnonzero(demand[j] > 0)
        # only placed tasks that share a resource with j can block it
        rivals = [k for k in placed if np.any(demand[k, uses] > 0)] if uses.size else []
        if rivals:
            est = _earliest_fit(
                est,
                dt[j],
                s[rivals].T,
                f[rivals].T,
                demand[np.ix_(np.array(rivals, dtype=np.int64), uses)],
                cap[uses] - demand[j, uses],
            )
        s[j] = est
        f[j] = est + dt[j]
        placed.append(j)
    return s.T, f.T


def _earliest_fit(
    est: IntArray, dur: IntArray, rs: IntArray, rf: IntArray, rdem: IntArray, room: IntArray
) -> IntArray:
    """Earliest start >= est, per path, at which ``room`` is never exceeded.

    ``rs``/``rf``: (n, m) starts and finishes of the m rival tasks;
    ``rdem``: (m, R') their demands; ``room``: (R',) capacity left for the task.
    The usage profile is a step function, so it is enough to check it at the
    candidate start and at every event point inside [start, start + dur).
    """
    cand = np.concatenate([est[:, None], np.maximum(rf, est[:, None])], axis=1)  # (n, m+1)
    points = np.concatenate([cand, rs], axis=1)  # (n, P)
    running = (rs[:, None, :] <= points[:, :, None]) & (points[:, :, None] < rf[:, None, :])  # (n,P,m)
    usage = running.astype(np.int64) @ rdem  # (n, P, R')
    over = np.any(usage > room, axis=2)  # (n, P)
    inside = (points[:, None, :] >= cand[:, :, None]) & (
        points[:, None, :] < (cand + dur[:, None])[:, :, None]
    )  # (n, C, P)
    bad = np.any(inside & over[:, None, :], axis=2)  # (n, C)
    big = np.iinfo(np.int64).max
    best: IntArray = np.where(bad, big, cand).min(axis=1)
    return best


def critical_mask(net: Network, starts: IntArray, finishes: IntArray) -> BoolArray:
    """Which tasks are critical in each path (n, T) of a resource-feasible schedule.

    A task is critical when it finishes at the makespan, or when it finishes
    exactly when a critical task starts and it held that task back: it is a
    predecessor of it, or (when the critical task started later than its
    predecessors allowed) it uses a resource the critical task also uses.
    Without resources this is exactly "zero total float".
    """
    if sgs_compiled.AVAILABLE:
        return sgs_compiled.critical(net, np.asarray(starts), np.asarray(finishes))
    return critical_mask_numpy(net, starts, finishes)


def critical_mask_numpy(net: Network, starts: IntArray, finishes: IntArray) -> BoolArray:
    """:func:`critical_mask` in numpy across paths ((path, task, task) arrays)."""
    s, f = np.asarray(starts), np.asarray(finishes)
    n, t = s.shape
    est = np.zeros_like(s)
    for j in range(t):
        for p in net.preds[j]:
            np.maximum(est[:, j], f[:, p], out=est[:, j])
    prec = np.zeros((t, t), dtype=bool)  # prec[i, j]: i precedes j
    for j, ps in enumerate(net.preds):
        prec[list(ps), j] = True
    shares = np.zeros((t, t), dtype=bool)
    if net.has_resources:
        use = (net.demand > 0).astype(np.int64)
        shares = (use @ use.T) > 0
        np.fill_diagonal(shares, False)
    delayed = s > est  # (n, T): started later than precedences allowed
    touch = f[:, :, None] == s[:, None, :]  # (n, i, j): i finishes when j starts
    busy = (f > s)[:, :, None]  # a task of zero duration holds no resource
    link = touch & (prec[None] | (shares[None] & busy & delayed[:, None, :]))
    makespan = f.max(axis=1, keepdims=True) if t else np.zeros((n, 1), dtype=f.dtype)
    crit = f == makespan
    for _ in range(t):
        new = crit | np.any(link & crit[:, None, :], axis=2)
        if np.array_equal(new, crit):
            break
        crit = new
    out: BoolArray = crit
    return out
