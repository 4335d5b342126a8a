"""The serial SGS and the critical-task rule compiled with numba, one path at a time.

Same results as the numpy versions in :mod:`bastion.programme.sgs` (exact: integer
hundredths of a month), with memory linear in tasks instead of (rivals x rivals) per
task and path. Each resource keeps its usage profile as a sorted list of breakpoints;
a task's earliest start moves past the end of every segment of its window where a
resource it uses would be over capacity (the classic profile scan: the earliest
feasible start is a rival's finish or the precedence-earliest start, so this reaches
the same start as the candidate-by-candidate check). ``AVAILABLE`` is False where numba
cannot be imported; callers then use the numpy versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.programme.network import Network

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

try:  # pragma: no cover - exercised where numba is installed
    import numba

    AVAILABLE = True
except ImportError:  # pragma: no cover
    AVAILABLE = False

BIG = np.iinfo(np.int64).max


def _csr(lists: Sequence[Sequence[int]]) -> tuple[IntArray, IntArray]:
    start = np.zeros(len(lists) + 1, dtype=np.int64)
    start[1:] = np.cumsum([len(x) for x in lists])
    flat = np.array([v for x in lists for v in x], dtype=np.int64)
    return start, flat


def _sgs_kernel(d: Any, order: Any, pstart: Any, pflat: Any, demand: Any, cap: Any,
                s: Any, f: Any) -> None:  # pragma: no cover - compiled
    n, t = d.shape
    r = cap.shape[0]
    size = 2 * t + 2
    times = np.empty((r, size), dtype=np.int64)
    usage = np.empty((r, size), dtype=np.int64)
    count = np.empty(r, dtype=np.int64)
    for path in range(n):
        for k in range(r):  # one segment [-inf, inf) of usage 0: times[k, i] starts segment i
            times[k, 0] = -BIG
            usage[k, 0] = 0
            count[k] = 1
        for pos in range(t):
            j = order[pos]
            est = 0
            for q in range(pstart[j], pstart[j + 1]):
                p = pflat[q]
                if f[path, p] > est:
                    est = f[path, p]
            dur = d[path, j]
            start = est
            if dur > 0:
                moved = True
                while moved:
                    moved = False
                    for k in range(r):
                        need = demand[j, k]
                        if need <= 0:
                            continue
                        room = cap[k] - need
                        if room < 0:
                            start = BIG
                            break
                        c = count[k]
                        i = c - 1  # the segment holding `start`
                        while i > 0 and times[k, i] > start:
                            i -= 1
                        while i < c and times[k, i] < start + dur:
                            if usage[k, i] > room:
                                start = times[k, i + 1]  # a segment over capacity ends at a finish
                                moved = True
                            i += 1
                    if start == BIG:
                        break
            s[path, j] = start
            f[path, j] = start + dur if start != BIG else BIG
            if dur > 0 and start != BIG:
                for k in range(r):
                    need = demand[j, k]
                    if need <= 0:
                        continue
                    for edge in (start, start + dur):  # split segments at both ends
                        c = count[k]
                        i = c - 1
                        while times[k, i] > edge:
                            i -= 1
                        if times[k, i] != edge:
                            for m in range(c, i + 1, -1):
                                times[k, m] = times[k, m - 1]
                                usage[k, m] = usage[k, m - 1]
                            times[k, i + 1] = edge
                            usage[k, i + 1] = usage[k, i]
                            count[k] = c + 1
                    c = count[k]
                    for i in range(c):
                        if times[k, i] >= start + dur:
                            break
                        if times[k, i] >= start:
                            usage[k, i] += need


def _critical_kernel(s: Any, f: Any, pstart: Any, pflat: Any, hstart: Any, hflat: Any,
                     out: Any) -> None:  # pragma: no cover - compiled
    n, t = s.shape
    stack = np.empty(t, dtype=np.int64)
    est = np.empty(t, dtype=np.int64)
    for path in range(n):
        top = 0
        span = -BIG
        for j in range(t):
            if f[path, j] > span:
                span = f[path, j]
        for j in range(t):
            e = 0
            for q in range(pstart[j], pstart[j + 1]):
                if f[path, pflat[q]] > e:
                    e = f[path, pflat[q]]
            est[j] = e
            crit = f[path, j] == span
            out[path, j] = crit
            if crit:
                stack[top] = j
                top += 1
        while top > 0:
            top -= 1
            j = stack[top]
            sj = s[path, j]
            for q in range(pstart[j], pstart[j + 1]):  # a predecessor finishing at j's start
                i = pflat[q]
                if not out[path, i] and f[path, i] == sj:
                    out[path, i] = True
                    stack[top] = i
                    top += 1
            if sj > est[j]:  # delayed: a task sharing a resource that held it back
                for q in range(hstart[j], hstart[j + 1]):
                    i = hflat[q]
                    if not out[path, i] and f[path, i] == sj and f[path, i] > s[path, i]:
                        out[path, i] = True
                        stack[top] = i
                        top += 1


if AVAILABLE:
    _sgs = numba.njit(cache=True, nogil=True)(_sgs_kernel)
    _critical = numba.njit(cache=True, nogil=True)(_critical_kernel)


def serial_sgs(net: Network, d: IntArray, order: Sequence[int]) -> tuple[IntArray, IntArray]:
    """(starts, finishes), (n, T) int64, of the serial SGS in ``order`` for durations ``d``."""
    return serial_sgs_arrays(d, order, net.preds, net.capacity, net.demand)


def serial_sgs_arrays(d: IntArray, order: Sequence[int], preds: Sequence[Sequence[int]],
                      capacity: IntArray, demand: IntArray) -> tuple[IntArray, IntArray]:
    """:func:`serial_sgs` from plain arrays: durations (n, T), predecessor lists, (R,) and (T, R)."""
    d = np.ascontiguousarray(d, dtype=np.int64)
    n, t = d.shape
    s = np.zeros((n, t), dtype=np.int64)
    f = np.zeros((n, t), dtype=np.int64)
    pstart, pflat = _csr(preds)
    dem = np.ascontiguousarray(np.asarray(demand, dtype=np.int64).reshape(t, -1))
    cap = np.ascontiguousarray(np.asarray(capacity, dtype=np.int64).reshape(-1))
    if dem.shape[1] != cap.shape[0]:
        dem = np.zeros((t, cap.shape[0]), dtype=np.int64)
    _sgs(d, np.asarray(order, dtype=np.int64), pstart, pflat, dem, cap, s, f)
    return s, f


def critical(net: Network, starts: IntArray, finishes: IntArray) -> BoolArray:
    """The critical tasks of each path, as :func:`bastion.programme.sgs.critical_mask` defines them."""
    s = np.ascontiguousarray(starts, dtype=np.int64)
    f = np.ascontiguousarray(finishes, dtype=np.int64)
    use: BoolArray = net.demand > 0 if net.has_resources else np.zeros((net.size, 0), dtype=bool)
    sharers: list[list[int]] = []
    for j in range(net.size):
        if use.shape[1] and use[j].any():
            mask: BoolArray = np.asarray(use[:, use[j]].any(axis=1))
            mask[j] = False
            sharers.append(np.flatnonzero(mask).tolist())
        else:
            sharers.append([])
    pstart, pflat = _csr(net.preds)
    hstart, hflat = _csr(sharers)
    out = np.zeros(s.shape, dtype=bool)
    _critical(s, f, pstart, pflat, hstart, hflat, out)
    return out
