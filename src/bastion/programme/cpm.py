"""Critical path method: forward and backward passes, one schedule or many.

Durations are whatever unit the caller uses (months as floats, or integer
hundredths of a month); the passes only add and compare them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.programme.network import Network, topological_order

__all__ = [
    "FLOAT_TOLERANCE",
    "CpmResult",
    "backward_pass_paths",
    "critical_order",
    "forward_pass_paths",
    "solve_cpm",
    "topological_order",
]

FLOAT_TOLERANCE = 1e-9
"""A total float at or below this counts as zero (critical)."""

Array = npt.NDArray[Any]


@dataclass(frozen=True, eq=False)
class CpmResult:
    """One CPM pass: earliest starts and finishes, latest finishes, total float.

    ``critical`` holds the indices of the tasks with zero total float (within
    :data:`FLOAT_TOLERANCE`), ordered by start, then file order.
    """

    starts: npt.NDArray[np.float64]
    finishes: npt.NDArray[np.float64]
    latest_finishes: npt.NDArray[np.float64]
    total_float: npt.NDArray[np.float64]
    makespan: float
    critical: tuple[int, ...]


def critical_order(
    starts: Sequence[float] | Array, mask: Sequence[bool] | npt.NDArray[np.bool_]
) -> tuple[int, ...]:
    """Indices where ``mask`` holds, ordered by start, then file order."""
    idx = [i for i in range(len(mask)) if mask[i]]
    return tuple(sorted(idx, key=lambda i: (float(starts[i]), i)))


def solve_cpm(net: Network, durations: Sequence[float] | npt.NDArray[np.float64] | None = None) -> CpmResult:
    """Forward and backward pass on one duration vector (default: the modes).

    Every task starts as soon as its predecessors have finished (resources
    ignored). The backward pass uses the makespan as the deadline of every
    task without successors.
    """
    d = np.asarray(net.durations[:, 1] if durations is None else durations, dtype=np.float64)
    if d.shape != (net.size,):
        raise ValueError(f"durations must have shape ({net.size},), got {d.shape}")
    es = np.zeros(net.size)
    ef = np.zeros(net.size)
    for j in net.order:
        es[j] = max((ef[p] for p in net.preds[j]), default=0.0)
        ef[j] = es[j] + d[j]
    makespan = float(ef.max(initial=0.0))
    lf = np.full(net.size, makespan)
    succs = net.successors()
    for j in reversed(net.order):
        lf[j] = min((lf[s] - d[s] for s in succs[j]), default=makespan)
    tf = lf - ef
    crit = critical_order(es, tf <= FLOAT_TOLERANCE)
    return CpmResult(es, ef, lf, tf, makespan, crit)


def forward_pass_paths(net: Network, durations: Array) -> Array:
    """Earliest finishes for many duration vectors at once.

    Args:
        net: the network (only ``preds`` and ``order`` are used).
        durations: (n, T) durations, one row per path (float or int).

    Returns:
        (n, T) finish times, same dtype as ``durations``. The loop runs over
        tasks in topological order; numpy works across the paths.
    """
    d = np.ascontiguousarray(np.asarray(durations).T)  # (T, n): a task's paths are contiguous
    ef = np.empty_like(d)
    for j in net.order:
        ps = net.preds[j]
        if not ps:
            ef[j] = d[j]
        elif len(ps) == 1:
            np.add(ef[ps[0]], d[j], out=ef[j])
        else:
            np.maximum(ef[ps[0]], ef[ps[1]], out=ef[j])
            for p in ps[2:]:
                np.maximum(ef[j], ef[p], out=ef[j])
            ef[j] += d[j]
    out: Array = ef.T
    return out


def backward_pass_paths(net: Network, durations: Array, finishes: Array) -> Array:
    """Latest finishes for many paths, each against its own makespan.

    ``total float = latest finish - earliest finish``; zero marks a critical
    task in that path.
    """
    d = np.asarray(durations).T
    ef = np.asarray(finishes).T
    makespan = ef.max(axis=0) if ef.shape[0] else np.zeros(ef.shape[1], dtype=ef.dtype)
    lf = np.empty_like(ef)
    succs = net.successors()
    for j in reversed(net.order):
        ss = succs[j]
        if not ss:
            lf[j] = makespan
        else:
            np.subtract(lf[ss[0]], d[ss[0]], out=lf[j])
            for s in ss[1:]:
                np.minimum(lf[j], lf[s] - d[s], out=lf[j])
    out: Array = lf.T
    return out
