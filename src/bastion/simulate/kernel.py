"""The month step: one array function shared by the numpy and JAX backends.

``step(xp, state, params, plan_m, shocks_m) -> (state, out)`` plays one month
of the plan's policy on every path at once (docs/method-simulate.md):
purchases and supplier shipments, production in bom order, deliveries by
priority, customers' consumption, targets and costs. ``xp`` is ``numpy`` or
``jax.numpy``; the function only uses operations both provide, and the one
update of a part of an array (the lead-time rings, :func:`ring_add`) is
written once for both: in place under numpy, functional under JAX, so
``jax.lax.scan`` can run it (the rings replaced rotating tuples of slots,
which XLA copied every month: JAX on the CPU 15-25 % faster). The random part
(availability of suppliers and lines, surges, online months) arrives as
inputs: the step itself is deterministic.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from bastion.simulate.params import KernelParams, Seg

Array = Any
"""An array of the backend (numpy.ndarray or jax.Array)."""

TINY = 1e-30


class State(NamedTuple):
    """Per-path state at the end of a month: features first, paths last (P = paths)."""

    store: Array  # (SP, P) site stores
    backlog: Array  # (SS, P) ordered, not yet shipped
    inflow: Array  # (D, SP, P) ring of arrivals: slot (m + d) % D arrives in month m + d
    cum_prod: Array  # (LI, P) cumulative good units made
    cum_del: Array  # (DL, P) cumulative units sent
    pile: Array  # (Q, P) customers' stockpiles
    transit: Array  # (DQ, Q, P) ring of deliveries on the way, as `inflow`
    online: Array  # (L, P) online month of each line (float; huge when not built)
    unmet: Array  # (Q, P) cumulative unmet consumption
    cost: Array  # (3, P) purchases, production, holding
    at_by: Array  # (T, P) stockpile at the end of `by`
    met: Array  # (T, P) first month the stockpile reached units, -1 if not yet


class PlanMonth(NamedTuple):
    """The plan's inputs of one month (the same for every path)."""

    m: Array  # scalar month index
    orders: Array  # (SS, 1)
    cum_prod: Array  # (LI, 1)
    cum_del: Array  # (DL, 1)
    consumption: Array  # (Q, 1)


class Shocks(NamedTuple):
    """The sampled uncertainty of one month, per path."""

    avail_sup: Array  # (U, P) share of the month each supplier can ship
    avail_line: Array  # (L, P) share of the month each line can produce
    surge: Array  # (C, P) share of the month each customer is in a surge


class Out(NamedTuple):
    """What a month reports: stockpiles (always), production and stores (trace runs)."""

    pile: Array
    production: Array
    store: Array


def take(xp: Any, x: Array, idx: Any) -> Array:
    """Rows idx of x (idx a static numpy index array): a gather on both backends.

    (Static slices + concatenate instead of a gather were measured 2x slower
    under XLA on the CPU.)
    """
    return x[idx]


def gather_rows(xp: Any, x: Array, seg: Seg) -> Array:
    """gather_sum on the linked outputs only: (len(seg.rows), P), rows in seg.rows order."""
    xe = xp.concatenate([x, xp.zeros((1, x.shape[1]), dtype=x.dtype)], axis=0)
    idx, w = seg.idx[seg.rows], seg.w[seg.rows]
    out = take(xp, xe, idx[:, 0]) if seg.unit else take(xp, xe, idx[:, 0]) * w[:, 0:1]
    for k in range(1, idx.shape[1]):
        out = out + (take(xp, xe, idx[:, k]) if seg.unit else take(xp, xe, idx[:, k]) * w[:, k:k + 1])
    return out


def gather_sum(xp: Any, x: Array, seg: Seg) -> Array:
    """out[o] = sum_k x[idx[o, k]] * w[o, k] (see :class:`Seg`); rows are features.

    Only the linked outputs are computed; the others are zero (one gather
    from the compact rows and a zero row).
    """
    if seg.simple:
        return take(xp, x, seg.idx[:, 0])
    if len(seg.rows) == 0:
        return xp.zeros((seg.n_out, x.shape[1]), dtype=x.dtype)
    out = gather_rows(xp, x, seg)
    if len(seg.rows) == seg.n_out:
        return out
    return take(xp, xp.concatenate([out, xp.zeros_like(out[:1])], axis=0), seg.expand)


