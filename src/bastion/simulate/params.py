"""The kernel's static parameters: index arrays and constants built once from the plan arrays.

Every many-to-one sum the kernel needs (backlogs by supplier-item, demand on
a store pair, arrivals by lead time) is a :class:`Seg`: for each output
column, the input columns and weights to add. The kernel evaluates it with a
gather and a short sum (``gather_sum``), which is plain indexing in numpy and
in JAX and gives each path the same numbers whatever the batch size (no BLAS).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bastion.simulate.adapter import PlanArrays

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Seg:
    """out[:, o] = sum_k x[:, idx[o, k]] * w[o, k]; idx == n_in points at a zero pad column."""

    idx: IntArray  # (n_out, K)
    w: FloatArray  # (n_out, K)
    n_in: int
    simple: bool  # K == 1, all weights 1, no pad: a plain gather
    rows: IntArray  # (R,) output columns with at least one link
    expand: IntArray  # (n_out,) position of each output in `rows`, R when it has no link
    unit: bool  # every weight of the linked outputs is 1 (no multiply needed)

    @property
    def n_out(self) -> int:
        """Number of output columns."""
        return int(self.idx.shape[0])


def make_seg(n_in: int, n_out: int, links: Sequence[tuple[int, int, float]]) -> Seg:
    """A Seg from (input, output, weight) links."""
    per: list[list[tuple[int, float]]] = [[] for _ in range(n_out)]
    for i, o, w in links:
        per[o].append((i, w))
    k = max([len(p) for p in per] + [1])
    idx = np.full((n_out, k), n_in, dtype=np.int64)
    wts = np.zeros((n_out, k))
    for o, p in enumerate(per):
        for j, (i, wt) in enumerate(p):
            idx[o, j] = i
            wts[o, j] = wt
    simple = k == 1 and bool(np.all(idx < n_in)) and bool(np.all(wts == 1.0))
    rows = np.array([o for o in range(n_out) if per[o]], dtype=np.int64)
    expand = np.full(n_out, len(rows), dtype=np.int64)
    expand[rows] = np.arange(len(rows))
    unit = all(wt == 1.0 for p in per for _i, wt in p)
    return Seg(idx, wts, n_in, simple, rows, expand, unit)


@dataclass(frozen=True, eq=False)
class Level:
    """Production entries of one bom level: entries [lo, hi) in the kernel's order."""

    lo: int
    hi: int
    demand: Seg  # entries of the level -> store pairs: components used per good unit
    comp_idx: IntArray  # (entries, C): store pairs of each entry's components, pad = SP
    comp_rows: IntArray  # (entries, C): the same as positions in demand.rows, pad = len(rows)
    out_now: Seg  # entries -> store pairs, acceptance 0
    out_later: tuple[tuple[int, Seg], ...]  # (acceptance months, entries -> store pairs)


@dataclass(frozen=True, eq=False)
class Priority:
    """Delivery entries of one priority level: entries [lo, hi)."""

    lo: int
    hi: int
    take: Seg  # entries -> store pairs
    sp: IntArray  # (entries,) store pair of each entry
    sp_rows: IntArray  # (entries,) position of each entry's store pair in take.rows


