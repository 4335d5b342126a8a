"""Variable families of the plan model, one `define_*_variables` function each.

Names follow PyPSA's habit: "Line-production", "Supplier-order", "Store-level",
"Customer-delivery", "Stockpile-level", "Consumption-unmet",
"Target-shortfall", "Line-build", "Line-online". Months are indices 0..N-1.
Costs are attached to the "cost" objective here; the shortfall objectives
("level-<p>") too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bastion.plan.index import PlanIndex
from bastion.plan.model import INF, LinearModel

UNMET_WEIGHT = 10.0


def production_window(ix: PlanIndex, li: int) -> tuple[int, int]:
    """Months [lo, hi) in which line `li` may produce output that is accepted within the horizon."""
    line = ix.lines[li]
    if line.capacity <= 0 or not line.makes:
        return (0, 0)
    # mandatory lines start one month early with zero capacity, so the dual of that
    # month's capacity row prices "one month earlier online"
    lo = line.first_candidate() if line.optional else max(0, line.online - 1)
    return (lo, max(lo, ix.n - line.acceptance))


def _concat(parts: list[np.ndarray], dtype: type = np.int64) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def define_production_variables(m: LinearModel, ix: PlanIndex) -> None:
    """Good units made per line, item and month (capacity is a row, for its dual)."""
    ll, ii, mm = [], [], []
    for li, line in enumerate(ix.lines):
        lo, hi = production_window(ix, li)
        for item in line.makes:
            months = np.arange(lo, hi)
            ll.append(np.full(len(months), li))
            ii.append(np.full(len(months), item))
            mm.append(months)
    keys = {"line": _concat(ll), "item": _concat(ii), "month": _concat(mm)}
    b = m.add_vars("Line-production", 0.0, INF, keys)
    cost = np.array([ln.variable_cost for ln in ix.lines] or [0.0])[keys["line"]]
    m.add_objective("cost", b.index, cost)


def define_build_variables(m: LinearModel, ix: PlanIndex) -> None:
    """Optional lines: y[l, k] = 1 when online from month k; z[l, m] = online by month m."""
    ll, kk = [], []
    for li, line in enumerate(ix.lines):
        if line.optional:
            ks = np.arange(line.first_candidate(), ix.n)
            ll.append(np.full(len(ks), li))
            kk.append(ks)
    keys = {"line": _concat(ll), "month": _concat(kk)}
    y = m.add_vars("Line-build", 0.0, 1.0, keys, integer=True)
    z = m.add_vars("Line-online", 0.0, 1.0, dict(keys))
    del z
    lines = ix.lines
    capex = np.array([ln.capex for ln in lines] or [0.0])[keys["line"]]
    fixed = np.array([ln.fixed_cost for ln in lines] or [0.0])[keys["line"]]
    m.add_objective("cost", y.index, capex + fixed * (ix.n - keys["month"]))


def outlet_pairs(ix: PlanIndex) -> set[tuple[int, int]]:
    """(site, item) pairs whose stock can leave the store: a line there uses it, or a customer
    holds the item (so it can be delivered). Stock anywhere else only waits and costs."""
    out: set[tuple[int, int]] = set()
    for line in ix.lines:
        for made in line.makes:
            out.update((line.site, c) for c, _ in ix.bom.get(made, ()))
    held = {int(i) for i in ix.pile_pairs[:, 1]} if len(ix.pile_pairs) else set()
    out.update((s, i) for s, i in ix.store_pos if i in held)
    return out


def define_purchase_variables(m: LinearModel, ix: PlanIndex) -> None:
    """Units ordered per supply (supplier and item), site and month, arriving within the horizon.

    Only for sites that store the item and from whose store it can leave
    (`outlet_pairs`): an order anywhere else can only add cost, so no optimal
    plan has one and the column is left out (fewer degenerate ties)."""
    jj, ss, mm = [], [], []
    outlet = outlet_pairs(ix)
    for j, sup in enumerate(ix.supplies):
        months = np.arange(0, max(0, ix.n - sup.lead))
        for s in range(len(ix.sites)):
            if (s, sup.item) in ix.store_pos and (s, sup.item) in outlet:
                jj.append(np.full(len(months), j))
                ss.append(np.full(len(months), s))
                mm.append(months)
    keys = {"supply": _concat(jj), "site": _concat(ss), "month": _concat(mm)}
    b = m.add_vars("Supplier-order", 0.0, INF, keys)
    price = np.array([s.price for s in ix.supplies] or [0.0])[keys["supply"]]
    m.add_objective("cost", b.index, price)


def define_store_variables(m: LinearModel, ix: PlanIndex) -> None:
    """End-of-month store level per (site, item) pair and month: a full P x N grid."""
    p = len(ix.store_pairs)
    pair = np.repeat(np.arange(p), ix.n)
    month = np.tile(np.arange(ix.n), p)
    low = 0.0 if ix.store_floor is None else ix.store_floor.reshape(-1)
    b = m.add_vars("Store-level", low, INF, {"pair": pair, "month": month})
    items = ix.store_pairs[:, 1] if p else np.zeros(0, dtype=np.int64)
    m.add_objective("cost", b.index, ix.holding[items][pair] if p else 0.0)


def define_delivery_variables(m: LinearModel, ix: PlanIndex) -> None:
    """Units sent from a site to a customer per item and month, arriving within the horizon."""
    qq, ss, mm = [], [], []
    for q, (c, i) in enumerate(ix.pile_pairs):
        months = np.arange(0, max(0, ix.n - int(ix.delivery[c])))
        for s in range(len(ix.sites)):
            if (s, int(i)) in ix.store_pos:
                qq.append(np.full(len(months), q))
                ss.append(np.full(len(months), s))
                mm.append(months)
    b = m.add_vars("Customer-delivery", 0.0, INF,
                   {"pile": _concat(qq), "site": _concat(ss), "month": _concat(mm)})
    if b.size and competing(ix):
        m.add_objective(ORDER_OBJECTIVE, b.index, order_weights(ix, b.keys["pile"], b.keys["month"]))


def competing(ix: PlanIndex) -> bool:
    """True when customers of two priority levels hold the same item (their deliveries compete)."""
    levels: dict[int, set[int]] = {}
    for c, i in ix.pile_pairs:
        levels.setdefault(int(i), set()).add(int(ix.priority[c]))
    return any(len(v) > 1 for v in levels.values())


ORDER_OBJECTIVE = "priority-order"
"""The tie-break stage's objective (after cost, cost held): deliveries to higher priorities first."""


