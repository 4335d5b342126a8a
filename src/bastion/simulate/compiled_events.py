"""Event coverage for the compiled step: covered hundredths of each month, path by path (numba).

Stored tile by tile, (tiles, months, risky nodes + 1, tile width) uint8, so a tile's rows are
written and read in one contiguous block (the step reads them tile by tile).

``events.coverage(...).hundredths()`` computed without its sorts over the
whole chunk: each path's events are gathered (a few dozen), sorted by node
and start, merged where they overlap or touch, and each merged interval adds
its share of every month it meets. Every start and end is a whole number of
hundredths of a month, so the union's measure in hundredths is exact and
equals the numpy coverage (tests check both on any events and on every test
scenario's draws). :func:`drawn_hundredths` starts from the generator's raw
draws (``events.sample_events`` fused in), :func:`hundredths` from sampled
events.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(inline="always")
def _path_cover(bn: Any, bs: Any, be: Any, k: int, n: int, pth: int, out: Any, cnt: Any,
                ss: Any, se: Any) -> None:
    """Add to path pth's rows of out (tiles, n, risky + 1, tile width) the covered hundredths of
    the union of each node's k intervals [bs, be) (whole hundredths; bn the node). The
    intervals are grouped by node (a counting sort into ss/se; cnt has risky + 2 entries) and
    sorted by start within a node (a handful each). A tile's rows are zeroed when its first
    path comes."""
    tw = out.shape[3]
    t, j = pth // tw, pth % tw
    if j == 0:
        out[t] = 0
    cnt[:] = 0
    for a in range(k):
        cnt[bn[a] + 1] += 1
    for r in range(cnt.shape[0] - 1):
        cnt[r + 1] += cnt[r]
    for a in range(k):  # stable: cnt[r] ends at the end of node r's group
        at = cnt[bn[a]]
        cnt[bn[a]] += 1
        ss[at], se[at] = bs[a], be[a]
    lo = 0
    for r in range(cnt.shape[0] - 1):
        hi = cnt[r]
        for a in range(lo + 1, hi):  # insertion sort by start
            ks, ke = ss[a], se[a]
            b = a - 1
            while b >= lo and ss[b] > ks:
                ss[b + 1], se[b + 1] = ss[b], se[b]
                b -= 1
            ss[b + 1], se[b + 1] = ks, ke
        a = lo
        while a < hi:
            cs, ce = ss[a], se[a]
            a += 1
            while a < hi and ss[a] <= ce:
                ce = max(ce, se[a])
                a += 1
            for m in range(cs // 100, min((ce + 99) // 100, n)):
                share = min(ce, 100 * (m + 1)) - max(cs, 100 * m)
                if share > 0:
                    out[t, m, r, j] = min(int(out[t, m, r, j]) + share, 100)
        lo = hi


@njit(nogil=True, cache=True)
def hundredths(path: Any, node: Any, start: Any, end: Any, n: int, paths: int,
               out: Any) -> Any:  # pragma: no cover - compiled (tests compare it with numpy)
    """events.coverage(...).hundredths() of sampled events, tile by tile into `out`
    (tiles, n, risky + 1, tile width), returned."""
    out[(paths - 1) // out.shape[3]:] = 0
    e_count = path.shape[0]
    first = np.zeros(paths + 1, dtype=np.int64)
    for e in range(e_count):
        first[path[e] + 1] += 1
    for p in range(paths):
        first[p + 1] += first[p]
    fill = first[:-1].copy()
    order = np.empty(e_count, dtype=np.int64)
    for e in range(e_count):
        order[fill[path[e]]] = e
        fill[path[e]] += 1
    most = 0
    for p in range(paths):
        most = max(most, first[p + 1] - first[p])
    bn, bs, be = np.empty(most, np.int64), np.empty(most, np.int64), np.empty(most, np.int64)
    ss, se, cnt = np.empty(most, np.int64), np.empty(most, np.int64), np.empty(out.shape[2] + 1, np.int64)
    for p in range(paths):
        k = 0
        for i in range(first[p], first[p + 1]):
            e = order[i]
            bn[k] = node[e]
            bs[k] = np.int64(np.rint(start[e] * 100.0))
            be[k] = np.int64(np.rint(end[e] * 100.0))
            k += 1
        _path_cover(bn, bs, be, k, n, p, out, cnt, ss, se)
    return out


@njit(nogil=True, cache=True)
def drawn_hundredths(counts: Any, u_start: Any, u_dur: Any, draw_ptr: Any, tri: Any,
                     node_ptr: Any, nodes: Any, n: int, paths: int,
                     out: Any) -> Any:  # pragma: no cover - compiled (tests compare it with numpy)
    """events.sample_events + coverage + hundredths fused, from the generator's raw draws.

    counts (S, P): events of source s on each path; u_start, u_dur: the uniforms of the starts
    and durations, source s's at draw_ptr[s]:draw_ptr[s + 1], path by path (the order of
    ``sample_events``); tri (S, 4): a, c, b of the triangular duration and, when b <= a, the
    fixed duration in hundredths; node_ptr/nodes: the risky columns each source stops. Starts
    and durations are those of ``sample_events`` in whole hundredths (start = rint(u x n x 100),
    duration = rint(triangular(u) x 100)); events starting at n or later, or of no duration,
    are dropped, as there. Writes into and returns `out` (tiles, n, risky + 1, tile width):
    the rows of path p are out[p // width, :, :, p % width]; paths past `paths` stay 0.
    """
    out[(paths - 1) // out.shape[3]:] = 0  # the last tile's pad (and any tile without paths)
    n_src = counts.shape[0]
    pos = draw_ptr[:-1].copy()  # each source's next draw
    most = 0
    for p in range(paths):
        tot = 0
        for s in range(n_src):
            tot += counts[s, p] * (node_ptr[s + 1] - node_ptr[s])
        most = max(most, tot)
    bn, bs, be = np.empty(most, np.int64), np.empty(most, np.int64), np.empty(most, np.int64)
    ss, se, cnt = np.empty(most, np.int64), np.empty(most, np.int64), np.empty(out.shape[2] + 1, np.int64)
    nf = np.float64(n)
    for p in range(paths):
        k = 0
        for s in range(n_src):
            a, c, b = tri[s, 0], tri[s, 1], tri[s, 2]
            width = b - a
            fc = (c - a) / width if width > 0 else 0.0
            for _ in range(counts[s, p]):
                e = pos[s]
                pos[s] += 1
                st = np.int64(np.rint(u_start[e] * nf * 100.0))
                if width > 0:
                    u = u_dur[e]
                    d = a + np.sqrt(u * width * (c - a)) if u < fc else b - np.sqrt((1.0 - u) * width * (b - c))
                    du = np.int64(np.rint(d * 100.0))
                else:
                    du = np.int64(tri[s, 3])
                if st < 100 * n and du > 0:
                    for j in range(node_ptr[s], node_ptr[s + 1]):
                        bn[k], bs[k], be[k] = nodes[j], st, st + du
                        k += 1
        _path_cover(bn, bs, be, k, n, p, out, cnt, ss, se)
    return out
