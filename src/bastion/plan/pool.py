"""Pooled purchases: the plan's LP with suppliers merged into price tiers, for large scenarios.

The plan model (variables.py, constraints.py) has one order column per supply, site and
month and one capacity row per supply and month. With thousands of suppliers these are
most of the model (1,500 suppliers: 82% of the columns, 89% of the rows). The pooled
model solves the same LP in fewer columns and rows:

- a *group* is an item with a lead time; a *tier* is a group's supplies at one price;
- "Supplier-tier" (tier, month): units ordered from a tier, cost its price, bounded by the
  tier's capacity that month (its members' capacities summed; unlimited when one is);
- "Supplier-route" (group, site, month): units of the group ordered for a site; they
  arrive in the site's store `lead` months later (the order columns' term);
- "Supplier-pool" (group, month): the tiers' orders = the routes' orders.

Exactness: every plan of the original model gives one of the pooled model with the same
value (tier = its members' orders, route = the group's orders for the site) and,
conversely, every pooled plan splits into an original plan with the same value and the
same arrivals: a member supply j of tier k gets T[k,m] x cap_j(m) / cap_k(m) of the tier's
orders (equal shares among its unlimited members when the tier is unlimited), each site
s the share R[g,s,m] / sum_s R[g,s,m] of it (`expand`; docs/method-plan.md, "Pooled
purchases"). Every objective (shortfalls, cost, tie-break) is therefore the same; which
optimal plan is returned may differ between the two models when several are optimal,
so small models keep the original (POOL_MIN_ORDERS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bastion.plan.build import committed_costs
from bastion.plan.constraints import (
    define_budget_constraints,
    define_delivery_hold_constraints,
    define_line_capacity_constraints,
    define_online_constraints,
    define_production_hold_constraints,
    define_stockpile_balance_constraints,
    define_store_balance_constraints,
    define_target_constraints,
    store_table,
)
from bastion.plan.index import PlanIndex
from bastion.plan.model import INF, LinearModel
from bastion.plan.narrow import Classes, before_in_class, classes_of
from bastion.plan.variables import (
    define_build_variables,
    define_delivery_variables,
    define_production_variables,
    define_shortfall_variables,
    define_stockpile_variables,
    define_store_variables,
    define_unmet_variables,
    outlet_pairs,
)

POOL_MIN_ORDERS = 100_000
"""Order columns (supply x site x month) from which the plan solves the pooled model."""
COST_MARGIN = 0.5
"""The cost stage's first subset covers (1 + COST_MARGIN) x each item's peak monthly use."""


@dataclass(frozen=True)
class Tiers:
    """Supplies grouped by (item, lead) and, within a group, by price."""

    group_item: np.ndarray  # (G,)
    group_lead: np.ndarray  # (G,)
    tier_group: np.ndarray  # (K,)
    tier_price: np.ndarray  # (K,)
    supply_tier: np.ndarray  # (supplies,)
    cap: np.ndarray  # (supplies, N) capacity per month, inf when unlimited

    def tier_cap(self) -> np.ndarray:
        """(K, N): each tier's capacity per month (inf when a member is unlimited)."""
        out = np.zeros((len(self.tier_group), self.cap.shape[1]))
        np.add.at(out, self.supply_tier, self.cap)
        return out