@dataclass(frozen=True, eq=False)
class KernelParams:
    """Everything static the month step needs (numpy arrays; JAX treats them as constants)."""

    n: int
    sp: int
    ss: int
    lines: int
    li: int
    dl: int
    q: int
    t: int
    customers: int
    suppliers: int
    store_depth: int  # slots of the store pipeline (max lead / acceptance + 1)
    pile_depth: int  # slots of the customer pipeline (max delivery months + 1)
    # purchases
    group: Seg  # supplies -> supplier-item groups
    ss_group: IntArray  # (SS,)
    group_sup: IntArray  # (J,)
    group_cap: FloatArray  # (J,) 0 where uncapped
    group_capped: npt.NDArray[np.bool_]  # (J,)
    price: FloatArray  # (SS,)
    arrive_now: Seg  # supplies -> store pairs, lead 0
    arrive_later: tuple[tuple[int, Seg], ...]
    # production
    line_cap: FloatArray  # (L,)
    ramp1: FloatArray  # (L,) ramp_months + 1
    entry_line: IntArray  # (LI,)
    line_entries: Seg  # entries -> lines
    levels: tuple[Level, ...]
    vcost: FloatArray  # (LI,)
    # deliveries
    priorities: tuple[Priority, ...]
    to_pile_now: Seg  # deliveries -> piles, delivery 0
    to_pile_later: tuple[tuple[int, Seg], ...]
    pile_customer: IntArray  # (Q,)
    dl_pile: IntArray  # (DL,) pile each delivery entry feeds
    surge_factor: FloatArray  # (C,)
    # holding, targets
    hold_store: FloatArray
    hold_pile: FloatArray
    target_pile: IntArray  # (T,)
    target_by: IntArray  # (T,)
    target_thr: FloatArray  # (T,) units - 1e-6 max(1, units)
    init_store: FloatArray
    init_pile: FloatArray
    # by month (N, ...): plan inputs
    orders: FloatArray  # (N, SS) in the kernel's supply order
    cum_prod: FloatArray  # (N, LI) cumulative planned production, kernel entry order
    cum_del: FloatArray  # (N, DL) cumulative planned deliveries, kernel entry order
    consumption: FloatArray  # (N, Q)
    # map back to the adapter's orders
    entry_perm: IntArray  # kernel entry k is adapter entry entry_perm[k]
    delivery_perm: IntArray


def _by_delay(n_in: int, n_out: int, links: Sequence[tuple[int, int, int]]
              ) -> tuple[Seg, tuple[tuple[int, Seg], ...]]:
    """(delay-0 Seg, ((d, Seg) for each positive delay)) from (input, output, delay) links."""
    now = make_seg(n_in, n_out, [(i, o, 1.0) for i, o, d in links if d == 0])
    later = tuple(
        (d, make_seg(n_in, n_out, [(i, o, 1.0) for i, o, dd in links if dd == d]))
        for d in sorted({d for _i, _o, d in links if d > 0})
    )
    return now, later


