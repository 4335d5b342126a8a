"""Feasibility probe: a fused CPU kernel (numba) of the simulator's month loop.

    PYTHONPATH=/tmp/nbpkgs python benchmarks/numba_probe.py [--large] [--repeat 5]

A SECOND definition of the policy in ``bastion.simulate.kernel.step`` (not used
by the product): ``run_months`` of the numpy backend rewritten as one jitted
function. Paths are processed in tiles of W paths (W a compile-time constant,
paths innermost so LLVM can vectorise); a tile's whole state (features x W)
stays in L1 for all months; ``prange`` spreads tiles over threads. The
``Seg`` gathers become CSR loops over their linked outputs only (exact
because every store stays >= 0, checked in ``flatten``); sums run in the same
order as numpy's, so the results should agree to the last bits.

It checks the result against ``numpy_backend.run_months`` on the same sampled
inputs and prints path-months/s. Without numba it prints one line and exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

try:
    import numba
    from numba import njit, prange
except ImportError:  # pragma: no cover
    print("numba_probe: numba is not installed (pip install --target /tmp/nbpkgs numba); skipped")
    sys.exit(0)

from bastion.simulate.events import Uncertainty
from bastion.simulate.kernel import TINY
from bastion.simulate.numpy_backend import AVAIL, SHARE, run_months, sample_chunk
from bastion.simulate.params import KernelParams, Seg

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


class Flat(NamedTuple):
    """KernelParams flattened to plain arrays (a numba-typed NamedTuple)."""

    dims: I64  # n sp ss j l li dl q t c depth pdepth rmax
    smeta: I64  # (S, 3) per Seg: offset into srows, linked rows, offset into sptr
    srows: I64
    sptr: I64  # absolute offsets into ssrc / sw
    ssrc: I64
    sw: F64
    segs: I64  # group arrive_now line_entries to_pile_now
    later: I64  # (K, 3) (kind, delay, seg): 0 arrive, 1 to pile, 2 + level production
    ss_group: I64
    group_col: I64  # risky column of each group's supplier
    group_cap: F64
    group_capped: npt.NDArray[np.bool_]
    price: F64
    line_cap: F64
    ramp1: F64
    line_col: I64
    entry_line: I64
    vcost: F64
    levels: I64  # (NLEV, 4) lo hi demand_seg out_now_seg
    comp: I64  # (LI, width) positions in the level's demand rows, -1 pad
    prios: I64  # (NPR, 3) lo hi take_seg
    sp_rows: I64  # (DL,)
    pile_customer: I64
    cust_col: I64
    surge_factor: F64
    hold_store: F64
    hold_pile: F64
    target_pile: I64
    target_by: I64
    target_thr: F64
    init_store: F64
    init_pile: F64
    orders: F64
    cum_prod: F64
    cum_del: F64
    consumption: F64
    avail: F64
    share: F64


def flatten(p: KernelParams, u: Uncertainty) -> Flat:
    """Translate the KernelParams (Segs, levels, priorities) into CSR tables and index arrays."""
    meta: list[tuple[int, int, int]] = []
    rows: list[int] = []
    ptr: list[int] = []
    src: list[int] = []
    wts: list[float] = []

    def seg(s: Seg) -> int:
        meta.append((len(rows), len(s.rows), len(ptr)))
        for o in s.rows:
            rows.append(int(o))
            ptr.append(len(src))
            for i, w in zip(s.idx[o], s.w[o], strict=True):
                if i < s.n_in:  # pads add exactly 0
                    src.append(int(i))
                    wts.append(float(w))
        ptr.append(len(src))
        return len(meta) - 1

    segs = [seg(p.group), seg(p.arrive_now), seg(p.line_entries), seg(p.to_pile_now)]
    later = [(0, d, seg(s)) for d, s in p.arrive_later] + [(1, d, seg(s)) for d, s in p.to_pile_later]
    levels, width = [], max([lv.comp_rows.shape[1] for lv in p.levels] + [1])
    comp = np.full((p.li, width), -1, dtype=np.int64)
    for k, lv in enumerate(p.levels):
        levels.append((lv.lo, lv.hi, seg(lv.demand), seg(lv.out_now)))
        later += [(2 + k, d, seg(s)) for d, s in lv.out_later]
        c = lv.comp_rows
        comp[lv.lo:lv.hi, : c.shape[1]] = np.where(c < len(lv.demand.rows), c, -1)
    prios = [(pr.lo, pr.hi, seg(pr.take)) for pr in p.priorities]
    sp_rows = np.concatenate([pr.sp_rows for pr in p.priorities] + [np.zeros(0, np.int64)])
    j = len(p.group_sup)
    assert len(p.group.rows) == j  # every group has a supply: the group Seg's rows are 0..J-1
    rmax = max([m[1] for m in meta] + [p.sp, p.q, p.lines, j, 1])
    # clipping only linked store rows is exact when stores never go negative
    for a in (p.init_store, p.orders, p.cum_prod, p.cum_del, p.price):
        assert np.all(a >= 0), "numba probe assumes non-negative plan inputs"
    i64 = lambda a: np.ascontiguousarray(a, dtype=np.int64)  # noqa: E731
    f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
    dims = [p.n, p.sp, p.ss, j, p.lines, p.li, p.dl, p.q, p.t, p.customers, p.store_depth,
            p.pile_depth, rmax]
    return Flat(
        i64(dims), i64(np.array(meta).reshape(-1, 3)), i64(rows), i64(ptr), i64(src), f64(wts),
        i64(segs), i64(np.array(later, dtype=np.int64).reshape(-1, 3)), i64(p.ss_group),
        i64(u.sup_col[p.group_sup]), f64(p.group_cap), np.ascontiguousarray(p.group_capped),
        f64(p.price), f64(p.line_cap), f64(p.ramp1), i64(u.line_col), i64(p.entry_line),
        f64(p.vcost), i64(np.array(levels, dtype=np.int64).reshape(-1, 4)), comp,
        i64(np.array(prios, dtype=np.int64).reshape(-1, 3)), i64(sp_rows), i64(p.pile_customer),
        i64(u.cust_col), f64(p.surge_factor), f64(p.hold_store), f64(p.hold_pile),
        i64(p.target_pile), i64(p.target_by), f64(p.target_thr), f64(p.init_store),
        f64(p.init_pile), f64(p.orders), f64(p.cum_prod), f64(p.cum_del), f64(p.consumption),
        f64(AVAIL), f64(SHARE),
    )


def make_kernel(f: Flat, W: int, parallel: bool) -> Any:  # W: tile width
    """The jitted month loop for tiles of W paths (prange over tiles when parallel).

    The tables of ``f`` are closure variables, which numba freezes into the
    compiled code as constants: the kernel is specialised to the scenario.
    """
    n, sp, ss, ng, nl, li, dl, q, nt, _nc, depth, pdepth, rmax = (int(v) for v in f.dims)
    smeta, srows, sptr, ssrc, sw, segs, later = f.smeta, f.srows, f.sptr, f.ssrc, f.sw, f.segs, f.later
    ss_group, group_col, group_cap, group_capped, price = (
        f.ss_group, f.group_col, f.group_cap, f.group_capped, f.price)
    line_cap, ramp1, line_col, entry_line, vcost = f.line_cap, f.ramp1, f.line_col, f.entry_line, f.vcost
    levels, comp, prios, sp_rows = f.levels, f.comp, f.prios, f.sp_rows
    pile_customer, cust_col, surge_factor = f.pile_customer, f.cust_col, f.surge_factor
    hold_store, hold_pile, init_store, init_pile = f.hold_store, f.hold_pile, f.init_store, f.init_pile
    target_pile, target_by, target_thr = f.target_pile, f.target_by, f.target_thr
    orders, plan_prod, plan_del, consumption = f.orders, f.cum_prod, f.cum_del, f.consumption

    @njit(inline="always")
    def gseg(smeta: Any, sptr: Any, ssrc: Any, sw: Any, s: int, x: Any, xo: int, buf: Any) -> int:
        """buf[r] = sum_k x[xo + src_k] * w_k over the linked outputs r of Seg s; returns rows."""
        nr, po = smeta[s, 1], smeta[s, 2]
        for r in range(nr):
            buf[r, :] = 0.0
            for k in range(sptr[po + r], sptr[po + r + 1]):
                i, wk = xo + ssrc[k], sw[k]
                for jj in range(W):
                    buf[r, jj] += x[i, jj] * wk
        return nr

    @njit(inline="always")
    def ratio(have: float, need: float) -> float:
        return have / max(need, TINY) if need > have else 1.0

    @njit(inline="always")
    def avail(k: Any) -> float:  # == AVAIL[k] and SHARE[k] of numpy_backend, bit for bit
        return 1.0 - np.float64(k) / 100.0

    @njit(inline="always")
    def scatter(smeta: Any, srows: Any, s: int, buf: Any, nr: int, dst: Any, mode: int) -> None:
        """dst[row_r] += buf[r] (mode 0) or dst[row_r] = max(dst[row_r] - buf[r], 0) (mode 1)."""
        ro = smeta[s, 0]
        for r in range(nr):
            o = srows[ro + r]
            for jj in range(W):
                dst[o, jj] = dst[o, jj] + buf[r, jj] if mode == 0 else max(dst[o, jj] - buf[r, jj], 0.0)

    @njit(parallel=parallel, nogil=True, error_model="numpy")
    def run(online_in: Any, hund: Any, o_store: Any, o_backlog: Any, o_cum_prod: Any,
            o_cum_del: Any, o_pile: Any, o_unmet: Any, o_cost: Any, o_at_by: Any, o_met: Any,
            piles: Any) -> None:
        paths = online_in.shape[1]
        if paths < W:
            raise ValueError("fewer paths than the tile width")
        for t in prange((paths + W - 1) // W):
            p0 = min(t * W, paths - W)  # the last tile overlaps the one before (same values)
            store, pile, online = np.empty((sp, W)), np.empty((q, W)), np.empty((nl, W))
            backlog, inflow = np.zeros((ss, W)), np.zeros((depth, sp, W))
            cum_prod, cum_del, transit = np.zeros((li, W)), np.zeros((dl, W)), np.zeros((pdepth, q, W))
            unmet, cost, at_by = np.zeros((q, W)), np.zeros((3, W)), np.zeros((nt, W))
            met = np.full((nt, W), -1, dtype=np.int32)
            want, good, wantd, sent = np.empty((li, W)), np.empty((li, W)), np.empty((dl, W)), np.empty((dl, W))
            ship, frac, lr = np.empty((ss, W)), np.empty((ng, W)), np.empty((nl, W))
            buf, rat, acc, fe = np.empty((rmax, W)), np.empty((rmax, W)), np.empty(W), np.empty(W)
            for i in range(sp):
                store[i, :] = init_store[i]
            for i in range(q):
                pile[i, :] = init_pile[i]
            for i in range(nl):
                online[i, :] = online_in[i, p0:p0 + W]
            for i in range(nt):
                if target_by[i] < 0:
                    at_by[i, :] = pile[target_pile[i], :]
            for m in range(n):
                # purchases: backlog + orders, grouped supplier capacity x availability
                for i in range(ss):
                    for jj in range(W):
                        backlog[i, jj] += orders[m, i]
                gseg(smeta, sptr, ssrc, sw, segs[0], backlog, 0, buf)  # rows = groups 0..J-1
                for g in range(ng):
                    hc = group_col[g]
                    for jj in range(W):
                        tot, av = buf[g, jj], avail(hund[m, hc, p0 + jj])
                        can = group_cap[g] * av if group_capped[g] else tot * av
                        frac[g, jj] = min(tot, can) / max(tot, TINY) if tot > 0 else 0.0
                acc[:] = 0.0
                for i in range(ss):
                    gi, pr = ss_group[i], price[i]
                    for jj in range(W):
                        sh = backlog[i, jj] * frac[gi, jj]
                        ship[i, jj] = sh
                        backlog[i, jj] = max(backlog[i, jj] - sh, 0.0)
                        acc[jj] = acc[jj] + sh * pr
                for jj in range(W):
                    cost[0, jj] += acc[jj]
                # arrivals: slot 0 of the pipeline, lead-0 supplies, later slots
                s0 = m % depth
                for i in range(sp):
                    for jj in range(W):
                        store[i, jj] += inflow[s0, i, jj]
                        inflow[s0, i, jj] = 0.0
                nr = gseg(smeta, sptr, ssrc, sw, segs[1], ship, 0, buf)
                scatter(smeta, srows, segs[1], buf, nr, store, 0)
                for k in range(later.shape[0]):
                    if later[k, 0] == 0:
                        nr = gseg(smeta, sptr, ssrc, sw, later[k, 2], ship, 0, buf)
                        scatter(smeta, srows, later[k, 2], buf, nr, inflow[(m + later[k, 1]) % depth], 0)
                # production: capacity (ramp after online, availability), then bom levels
                for ln in range(nl):
                    hc, cap, r1 = line_col[ln], line_cap[ln], ramp1[ln]
                    for jj in range(W):
                        since = (m - online[ln, jj]) + 1.0
                        sh = min(1.0, since / r1) if since > 0 else 0.0
                        lr[ln, jj] = cap * sh * avail(hund[m, hc, p0 + jj])
                for e in range(li):
                    for jj in range(W):
                        want[e, jj] = max(plan_prod[m, e] - cum_prod[e, jj], 0.0)
                nr = gseg(smeta, sptr, ssrc, sw, segs[2], want, 0, buf)
                for r in range(nr):
                    o = srows[smeta[segs[2], 0] + r]
                    for jj in range(W):
                        lr[o, jj] = ratio(lr[o, jj], buf[r, jj])
                for e in range(li):
                    el = entry_line[e]
                    for jj in range(W):
                        want[e, jj] = want[e, jj] * lr[el, jj]
                for lv in range(levels.shape[0]):
                    lo, hi, ds, ns = levels[lv, 0], levels[lv, 1], levels[lv, 2], levels[lv, 3]
                    nr = gseg(smeta, sptr, ssrc, sw, ds, want, lo, buf)
                    for r in range(nr):
                        o = srows[smeta[ds, 0] + r]
                        for jj in range(W):
                            rat[r, jj] = ratio(store[o, jj], buf[r, jj])
                    for e in range(lo, hi):
                        fe[:] = 1.0
                        for c in range(comp.shape[1]):
                            cr = comp[e, c]
                            if cr >= 0:
                                for jj in range(W):
                                    fe[jj] = min(fe[jj], rat[cr, jj])
                        for jj in range(W):
                            good[e, jj] = want[e, jj] * fe[jj]
                    nr = gseg(smeta, sptr, ssrc, sw, ds, good, lo, buf)
                    scatter(smeta, srows, ds, buf, nr, store, 1)
                    nr = gseg(smeta, sptr, ssrc, sw, ns, good, lo, buf)
                    scatter(smeta, srows, ns, buf, nr, store, 0)
                    for k in range(later.shape[0]):
                        if later[k, 0] == 2 + lv:
                            nr = gseg(smeta, sptr, ssrc, sw, later[k, 2], good, lo, buf)
                            scatter(smeta, srows, later[k, 2], buf, nr, inflow[(m + later[k, 1]) % depth], 0)
                # deliveries by priority
                for e in range(dl):
                    for jj in range(W):
                        wantd[e, jj] = max(plan_del[m, e] - cum_del[e, jj], 0.0)
                for pr in range(prios.shape[0]):
                    lo, hi, ts = prios[pr, 0], prios[pr, 1], prios[pr, 2]
                    nr = gseg(smeta, sptr, ssrc, sw, ts, wantd, lo, buf)
                    for r in range(nr):
                        o = srows[smeta[ts, 0] + r]
                        for jj in range(W):
                            rat[r, jj] = ratio(store[o, jj], buf[r, jj])
                    for e in range(lo, hi):
                        spr = sp_rows[e]
                        for jj in range(W):
                            sent[e, jj] = wantd[e, jj] * rat[spr, jj]
                    nr = gseg(smeta, sptr, ssrc, sw, ts, sent, lo, buf)
                    scatter(smeta, srows, ts, buf, nr, store, 1)
                # transit, receipts (transit slot 0 + delivery-0 routes), consumption with surges
                t0 = m % pdepth
                for k in range(later.shape[0]):
                    if later[k, 0] == 1:
                        nr = gseg(smeta, sptr, ssrc, sw, later[k, 2], sent, 0, buf)
                        scatter(smeta, srows, later[k, 2], buf, nr, transit[(m + later[k, 1]) % pdepth], 0)
                nr = gseg(smeta, sptr, ssrc, sw, segs[3], sent, 0, buf)
                scatter(smeta, srows, segs[3], buf, nr, transit[t0], 0)
                for i in range(q):
                    cu = pile_customer[i]
                    hc, sf, co = cust_col[cu], surge_factor[cu] - 1.0, consumption[m, i]
                    for jj in range(W):
                        fac = 1.0 + sf * (np.float64(hund[m, hc, p0 + jj]) / 100.0)
                        v = (pile[i, jj] + transit[t0, i, jj]) - co * fac
                        transit[t0, i, jj] = 0.0
                        unmet[i, jj] += max(-v, 0.0)
                        pile[i, jj] = max(v, 0.0)
                for i in range(nt):
                    tp, by, thr = target_pile[i], target_by[i], target_thr[i]
                    for jj in range(W):
                        lev = pile[tp, jj]
                        if by == m:
                            at_by[i, jj] = lev
                        if met[i, jj] == -1 and lev >= thr:
                            met[i, jj] = m
                # costs (sums in numpy's row order), cumulative production and deliveries
                acc[:] = 0.0
                for e in range(li):
                    for jj in range(W):
                        acc[jj] = acc[jj] + good[e, jj] * vcost[e]
                        cum_prod[e, jj] += good[e, jj]
                for jj in range(W):
                    cost[1, jj] += acc[jj]
                acc[:] = 0.0
                fe[:] = 0.0
                for i in range(sp):
                    for jj in range(W):
                        acc[jj] = acc[jj] + store[i, jj] * hold_store[i]
                for i in range(q):
                    for jj in range(W):
                        fe[jj] = fe[jj] + pile[i, jj] * hold_pile[i]
                        piles[m, i, p0 + jj] = pile[i, jj]
                for jj in range(W):
                    cost[2, jj] += acc[jj] + fe[jj]
                for e in range(dl):
                    for jj in range(W):
                        cum_del[e, jj] += sent[e, jj]
            o_store[:, p0:p0 + W] = store  # (a loop over a tuple of pairs miscompiles under prange)
            o_backlog[:, p0:p0 + W] = backlog
            o_cum_prod[:, p0:p0 + W] = cum_prod
            o_cum_del[:, p0:p0 + W] = cum_del
            o_pile[:, p0:p0 + W] = pile
            o_unmet[:, p0:p0 + W] = unmet
            o_cost[:, p0:p0 + W] = cost
            o_at_by[:, p0:p0 + W] = at_by
            o_met[:, p0:p0 + W] = met

    return run


@njit(nogil=True)
def hundredths_nb(ptr: Any, cell: Any, share: Any, risky: int, paths: int) -> Any:
    """Coverage.hundredths() as one jitted scatter (for timing the sampling side)."""
    n = len(ptr) - 1
    out = np.zeros((n, risky + 1, paths), dtype=np.uint8)
    for m in range(n):
        for k in range(ptr[m], ptr[m + 1]):
            r, pth = cell[k] // paths, cell[k] % paths
            v = out[m, r, pth] + np.uint8(np.rint(share[k] * np.float32(100.0)))
            out[m, r, pth] = min(v, 100)
    return out


RESULT_FIELDS = ("store", "backlog", "cum_prod", "cum_del", "pile", "unmet", "cost", "at_by", "met",
                 "piles")
Result = NamedTuple("Result", [(k, Any) for k in RESULT_FIELDS])  # type: ignore[misc]
"""The final state's arrays (features x paths) and the piles (N, Q, P) of every month."""