def tiers_of(ix: PlanIndex) -> Tiers:
    """Group the supplies (first appearance order, so the result is deterministic)."""
    groups: dict[tuple[int, int], int] = {}
    tiers: dict[tuple[int, float], int] = {}
    tier_group: list[int] = []
    tier_price: list[float] = []
    supply_tier = np.zeros(len(ix.supplies), dtype=np.int64)
    for j, s in enumerate(ix.supplies):
        g = groups.setdefault((s.item, s.lead), len(groups))
        k = tiers.setdefault((g, s.price), len(tiers))
        if k == len(tier_group):
            tier_group.append(g)
            tier_price.append(s.price)
        supply_tier[j] = k
    cap = np.array([[INF if s.capacity is None else float(s.capacity)] for s in ix.supplies]
                   ).reshape(-1, 1) * np.ones((1, ix.n)) if ix.supplies else np.zeros((0, ix.n))
    if ix.supply_avail is not None and len(cap):
        cap = np.where(np.isinf(cap), INF, cap * ix.supply_avail)
    keys = list(groups)
    return Tiers(group_item=np.array([g[0] for g in keys], dtype=np.int64),
                 group_lead=np.array([g[1] for g in keys], dtype=np.int64),
                 tier_group=np.array(tier_group, dtype=np.int64),
                 tier_price=np.array(tier_price, dtype=float), supply_tier=supply_tier, cap=cap)


def _months(ix: PlanIndex, lead: int) -> np.ndarray:
    return np.arange(0, max(0, ix.n - int(lead)))


def define_tier_variables(m: LinearModel, ix: PlanIndex) -> None:
    """Units ordered per tier and month (arriving within the horizon), at most its capacity."""
    t = tiers_of(ix)
    cap = t.tier_cap()
    kk, mm = [], []
    for k, g in enumerate(t.tier_group):
        months = _months(ix, t.group_lead[g])
        kk.append(np.full(len(months), k))
        mm.append(months)
    tier = np.concatenate(kk).astype(np.int64) if kk else np.zeros(0, dtype=np.int64)
    month = np.concatenate(mm).astype(np.int64) if mm else np.zeros(0, dtype=np.int64)
    b = m.add_vars("Supplier-tier", 0.0, cap[tier, month] if len(tier) else np.zeros(0),
                   {"tier": tier, "month": month})
    m.add_objective("cost", b.index, t.tier_price[tier] if len(tier) else 0.0)
    m.add_vars("Supplier-order", 0.0, 0.0, {"supply": np.zeros(0, dtype=np.int64)})  # none here


def define_route_variables(m: LinearModel, ix: PlanIndex) -> None:
    """Units of a group ordered for a site per month: only where the original model orders."""
    t = tiers_of(ix)
    outlet = outlet_pairs(ix)
    gg, ss, mm = [], [], []
    for g, (item, lead) in enumerate(zip(t.group_item, t.group_lead, strict=True)):
        months = _months(ix, lead)
        for s in range(len(ix.sites)):
            if (s, int(item)) in ix.store_pos and (s, int(item)) in outlet:
                gg.append(np.full(len(months), g))
                ss.append(np.full(len(months), s))
                mm.append(months)
    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
    m.add_vars("Supplier-route", 0.0, INF, {"group": cat(gg), "site": cat(ss), "month": cat(mm)})


def define_pool_constraints(m: LinearModel, ix: PlanIndex) -> None:
    """Per group and month: tiers' orders - routes' orders = 0; routes arrive in the stores."""
    t = tiers_of(ix)
    tier, route = m.vars["Supplier-tier"], m.vars["Supplier-route"]
    sizes = [len(_months(ix, lead)) for lead in t.group_lead]
    offset = np.zeros(len(sizes) + 1, dtype=np.int64)
    offset[1:] = np.cumsum(sizes)
    keys_g = np.repeat(np.arange(len(sizes)), sizes).astype(np.int64)
    keys_m = np.concatenate([np.arange(n) for n in sizes]).astype(np.int64) if sizes \
        else np.zeros(0, dtype=np.int64)
    rb = m.add_rows("Supplier-pool", 0.0, 0.0, {"group": keys_g, "month": keys_m})
    tg = t.tier_group[tier.keys["tier"]] if tier.size else np.zeros(0, dtype=np.int64)
    m.add_terms(rb.start + offset[tg] + tier.keys["month"], tier.index, 1.0)
    if not route.size:
        return
    rg, rs, rm = route.keys["group"], route.keys["site"], route.keys["month"]
    m.add_terms(rb.start + offset[rg] + rm, route.index, -1.0)
    n = ix.n
    sb = m.rows["Store-balance"]
    pair = store_table(ix)[rs, t.group_item[rg]]
    m.add_terms(sb.start + pair * n + rm + t.group_lead[rg], route.index, -1.0)