def kernel_params(pa: PlanArrays, surge_factor: Sequence[float] | FloatArray) -> KernelParams:
    """Build the kernel's parameters from the plan arrays."""
    sp_index = {p: k for k, p in enumerate(pa.store_pairs)}
    n_sp = len(pa.store_pairs)
    line_index = {lid: k for k, lid in enumerate(pa.lines)}
    pile_index = {p: k for k, p in enumerate(pa.piles)}
    cust_index = {c: k for k, c in enumerate(pa.customers)}

    # purchases
    groups = list(dict.fromkeys((s, i) for s, i, _site in pa.supplies))
    g_index = {g: k for k, g in enumerate(groups)}
    ss_group = np.array([g_index[(s, i)] for s, i, _ in pa.supplies], dtype=np.int64)
    n_ss = len(pa.supplies)
    group = make_seg(n_ss, len(groups), [(k, int(ss_group[k]), 1.0) for k in range(n_ss)])
    caps = [pa.capacity.get(g) for g in groups]
    sup_index = {s: k for k, s in enumerate(pa.suppliers)}
    arrive_now, arrive_later = _by_delay(n_ss, n_sp, [
        (k, sp_index[(site, i)], int(pa.lead[k])) for k, (_s, i, site) in enumerate(pa.supplies)])

    # production entries in bom-level order (sub-assemblies first), stable
    order = sorted(range(len(pa.entries)), key=lambda e: pa.item_level[pa.entries[e][1]])
    entries = [pa.entries[e] for e in order]
    entry_line = np.array([line_index[lid] for lid, _i in entries], dtype=np.int64)
    levels = []
    lo = 0
    while lo < len(entries):
        lev = pa.item_level[entries[lo][1]]
        hi = lo
        while hi < len(entries) and pa.item_level[entries[hi][1]] == lev:
            hi += 1
        links: list[tuple[int, int, float]] = []
        comps: list[list[int]] = []
        mine: list[int]
        outs: list[tuple[int, int, int]] = []
        for e in range(lo, hi):
            lid, item = entries[e]
            li = line_index[lid]
            site = pa.line_site[li]
            mine = []
            for c, qty in pa.bom.get(item, ()):
                links.append((e - lo, sp_index[(site, c)], qty))
                mine.append(sp_index[(site, c)])
            comps.append(mine)
            outs.append((e - lo, sp_index[(site, item)], int(pa.acceptance[li])))
        width = max([len(c) for c in comps] + [1])
        comp_idx = np.full((hi - lo, width), n_sp, dtype=np.int64)
        for e, cs in enumerate(comps):
            comp_idx[e, : len(cs)] = cs
        now, later = _by_delay(hi - lo, n_sp, outs)
        demand = make_seg(hi - lo, n_sp, links)
        pos = np.append(demand.expand, len(demand.rows))
        levels.append(Level(lo, hi, demand, comp_idx, pos[comp_idx], now, later))
        lo = hi

    # deliveries in priority order, stable
    dorder = sorted(range(len(pa.deliveries)), key=lambda d: pa.priority[pa.deliveries[d][1]])
    dels = [pa.deliveries[d] for d in dorder]
    prios = []
    lo = 0
    while lo < len(dels):
        pr = pa.priority[dels[lo][1]]
        hi = lo
        while hi < len(dels) and pa.priority[dels[hi][1]] == pr:
            hi += 1
        sp = np.array([sp_index[(site, i)] for site, _c, i in dels[lo:hi]], dtype=np.int64)
        take = make_seg(hi - lo, n_sp, [(k, int(sp[k]), 1.0) for k in range(hi - lo)])
        prios.append(Priority(lo, hi, take, sp, take.expand[sp]))
        lo = hi
    to_now, to_later = _by_delay(len(dels), len(pa.piles), [
        (k, pile_index[(c, i)], pa.delivery_months[c]) for k, (_s, c, i) in enumerate(dels)])

    depth = 1 + max([int(v) for v in pa.lead] + [int(v) for v in pa.acceptance] + [0])
    pdepth = 1 + max([pa.delivery_months[c] for c in pa.customers] + [0])
    units = np.array([u for _c, _i, _b, u in pa.targets])
    perm = np.array(order, dtype=np.int64)
    dperm = np.array(dorder, dtype=np.int64)
    return KernelParams(
        n=pa.n, sp=n_sp, ss=n_ss, lines=len(pa.lines), li=len(entries), dl=len(dels),
        q=len(pa.piles), t=len(pa.targets), customers=len(pa.customers),
        suppliers=len(pa.suppliers), store_depth=depth, pile_depth=pdepth,
        group=group, ss_group=ss_group,
        group_sup=np.array([sup_index[s] for s, _i in groups], dtype=np.int64),
        group_cap=np.array([0.0 if c is None else c for c in caps]),
        group_capped=np.array([c is not None for c in caps], dtype=bool),
        price=pa.price, arrive_now=arrive_now, arrive_later=arrive_later,
        line_cap=pa.line_capacity, ramp1=pa.ramp + 1.0, entry_line=entry_line,
        line_entries=make_seg(len(entries), len(pa.lines),
                              [(e, int(entry_line[e]), 1.0) for e in range(len(entries))]),
        levels=tuple(levels),
        vcost=np.array([pa.variable_cost[line_index[lid]] for lid, _i in entries]),
        priorities=tuple(prios), to_pile_now=to_now, to_pile_later=to_later,
        pile_customer=np.array([cust_index[c] for c, _i in pa.piles], dtype=np.int64),
        dl_pile=np.array([pile_index[(c, i)] for _s, c, i in dels], dtype=np.int64),
        surge_factor=np.asarray(surge_factor, dtype=np.float64),
        hold_store=pa.hold_store, hold_pile=pa.hold_pile,
        target_pile=np.array([pile_index[(c, i)] for c, i, _b, _u in pa.targets], dtype=np.int64),
        target_by=pa.target_by,
        target_thr=units - 1e-6 * np.maximum(1.0, units),
        init_store=pa.init_store, init_pile=pa.init_pile,
        orders=np.ascontiguousarray(pa.orders.T),
        cum_prod=np.ascontiguousarray(np.cumsum(pa.production[perm], axis=1).T),
        cum_del=np.ascontiguousarray(np.cumsum(pa.delivery_plan[dperm], axis=1).T),
        consumption=np.ascontiguousarray(pa.consumption.T),
        entry_perm=perm, delivery_perm=dperm,
    )