def run_numba(kern: Any, f: Flat, online: F64, hund: npt.NDArray[np.uint8]) -> Any:
    """Allocate the outputs and run the jitted month loop."""
    d = [int(v) for v in f.dims]
    n, sp, ss, li, dl, q, t, paths = d[0], d[1], d[2], d[5], d[6], d[7], d[8], online.shape[1]
    r = Result(np.empty((sp, paths)), np.empty((ss, paths)), np.empty((li, paths)),
               np.empty((dl, paths)), np.empty((q, paths)), np.empty((q, paths)),
               np.empty((3, paths)), np.empty((t, paths)), np.empty((t, paths), dtype=np.int32),
               np.empty((n, q, paths)))
    assert paths >= 1 and hund.flags.c_contiguous
    kern(np.ascontiguousarray(online, dtype=np.float64), hund, *r)
    return r


def compare(ref: Any, ref_piles: F64, r: Any) -> tuple[float, float, int]:
    """Max abs and relative (|a| floored at 1e-12) differences of every float field; met mismatches."""
    mab, mrel = 0.0, 0.0
    for k in (*RESULT_FIELDS[:-2], "piles"):
        a = ref_piles if k == "piles" else np.asarray(getattr(ref, k))
        d = np.abs(a - getattr(r, k))
        mab = max(mab, float(d.max(initial=0.0)))
        mrel = max(mrel, float((d / np.maximum(np.abs(a), 1e-12)).max(initial=0.0)))
    return mab, mrel, int(np.sum(np.asarray(ref.met) != r.met))


