"""The compiled month step: the reference policy as scalar code over tiles of paths (numba).

A second writing of :func:`bastion.simulate.kernel.step` (the reference, which
docs/method-simulate.md describes), held **bit-identical** to it in float64
by tests: every sum is taken in the reference's order, with the same
operations. Paths run in tiles of ``TILE`` paths (paths innermost, so LLVM
vectorises the inner loops); a tile's whole state stays in the cache for
every month; threads of the caller run ranges of tiles at once (the function
releases the GIL). A serial function called from threads rather than numba's
``parallel=True``: the same speed, and it compiles in 17 s of CPU instead of
45 s (measured on the 2-core machine). Every table arrives
as an argument (:class:`~bastion.simulate.compiled_tables.Tables`), so one
compilation, kept in numba's cache (``cache=True``), serves every scenario.

The fan-chart histograms and per-month minima/maxima are counted inside the
step, one histogram per thread (slot) (integer counts: the sum over threads is
exact), so the per-month stockpiles of every path are never stored.

Importing this module needs numba; :mod:`bastion.simulate.compiled` imports
it only when the compiled backend is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from bastion.simulate.kernel import TINY

TILE = 128
"""Paths per tile (a compile-time constant; the probe measured 128 best of 1-128)."""
FAN_BINS = 256
"""Bins of the fan-chart histograms (numpy_backend.FAN_BINS)."""
HUNDREDTH_HI = float.fromhex("0x1.47ae147a00000p-7")
"""0.01 cut to 32 significant bits: k x HUNDREDTH_HI is exact for whole k <= 100."""
HUNDREDTH_LO = float.fromhex("0x1.c28f5c28f5c29p-40")
"""0.01 - HUNDREDTH_HI, rounded to float64."""


@njit(inline="always")
def _gseg(smeta: Any, sptr: Any, ssrc: Any, sw: Any, s: int, x: Any, xo: int, buf: Any) -> int:
    """buf[r] = sum_k x[xo + src_k] * w_k over the linked outputs r of Seg s; returns rows."""
    nr, po = smeta[s, 1], smeta[s, 2]
    for r in range(nr):
        k0, k1 = sptr[po + r], sptr[po + r + 1]
        if k1 == k0:
            for jj in range(TILE):
                buf[r, jj] = 0.0
            continue
        i, wk = xo + ssrc[k0], sw[k0]
        for jj in range(TILE):  # 0 + the first term: as zeroing first, one pass fewer
            buf[r, jj] = 0.0 + x[i, jj] * wk
        for k in range(k0 + 1, k1):
            i, wk = xo + ssrc[k], sw[k]
            for jj in range(TILE):
                buf[r, jj] += x[i, jj] * wk
    return nr  # type: ignore[no-any-return]


@njit(inline="always")
def _gadd(smeta: Any, srows: Any, sptr: Any, ssrc: Any, sw: Any, s: int, x: Any, xo: int, buf: Any,
          dst: Any, take: bool) -> None:
    """buf rows of _gseg added to (or, when `take`, taken from and clipped at 0 in) the linked
    rows of dst, row by row: the same sums and the same updates of dst, a one-term
    row in one pass (no trip through buf). dst must not be x (rows are then independent)."""
    ro, nr, po = smeta[s, 0], smeta[s, 1], smeta[s, 2]
    for r in range(nr):
        o, k0, k1 = srows[ro + r], sptr[po + r], sptr[po + r + 1]
        if k1 - k0 == 1:
            i, wk = xo + ssrc[k0], sw[k0]
            for jj in range(TILE):
                v = 0.0 + x[i, jj] * wk
                dst[o, jj] = max(dst[o, jj] - v, 0.0) if take else dst[o, jj] + v
            continue
        for jj in range(TILE):
            buf[0, jj] = 0.0
        for k in range(k0, k1):
            i, wk = xo + ssrc[k], sw[k]
            for jj in range(TILE):
                buf[0, jj] += x[i, jj] * wk
        for jj in range(TILE):
            dst[o, jj] = max(dst[o, jj] - buf[0, jj], 0.0) if take else dst[o, jj] + buf[0, jj]


@njit(inline="always")
def _ratio(have: float, need: float) -> float:
    """min(1, have / need), 1 where nothing is needed (kernel._ratio)."""
    return have / max(need, TINY) if need > have else 1.0


@njit(inline="always")
def _share(k: Any) -> float:
    """k / 100 bit for bit for whole k in 0..100 (numpy_backend.SHARE[k]), without a division.

    k x HI is exact and k x LO is within half an ulp of the rest, so their sum rounds to the
    correctly rounded k / 100 (checked for every k by the tests, with and without a fused
    multiply-add). A division costs ~10 cycles per 8 lanes here, a table lookup (a gather)
    more; the step needs 19 of these per path-month.
    """
    x = np.float64(k)
    return x * HUNDREDTH_HI + x * HUNDREDTH_LO


@njit(nogil=True, cache=True, error_model="numpy")
def run_tiles(tb: Any, online_in: Any, hund: Any, paths: int, scale: Any, t_lo: int, t_hi: int,
              slot: int, o_store: Any, o_backlog: Any, o_cum_prod: Any, o_cum_del: Any, o_pile: Any,
              o_unmet: Any, o_cost: Any, o_at_by: Any, o_met: Any, hist: Any, fmin: Any, fmax: Any,
              piles: Any) -> None:  # pragma: no cover - compiled (tests compare it with numpy)
    """Play every month on paths [0, paths) of `online_in` (L, T x TILE) and `hund`
    (T, N, R + 1, TILE): the covered hundredths of tile t's paths, stored tile by tile (paths
    past `paths` pad the last tile; their results are not counted), tiles [t_lo, t_hi) only.

    Writes the final state (features x P) into the o_* arrays, adds each month's stockpile
    to the fan histograms hist[slot] (Q, N, FAN_BINS) at bins int(pile x scale) and to
    fmin/fmax[slot] (Q, N) (one slot per thread); when piles has N rows, also stores every
    month's piles. Releases the GIL: threads run disjoint tile ranges at once.
    """
    n, sp, ss, ng, nl, li, dl, q, nt = (tb.dims[0], tb.dims[1], tb.dims[2], tb.dims[3], tb.dims[4],
                                        tb.dims[5], tb.dims[6], tb.dims[7], tb.dims[8])
    depth, pdepth, rmax = tb.dims[10], tb.dims[11], tb.dims[12]
    smeta, srows, sptr, ssrc, sw, segs, later = tb.smeta, tb.srows, tb.sptr, tb.ssrc, tb.sw, tb.segs, tb.later
    levels, comp, prios, sp_rows = tb.levels, tb.comp, tb.prios, tb.sp_rows
    trace = piles.shape[0] > 0
    tid = slot
    for t in range(t_lo, t_hi):
        p0 = t * TILE
        j1 = min(TILE, paths - p0)  # columns of this tile counted in the histograms
        store, pile, online = np.empty((sp, TILE)), np.empty((q, TILE)), np.empty((nl, TILE))
        backlog, inflow = np.zeros((ss, TILE)), np.zeros((depth, sp, TILE))
        cum_prod, cum_del = np.zeros((li, TILE)), np.zeros((dl, TILE))
        transit = np.zeros((pdepth, q, TILE))
        unmet, cost, at_by = np.zeros((q, TILE)), np.zeros((3, TILE)), np.zeros((nt, TILE))
        met = np.full((nt, TILE), -1, dtype=np.int32)
        want, good = np.empty((li, TILE)), np.empty((li, TILE))
        wantd, sent = np.empty((dl, TILE)), np.empty((dl, TILE))
        ship, frac, lr = np.empty((ss, TILE)), np.empty((ng, TILE)), np.empty((nl, TILE))
        buf, rat, acc, fe = np.empty((rmax, TILE)), np.empty((rmax, TILE)), np.empty(TILE), np.empty(TILE)
        for i in range(sp):
            store[i, :] = tb.init_store[i]
        for i in range(q):
            pile[i, :] = tb.init_pile[i]
        for i in range(nl):
            online[i, :] = online_in[i, p0:p0 + TILE]
        for i in range(nt):
            if tb.target_by[i] < 0:
                at_by[i, :] = pile[tb.target_pile[i], :]
        for m in range(n):
            # purchases: backlog + orders, grouped supplier capacity x availability
            for i in range(ss):
                for jj in range(TILE):
                    backlog[i, jj] += tb.orders[m, i]
            _gseg(smeta, sptr, ssrc, sw, segs[0], backlog, 0, buf)  # rows = groups 0..J-1
            for g in range(ng):
                hc, gcap, capped = tb.group_col[g], tb.group_cap[g], tb.group_capped[g]
                for jj in range(TILE):
                    tot, av = buf[g, jj], (1.0 - _share(hund[t, m, hc, jj]))
                    can = gcap * av if capped else tot * av
                    frac[g, jj] = min(tot, can) / max(tot, TINY) if tot > 0 else 0.0
            acc[:] = 0.0
            for i in range(ss):
                gi, pr = tb.ss_group[i], tb.price[i]
                for jj in range(TILE):
                    sh = backlog[i, jj] * frac[gi, jj]
                    ship[i, jj] = sh
                    backlog[i, jj] = max(backlog[i, jj] - sh, 0.0)
                    acc[jj] = acc[jj] + sh * pr
            for jj in range(TILE):
                cost[0, jj] += acc[jj]
            # arrivals: this month's ring slot, lead-0 supplies, later slots
            s0 = m % depth
            for i in range(sp):
                for jj in range(TILE):
                    store[i, jj] += inflow[s0, i, jj]
                    inflow[s0, i, jj] = 0.0
            _gadd(smeta, srows, sptr, ssrc, sw, segs[1], ship, 0, buf, store, False)
            for k in range(later.shape[0]):
                if later[k, 0] == 0:
                    _gadd(smeta, srows, sptr, ssrc, sw, later[k, 2], ship, 0, buf,
                          inflow[(m + later[k, 1]) % depth], False)
            # production: capacity (ramp after online, availability), then bom levels
            for ln in range(nl):
                hc, cap, r1 = tb.line_col[ln], tb.line_cap[ln], tb.ramp1[ln]
                for jj in range(TILE):
                    since = (m - online[ln, jj]) + 1.0
                    sh = min(1.0, since / r1) if since > 0 else 0.0
                    lr[ln, jj] = cap * sh * (1.0 - _share(hund[t, m, hc, jj]))
            for e in range(li):
                for jj in range(TILE):
                    want[e, jj] = max(tb.cum_prod[m, e] - cum_prod[e, jj], 0.0)
            nr = _gseg(smeta, sptr, ssrc, sw, segs[2], want, 0, buf)
            for r in range(nr):
                o = srows[smeta[segs[2], 0] + r]
                for jj in range(TILE):
                    lr[o, jj] = _ratio(lr[o, jj], buf[r, jj])
            for e in range(li):
                el = tb.entry_line[e]
                for jj in range(TILE):
                    want[e, jj] = want[e, jj] * lr[el, jj]
            for lv in range(levels.shape[0]):
                lo, hi, ds, ns = levels[lv, 0], levels[lv, 1], levels[lv, 2], levels[lv, 3]
                nr = _gseg(smeta, sptr, ssrc, sw, ds, want, lo, buf)
                for r in range(nr):
                    o = srows[smeta[ds, 0] + r]
                    for jj in range(TILE):
                        rat[r, jj] = _ratio(store[o, jj], buf[r, jj])
                for e in range(lo, hi):
                    fe[:] = 1.0
                    for c in range(comp.shape[1]):
                        cr = comp[e, c]
                        if cr >= 0:
                            for jj in range(TILE):
                                fe[jj] = min(fe[jj], rat[cr, jj])
                    for jj in range(TILE):
                        good[e, jj] = want[e, jj] * fe[jj]
                _gadd(smeta, srows, sptr, ssrc, sw, ds, good, lo, buf, store, True)
                _gadd(smeta, srows, sptr, ssrc, sw, ns, good, lo, buf, store, False)
                for k in range(later.shape[0]):
                    if later[k, 0] == 2 + lv:
                        _gadd(smeta, srows, sptr, ssrc, sw, later[k, 2], good, lo, buf,
                              inflow[(m + later[k, 1]) % depth], False)
            # deliveries by priority
            for e in range(dl):
                for jj in range(TILE):
                    wantd[e, jj] = max(tb.cum_del[m, e] - cum_del[e, jj], 0.0)
            for pr in range(prios.shape[0]):
                lo, hi, ts = prios[pr, 0], prios[pr, 1], prios[pr, 2]
                nr = _gseg(smeta, sptr, ssrc, sw, ts, wantd, lo, buf)
                for r in range(nr):
                    o = srows[smeta[ts, 0] + r]
                    for jj in range(TILE):
                        rat[r, jj] = _ratio(store[o, jj], buf[r, jj])
                for e in range(lo, hi):
                    spr = sp_rows[e]
                    for jj in range(TILE):
                        sent[e, jj] = wantd[e, jj] * rat[spr, jj]
                _gadd(smeta, srows, sptr, ssrc, sw, ts, sent, lo, buf, store, True)
            # transit, receipts (transit slot + delivery-0 routes), consumption with surges
            t0 = m % pdepth
            for k in range(later.shape[0]):
                if later[k, 0] == 1:
                    _gadd(smeta, srows, sptr, ssrc, sw, later[k, 2], sent, 0, buf,
                          transit[(m + later[k, 1]) % pdepth], False)
            _gadd(smeta, srows, sptr, ssrc, sw, segs[3], sent, 0, buf, transit[t0], False)
            for i in range(q):
                cu = tb.pile_customer[i]
                hc, sf, co = tb.cust_col[cu], tb.surge_factor[cu] - 1.0, tb.consumption[m, i]
                for jj in range(TILE):
                    fac = 1.0 + sf * _share(hund[t, m, hc, jj])
                    v = (pile[i, jj] + transit[t0, i, jj]) - co * fac
                    transit[t0, i, jj] = 0.0
                    unmet[i, jj] += max(-v, 0.0)
                    pile[i, jj] = max(v, 0.0)
            for i in range(nt):
                tp, by, thr = tb.target_pile[i], tb.target_by[i], tb.target_thr[i]
                for jj in range(TILE):
                    lev = pile[tp, jj]
                    if by == m:
                        at_by[i, jj] = lev
                    if met[i, jj] == -1 and lev >= thr:
                        met[i, jj] = m
            # costs (sums in the reference's row order), cumulative production and deliveries
            acc[:] = 0.0
            for e in range(li):
                vc = tb.vcost[e]
                for jj in range(TILE):
                    acc[jj] = acc[jj] + good[e, jj] * vc
                    cum_prod[e, jj] += good[e, jj]
            for jj in range(TILE):
                cost[1, jj] += acc[jj]
            acc[:] = 0.0
            fe[:] = 0.0
            for i in range(sp):
                hs = tb.hold_store[i]
                for jj in range(TILE):
                    acc[jj] = acc[jj] + store[i, jj] * hs
            for i in range(q):
                hp = tb.hold_pile[i]
                for jj in range(TILE):
                    fe[jj] = fe[jj] + pile[i, jj] * hp
            for jj in range(TILE):
                cost[2, jj] += acc[jj] + fe[jj]
            for e in range(dl):
                for jj in range(TILE):
                    cum_del[e, jj] += sent[e, jj]
            # fan charts: this month's stockpiles, counted once per path
            for i in range(q):
                sc = scale[i]
                lo_v, hi_v = fmin[tid, i, m], fmax[tid, i, m]
                for jj in range(j1):
                    v = pile[i, jj]
                    b = int(v * sc)  # truncation, as numpy astype(int64)
                    b = min(max(b, 0), FAN_BINS - 1)
                    hist[tid, i, m, b] += 1
                    lo_v = min(lo_v, v)
                    hi_v = max(hi_v, v)
                fmin[tid, i, m], fmax[tid, i, m] = lo_v, hi_v
                if trace:
                    for jj in range(TILE):
                        piles[m, i, p0 + jj] = pile[i, jj]
        o_store[:, p0:p0 + TILE] = store
        o_backlog[:, p0:p0 + TILE] = backlog
        o_cum_prod[:, p0:p0 + TILE] = cum_prod
        o_cum_del[:, p0:p0 + TILE] = cum_del
        o_pile[:, p0:p0 + TILE] = pile
        o_unmet[:, p0:p0 + TILE] = unmet
        o_cost[:, p0:p0 + TILE] = cost
        o_at_by[:, p0:p0 + TILE] = at_by
        o_met[:, p0:p0 + TILE] = met