def build_pooled(ix: PlanIndex) -> LinearModel:
    """The pooled model: the plan model's families with the orders pooled (see the module)."""
    model = LinearModel()
    for define_vars in (define_production_variables, define_build_variables,
                        define_tier_variables, define_route_variables, define_store_variables,
                        define_delivery_variables, define_stockpile_variables,
                        define_unmet_variables, define_shortfall_variables):
        define_vars(model, ix)
    for define_rows in (define_line_capacity_constraints, define_online_constraints,
                        define_store_balance_constraints, define_pool_constraints,
                        define_stockpile_balance_constraints, define_target_constraints,
                        define_budget_constraints, define_delivery_hold_constraints,
                        define_production_hold_constraints):
        define_rows(model, ix)
    model.add_offset("cost", sum(v for _, _, v in committed_costs(ix)))
    return model


def order_columns(ix: PlanIndex) -> int:
    """Order columns the original model would have (supply x site x month)."""
    outlet = outlet_pairs(ix)
    sites = {i: sum(1 for s in range(len(ix.sites)) if (s, i) in ix.store_pos and (s, i) in outlet)
             for i in {sp.item for sp in ix.supplies}}
    return sum(sites[sp.item] * max(0, ix.n - sp.lead) for sp in ix.supplies)


@dataclass(frozen=True)
class Pooling:
    """The pooled model of one plan model, and the maps between their columns."""

    pooled: LinearModel
    original: LinearModel
    tiers: Tiers
    pair_item: np.ndarray | None = None  # item of each store pair (for `cost_subset`)

    def cols(self, cols: np.ndarray) -> np.ndarray:
        """Positions in the pooled model of original columns outside "Supplier-order"."""
        cols = np.asarray(cols, dtype=np.int64)
        out = np.full(len(cols), -1, dtype=np.int64)
        for name, b in self.original.vars.items():
            if name == "Supplier-order":
                continue
            sel = (cols >= b.start) & (cols < b.start + b.size)
            out[sel] = cols[sel] - b.start + self.pooled.vars[name].start
        if np.any(out < 0):
            raise ValueError("an order column has no single position in the pooled model")
        return out

    def expand(self, x: np.ndarray) -> np.ndarray:
        """An original-model solution from a pooled one (same value, same arrivals)."""
        orig, pooled, t = self.original, self.pooled, self.tiers
        out = np.zeros(orig.n_col)
        for name, b in orig.vars.items():
            if name != "Supplier-order":
                pb = pooled.vars[name]
                out[b.start:b.start + b.size] = x[pb.start:pb.start + pb.size]
        buy = orig.vars["Supplier-order"]
        if not buy.size:
            return out
        n = t.cap.shape[1]
        tier_b, route_b = pooled.vars["Supplier-tier"], pooled.vars["Supplier-route"]
        tier_units = np.zeros((len(t.tier_group), n))
        tier_units[tier_b.keys["tier"], tier_b.keys["month"]] = np.maximum(0.0, x[tier_b.index])
        sites = int(route_b.keys["site"].max()) + 1 if route_b.size else 1
        routed = np.zeros((len(t.group_item), sites, n))
        routed[route_b.keys["group"], route_b.keys["site"], route_b.keys["month"]] = \
            np.maximum(0.0, x[route_b.index])
        total = routed.sum(axis=1)
        site_share = np.divide(routed, total[:, None, :], out=np.zeros_like(routed),
                               where=total[:, None, :] > 0)
        j, s, mo = buy.keys["supply"], buy.keys["site"], buy.keys["month"]
        k = t.supply_tier[j]
        out[buy.index] = tier_units[k, mo] * self.member_share()[j, mo] \
            * site_share[t.tier_group[k], s, mo]
        return out

    def classes(self) -> Classes:
        """The tier columns of one group and month: interchangeable but for price (narrow.py)."""
        b, t = self.pooled.vars["Supplier-tier"], self.tiers
        k, month = b.keys["tier"], b.keys["month"]
        key = t.tier_group[k] * (int(month.max()) + 1 if b.size else 1) + month
        cls = classes_of(b.index, key, t.tier_price[k])
        return Classes(cls.cols, cls.start, self.cost_subset)

    def cost_subset(self, x: np.ndarray) -> np.ndarray:
        """The cost stage's first subset of tier columns (narrow.py), a mask in `classes()` order.

        Every least-cost plan buys an item arriving in a month cheapest first (all its
        tiers arriving then are interchangeable but for price), and a month's arrivals
        rarely exceed the item's peak monthly use. So: per item and arrival month, the
        cheapest tier columns whose capacities cover (1 + COST_MARGIN) x the item's peak
        use in plan x (units leaving the sites' stores in a month: components used,
        deliveries). A first guess only: column generation adds whatever prices in.
        """
        p, t = self.pooled, self.tiers
        b, sb, st = p.vars["Supplier-tier"], p.rows["Store-balance"], p.vars["Store-level"]
        cols = self.classes().cols
        pos = cols - b.start
        k = b.keys["tier"][pos]
        g = t.tier_group[k]
        item, arrival = t.group_item[g], b.keys["month"][pos] + t.group_lead[g]
        n_item = int(t.group_item.max()) + 1 if len(t.group_item) else 0
        peak = np.zeros(n_item)
        if sb.size and self.pair_item is not None and p.coo_row:
            r, c, v = (np.concatenate(a) for a in (p.coo_row, p.coo_col, p.coo_val))
            out = ((r >= sb.start) & (r < sb.start + sb.size) & (v > 0)
                   & ~((c >= st.start) & (c < st.start + st.size)))
            flow = np.zeros(sb.size)
            np.add.at(flow, r[out] - sb.start, v[out] * np.maximum(0.0, x[c[out]]))
            it = self.pair_item[sb.keys["pair"]]
            use = np.zeros((max(n_item, int(it.max()) + 1), int(sb.keys["month"].max()) + 1))
            np.add.at(use, (it, sb.keys["month"]), flow)
            peak = use.max(axis=1)[:n_item]
        span = int(arrival.max()) + 1 if len(arrival) else 1
        by = classes_of(np.arange(len(cols)), item * span + arrival, t.tier_price[k])
        cap = p.bounds()[1][cols][by.cols]
        mask = np.zeros(len(cols), dtype=bool)
        mask[by.cols] = before_in_class(by, cap) < (1.0 + COST_MARGIN) * peak[item[by.cols]]
        return mask

    def member_share(self) -> np.ndarray:
        """(supplies, N): each supply's share of its tier's orders per month."""
        t = self.tiers
        unlimited = np.isinf(t.cap)
        k_unl = np.zeros(t.cap.shape)
        np.add.at(k_unl, t.supply_tier, unlimited.astype(float))
        finite = np.where(unlimited, 0.0, t.cap)
        k_cap = np.zeros(t.cap.shape)
        np.add.at(k_cap, t.supply_tier, finite)
        n_unl, cap_k = k_unl[t.supply_tier], k_cap[t.supply_tier]
        by_cap = np.divide(finite, cap_k, out=np.zeros_like(finite), where=cap_k > 0)
        share: np.ndarray = np.where(n_unl > 0, unlimited / np.maximum(n_unl, 1.0), by_cap)
        return share


def pooling(ix: PlanIndex, model: LinearModel) -> Pooling:
    """The pooled model of `model` (built from the same index)."""
    return Pooling(build_pooled(ix), model, tiers_of(ix),
                   ix.store_pairs[:, 1] if len(ix.store_pairs) else np.zeros(0, dtype=np.int64))