def median_time(fn: Any, repeat: int) -> float:
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def probe(name: str, s: Any, sizes: list[int], repeat: int, widths: list[int]) -> None:
    from bastion.plan import solve_plan
    from bastion.simulate import prepare

    t0 = time.perf_counter()
    plan = solve_plan(s, explain=False, sensitivity=False)
    t_plan = time.perf_counter() - t0
    _pa, u, p = prepare(s, plan)
    f = flatten(p, u)
    print(f"== {name}: {p.n} months, {p.sp} store pairs, {p.ss} supplies, {p.li} line-items, "
          f"{p.dl} routes, {u.risky} risky nodes; plan solve {t_plan:.1f} s")
    kerns: dict[tuple[int, bool], Any] = {}
    online, cov = sample_chunk(u, 0, 0, sizes[0])
    hund = cov.hundredths()
    for w in widths:
        for par in (False, True):
            k = make_kernel(f, w, par)
            t0 = time.perf_counter()
            run_numba(k, f, online[:, :w], np.ascontiguousarray(hund[:, :, :w]))
            kerns[(w, par)] = k
            print(f"compile W={w:<3} {'prange' if par else 'serial'}: {time.perf_counter() - t0:6.2f} s")
    t0 = time.perf_counter()
    ref, ref_piles, _ = run_months(p, u, online, cov)
    print(f"numpy run_months, {sizes[0]} paths (check run): {time.perf_counter() - t0:.2f} s")
    for (w, par), k in kerns.items():
        numba.set_num_threads(2 if par else 1)
        mab, mrel, nmet = compare(ref, ref_piles, run_numba(k, f, online, hund))
        print(f"check W={w:<3} {'prange' if par else 'serial'} vs numpy run_months ({sizes[0]} paths):"
              f" max abs {mab:.3g}, max rel {mrel:.3g}, met mismatches {nmet}")
    hundredths_nb(cov.ptr, cov.cell, cov.share, cov.risky, cov.paths)  # compile
    assert np.array_equal(hundredths_nb(cov.ptr, cov.cell, cov.share, cov.risky, cov.paths), hund)
    print(f"{'paths':>7} {'what':<34} {'seconds':>8} {'M path-months/s':>16}")
    for paths in sizes:
        on, cv = sample_chunk(u, 0, 0, paths)
        hu = cv.hundredths()
        rows: list[tuple[str, float]] = []
        if p.sp < 50:  # the large scenario's numpy time is the check run above
            rows.append(("numpy run_months (1 thread)",
                         median_time(lambda: run_months(p, u, on, cv), repeat)))  # noqa: B023
        rows.append(("Coverage.hundredths (numpy)", median_time(cv.hundredths, repeat)))
        rows.append(("hundredths (numba, 1 thread)", median_time(
            lambda: hundredths_nb(cv.ptr, cv.cell, cv.share, cv.risky, cv.paths), repeat)))  # noqa: B023
        for (w, par), k in kerns.items():
            numba.set_num_threads(2 if par else 1)
            run_numba(k, f, on, hu)
            rows.append((f"numba W={w} {'prange 2 threads' if par else '1 thread'}",
                         median_time(lambda: run_numba(k, f, on, hu), repeat)))  # noqa: B023
        for what, sec in rows:
            print(f"{paths:>7,} {what:<34} {sec:8.4f} {paths * p.n / sec / 1e6:16.2f}", flush=True)


def main() -> None:
    from pathlib import Path

    from bastion.scenario import load_scenario

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="4096,16384,65536")
    ap.add_argument("--widths", default="1,128", help="tile widths W (paths per tile)")
    ap.add_argument("--large", action="store_true", help="also the generated 240-month scenario")
    a = ap.parse_args()
    sizes = [int(v) for v in a.sizes.split(",")]
    widths = [int(v) for v in a.widths.split(",")]
    here = Path(__file__).resolve().parent
    print(f"numba {numba.__version__}, numpy {np.__version__}, threads available "
          f"{numba.config.NUMBA_NUM_THREADS}, layer {numba.config.THREADING_LAYER}")
    probe("reference (baltic-atm-plant)",
          load_scenario(here.parent / "src/bastion/scenario/examples/baltic-atm-plant.yaml"),
          sizes, a.repeat, widths)
    if a.large:
        sys.path.insert(0, str(here))
        from bench_simulate import large

        s = large()
        if s is None:
            print("benchmarks/generate.py not found: large scenario skipped")
        else:
            probe("large generated (240 months, seed 1)", s, sizes[:1], a.repeat, widths)


if __name__ == "__main__":
    main()