def order_weights(ix: PlanIndex, pile: np.ndarray, month: np.ndarray) -> np.ndarray:
    """(month + 1) x (number of levels - rank of the customer's priority), per delivery.

    Minimised among the plans of least cost: a unit delivered one month
    earlier to a higher priority saves more than it costs to deliver a unit of
    a lower priority one month later, so among equal-cost plans deliveries go
    to higher priorities first (docs/method-plan.md, "Tie-break").
    """
    rank = {p: k for k, p in enumerate(ix.levels)}
    weight = np.array([len(ix.levels) - rank[int(p)] for p in ix.priority], dtype=float)
    cust = ix.pile_pairs[pile, 0]
    out: np.ndarray = (month + 1.0) * weight[cust]
    return out


def define_stockpile_variables(m: LinearModel, ix: PlanIndex) -> None:
    """End-of-month stockpile per (customer, item) pair and month: a full Q x N grid."""
    q = len(ix.pile_pairs)
    pile = np.repeat(np.arange(q), ix.n)
    month = np.tile(np.arange(ix.n), q)
    b = m.add_vars("Stockpile-level", 0.0, INF, {"pile": pile, "month": month})
    items = ix.pile_pairs[:, 1] if q else np.zeros(0, dtype=np.int64)
    m.add_objective("cost", b.index, ix.holding[items][pile] if q else 0.0)


def define_unmet_variables(m: LinearModel, ix: PlanIndex) -> None:
    """Consumption not met per (customer, item) and month, in [0, consumption]."""
    q, month = np.nonzero(ix.consumption > 0)
    b = m.add_vars("Consumption-unmet", 0.0, ix.consumption[q, month], {"pile": q, "month": month})
    level = ix.priority[ix.pile_pairs[q, 0]] if len(q) else np.zeros(0, dtype=np.int64)
    for p in ix.levels:
        sel = level == p
        m.add_objective(f"level-{p}", b.index[sel], UNMET_WEIGHT)


def define_shortfall_variables(m: LinearModel, ix: PlanIndex) -> None:
    """Target shortfall per target, >= 0 (fixed when `by` is before the horizon)."""
    t = np.arange(len(ix.targets))
    lower = np.zeros(len(t))
    upper = np.full(len(t), INF)
    for k, tg in enumerate(ix.targets):
        if tg.by < 0:  # decided before month 0: the initial stockpile counts
            lower[k] = upper[k] = max(0.0, tg.units - float(ix.init_pile[tg.pile]))
    b = m.add_vars("Target-shortfall", lower, upper, {"target": t})
    level = np.array([ix.priority[tg.customer] for tg in ix.targets], dtype=np.int64)
    for p in ix.levels:
        m.add_objective(f"level-{p}", b.index[level == p], 1.0)


VARIABLES: tuple[Callable[[LinearModel, PlanIndex], None], ...] = (
    define_production_variables,
    define_build_variables,
    define_purchase_variables,
    define_store_variables,
    define_delivery_variables,
    define_stockpile_variables,
    define_unmet_variables,
    define_shortfall_variables,
)
