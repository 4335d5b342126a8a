"""The compiled step's tables: KernelParams and Uncertainty flattened to plain arrays.

The compiled month step (:mod:`bastion.simulate.compiled_step`) takes every
table of a scenario as an argument (never as a compiled-in constant), so one
compilation serves every scenario. Each :class:`~bastion.simulate.params.Seg`
becomes a CSR list over its *linked* output rows only: the reference kernel
clips every store row after a subtraction (``max(store - used, 0)``), the
compiled step only the rows something is taken from, which is the same
whenever no store is negative. :func:`compiled_supported` checks the inputs
that guarantee it (initial stores, orders and planned cumulative production
and deliveries are all >= 0); the engine falls back to numpy otherwise.

Event sources stay generic: a supplier, line or customer reads its risky
column (``sup_col``, ``line_col``, ``cust_col`` of :class:`Uncertainty`),
whatever sources cover that column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from bastion.simulate.events import Uncertainty
from bastion.simulate.params import KernelParams, Seg

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

LATER_ARRIVE, LATER_PILE, LATER_LEVEL = 0, 1, 2
"""Kinds of delayed flows in ``Tables.later``: supplier arrivals, deliveries to piles, level k
output (kind 2 + k)."""


class Tables(NamedTuple):
    """Everything the compiled step reads (a numba-typed NamedTuple of arrays)."""

    dims: I64  # n sp ss j l li dl q t c depth pdepth rmax
    smeta: I64  # (S, 3) per Seg: offset into srows, linked rows, offset into sptr
    srows: I64  # linked output rows of every Seg
    sptr: I64  # absolute offsets into ssrc / sw, one more per Seg
    ssrc: I64  # input rows
    sw: F64  # weights
    segs: I64  # the Segs group, arrive_now, line_entries, to_pile_now
    later: I64  # (K, 3) (kind, delay, seg)
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
    orders: F64  # (N, SS)
    cum_prod: F64  # (N, LI)
    cum_del: F64  # (N, DL)
    consumption: F64  # (N, Q)


def compiled_supported(p: KernelParams) -> bool:
    """Whether the compiled step equals the reference kernel on these inputs (no negative store)."""
    return all(bool(np.all(a >= 0)) for a in (p.init_store, p.orders, p.cum_prod, p.cum_del))


def flatten(p: KernelParams, u: Uncertainty) -> Tables:
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
    later = [(LATER_ARRIVE, d, seg(s)) for d, s in p.arrive_later]
    later += [(LATER_PILE, d, seg(s)) for d, s in p.to_pile_later]
    levels = []
    width = max([lv.comp_rows.shape[1] for lv in p.levels] + [1])
    comp = np.full((p.li, width), -1, dtype=np.int64)
    for k, lv in enumerate(p.levels):
        levels.append((lv.lo, lv.hi, seg(lv.demand), seg(lv.out_now)))
        later += [(LATER_LEVEL + k, d, seg(s)) for d, s in lv.out_later]
        c = lv.comp_rows
        comp[lv.lo:lv.hi, : c.shape[1]] = np.where(c < len(lv.demand.rows), c, -1)
    prios = [(pr.lo, pr.hi, seg(pr.take)) for pr in p.priorities]
    sp_rows = np.concatenate([pr.sp_rows for pr in p.priorities] + [np.zeros(0, np.int64)])
    j = len(p.group_sup)
    if len(p.group.rows) != j:  # every group has a supply: its Seg's linked rows are 0..J-1
        raise ValueError("a supplier-item group without a supply")
    rmax = max([m[1] for m in meta] + [p.sp, p.q, p.lines, j, 1])
    dims = [p.n, p.sp, p.ss, j, p.lines, p.li, p.dl, p.q, p.t, p.customers, p.store_depth,
            p.pile_depth, rmax]

    def i64(a: object) -> I64:
        return np.ascontiguousarray(np.asarray(a, dtype=np.int64))

    def f64(a: object) -> F64:
        return np.ascontiguousarray(np.asarray(a, dtype=np.float64))

    def rows_of(a: Sequence[tuple[int, ...]], k: int) -> I64:
        return i64(np.array(a, dtype=np.int64).reshape(-1, k))

    return Tables(
        dims=i64(dims), smeta=rows_of(meta, 3), srows=i64(rows), sptr=i64(ptr), ssrc=i64(src),
        sw=f64(wts), segs=i64(segs), later=rows_of(later, 3), ss_group=i64(p.ss_group),
        group_col=i64(u.sup_col[p.group_sup]), group_cap=f64(p.group_cap),
        group_capped=np.ascontiguousarray(p.group_capped, dtype=np.bool_), price=f64(p.price),
        line_cap=f64(p.line_cap), ramp1=f64(p.ramp1), line_col=i64(u.line_col),
        entry_line=i64(p.entry_line), vcost=f64(p.vcost), levels=rows_of(levels, 4), comp=comp,
        prios=rows_of(prios, 3), sp_rows=i64(sp_rows), pile_customer=i64(p.pile_customer),
        cust_col=i64(u.cust_col), surge_factor=f64(p.surge_factor), hold_store=f64(p.hold_store),
        hold_pile=f64(p.hold_pile), target_pile=i64(p.target_pile), target_by=i64(p.target_by),
        target_thr=f64(p.target_thr), init_store=f64(p.init_store), init_pile=f64(p.init_pile),
        orders=f64(p.orders).reshape(p.n, p.ss), cum_prod=f64(p.cum_prod).reshape(p.n, p.li),
        cum_del=f64(p.cum_del).reshape(p.n, p.dl), consumption=f64(p.consumption).reshape(p.n, p.q),
    )