def _ratio(xp: Any, have: Array, need: Array) -> Array:
    """min(1, have / need), 1 where nothing is needed."""
    return xp.where(need > have, have / xp.maximum(need, TINY), 1.0)


def slot(xp: Any, m: Any, d: int, depth: int) -> Any:
    """Ring slot of month m + d (a plain int under numpy, a traced int32 under JAX)."""
    if xp is np:
        return (int(m) + d) % depth
    return ((m + d) % depth).astype(np.int32)


def ring_add(xp: Any, ring: Array, k: Any, value: Array) -> Array:
    """ring with value added to slot k. numpy adds in place (the state owns its ring and the
    previous month's state is dropped); JAX updates functionally (in place inside the scan).
    Either way the numbers are those of a fresh array."""
    if xp is np:
        ring[k] += value
        return ring
    return ring.at[k].add(value)


def ring_clear(xp: Any, ring: Array, k: Any) -> Array:
    """ring with slot k emptied (it becomes the slot `depth` months ahead)."""
    if xp is np:
        ring[k] = 0.0
        return ring
    return ring.at[k].set(0.0)


def _add_later(xp: Any, ring: Array, m: Any, flow: Array,
               later: tuple[tuple[int, Seg], ...]) -> Array:
    depth = ring.shape[0]
    for d, seg in later:
        ring = ring_add(xp, ring, slot(xp, m, d, depth), gather_sum(xp, flow, seg))
    return ring


def col(a: Any) -> Any:
    """A per-feature constant as a column, to broadcast over paths."""
    return np.asarray(a)[:, None]


def init_state(xp: Any, p: KernelParams, paths: int, online: Array, dtype: Any) -> State:
    """The state at the start of month 0: initial stores and stockpiles, nothing in transit."""

    def zeros(k: int) -> Array:
        return xp.zeros((k, paths), dtype=dtype)

    store = zeros(p.sp) + xp.asarray(col(p.init_store), dtype=dtype)
    pile = zeros(p.q) + xp.asarray(col(p.init_pile), dtype=dtype)
    at_by = xp.where(xp.asarray(col(p.target_by < 0)), pile[p.target_pile], 0.0).astype(dtype)
    return State(
        store=store, backlog=zeros(p.ss), inflow=xp.zeros((p.store_depth, p.sp, paths), dtype=dtype),
        cum_prod=zeros(p.li), cum_del=zeros(p.dl), pile=pile,
        transit=xp.zeros((p.pile_depth, p.q, paths), dtype=dtype),
        online=xp.asarray(online, dtype=dtype), unmet=zeros(p.q), cost=zeros(3), at_by=at_by,
        met=xp.zeros((p.t, paths), dtype=np.int32) - 1,
    )


def _purchases(xp: Any, s: State, p: KernelParams, pm: PlanMonth, sh: Shocks
               ) -> tuple[Array, Array, Array]:
    """Place the month's orders; suppliers ship what capacity and availability allow."""
    backlog = s.backlog + pm.orders
    total = gather_sum(xp, backlog, p.group)  # (J, P)
    avail = take(xp, sh.avail_sup, p.group_sup)
    can = xp.where(col(p.group_capped), col(p.group_cap) * avail, total * avail)
    shipped = xp.minimum(total, can)
    frac = xp.where(total > 0, shipped / xp.maximum(total, TINY), 0.0)
    ship = backlog * take(xp, frac, p.ss_group)
    return xp.maximum(backlog - ship, 0.0), ship, (ship * col(p.price)).sum(axis=0)


def _production(xp: Any, store: Array, inflow: Array, s: State, p: KernelParams,
                pm: PlanMonth, sh: Shocks) -> tuple[Array, Array, Array]:
    """Each line catches up its planned output, within capacity and components, in bom order."""
    since = pm.m - s.online + 1.0
    share = xp.where(since > 0, xp.minimum(1.0, since / col(p.ramp1)), 0.0)
    cap = col(p.line_cap) * share * sh.avail_line  # (L, P)
    want = xp.maximum(pm.cum_prod - s.cum_prod, 0.0)  # (LI, P)
    per_line = gather_sum(xp, want, p.line_entries)
    want = want * take(xp, _ratio(xp, cap, per_line), p.entry_line)
    goods = []
    for lev in p.levels:
        w = want[lev.lo:lev.hi]
        need = gather_rows(xp, w, lev.demand)  # components wanted, on the store pairs used
        ratio = xp.concatenate([_ratio(xp, take(xp, store, lev.demand.rows), need),
                                xp.ones_like(store[:1])], axis=0)
        f = take(xp, ratio, lev.comp_rows[:, 0])
        for k in range(1, lev.comp_rows.shape[1]):
            f = xp.minimum(f, take(xp, ratio, lev.comp_rows[:, k]))
        g = w * f
        store = xp.maximum(store - gather_sum(xp, g, lev.demand), 0.0)
        store = store + gather_sum(xp, g, lev.out_now)
        inflow = _add_later(xp, inflow, pm.m, g, lev.out_later)
        goods.append(g)
    good = xp.concatenate(goods, axis=0) if goods else s.cum_prod[:0]
    return store, inflow, good


def _deliveries(xp: Any, store: Array, s: State, p: KernelParams, pm: PlanMonth
                ) -> tuple[Array, Array]:
    """Each (site, customer, item) catches up its planned deliveries; short stores serve priority 1 first."""
    want = xp.maximum(pm.cum_del - s.cum_del, 0.0)
    sent = []
    for pr in p.priorities:
        w = want[pr.lo:pr.hi]
        ratio = _ratio(xp, take(xp, store, pr.take.rows), gather_rows(xp, w, pr.take))
        g = w * take(xp, ratio, pr.sp_rows)
        store = xp.maximum(store - gather_sum(xp, g, pr.take), 0.0)
        sent.append(g)
    return store, (xp.concatenate(sent, axis=0) if sent else s.cum_del[:0])


def step(xp: Any, s: State, p: KernelParams, pm: PlanMonth, sh: Shocks) -> tuple[State, Out]:
    """One month of the policy on every path (see the module docstring)."""
    backlog, ship, c_buy = _purchases(xp, s, p, pm, sh)
    now, now_q = slot(xp, pm.m, 0, p.store_depth), slot(xp, pm.m, 0, p.pile_depth)
    store = s.store + s.inflow[now] + gather_sum(xp, ship, p.arrive_now)
    inflow = _add_later(xp, ring_clear(xp, s.inflow, now), pm.m, ship, p.arrive_later)
    store, inflow, good = _production(xp, store, inflow, s, p, pm, sh)
    store, sent = _deliveries(xp, store, s, p, pm)

    received = s.transit[now_q] + gather_sum(xp, sent, p.to_pile_now)
    transit = _add_later(xp, ring_clear(xp, s.transit, now_q), pm.m, sent, p.to_pile_later)
    factor = 1.0 + col(p.surge_factor - 1.0) * sh.surge  # (C, P)
    pile = s.pile + received - pm.consumption * take(xp, factor, p.pile_customer)
    short = xp.maximum(-pile, 0.0)
    pile = xp.maximum(pile, 0.0)

    level = take(xp, pile, p.target_pile)
    at_by = xp.where(col(p.target_by) == pm.m, level, s.at_by)
    met = xp.where((s.met == -1) & (level >= col(p.target_thr)), pm.m, s.met).astype(s.met.dtype)
    c_make = (good * col(p.vcost)).sum(axis=0)
    c_hold = (store * col(p.hold_store)).sum(axis=0) + (pile * col(p.hold_pile)).sum(axis=0)
    cost = s.cost + xp.stack([c_buy, c_make, c_hold], axis=0)

    state = State(
        store=store, backlog=backlog, inflow=inflow, cum_prod=s.cum_prod + good,
        cum_del=s.cum_del + sent, pile=pile, transit=transit, online=s.online,
        unmet=s.unmet + short, cost=cost, at_by=at_by, met=met,
    )
    return state, Out(pile=pile, production=good, store=store)
