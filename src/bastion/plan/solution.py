"""Read a solution vector back into arrays over (pair, month): flows, levels, builds, costs.

Every flow of every balance is rebuilt here from the same index maps the
constraints use, so a table's opening + in - out = closing is a check of the
model, not an identity of this code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bastion.plan.build import committed_costs
from bastion.plan.constraints import store_table
from bastion.plan.index import PlanIndex
from bastion.plan.model import LinearModel


@dataclass(frozen=True)
class Solution:
    """A plan as arrays. Store arrays are (P, N); stockpile arrays (Q, N); costs (N,)."""

    production: np.ndarray  # per Line-production column
    orders: np.ndarray  # per Supplier-order column
    deliveries: np.ndarray  # per Customer-delivery column
    store_arrivals: np.ndarray
    store_accepted: np.ndarray
    store_used: np.ndarray
    store_delivered: np.ndarray
    store_level: np.ndarray
    pile_received: np.ndarray
    pile_unmet: np.ndarray
    pile_level: np.ndarray
    shortfall: np.ndarray  # per target
    built: dict[int, int]  # optional line position -> online month (only built ones)
    cost_by_month: dict[str, np.ndarray]  # capex, purchases, production, fixed, holding
    line_output: np.ndarray  # (lines, N) good units made per line and month
    supply_orders: np.ndarray  # (supplies, N) units ordered per supply and month, all sites


def _block(model: LinearModel, x: np.ndarray, name: str) -> np.ndarray:
    b = model.vars[name]
    return x[b.start:b.start + b.size]


def extract(ix: PlanIndex, model: LinearModel, x: np.ndarray) -> Solution:
    """Arrays of the plan in solution `x` (values below 1e-9 in size set to 0)."""
    x = np.where(np.abs(x) < 1e-9, 0.0, x)
    n, p_count, q_count = ix.n, len(ix.store_pairs), len(ix.pile_pairs)
    tab = store_table(ix)
    arrivals = np.zeros((p_count, n))
    accepted = np.zeros((p_count, n))
    used = np.zeros((p_count, n))
    delivered = np.zeros((p_count, n))
    received = np.zeros((q_count, n))
    cost = {k: np.zeros(n) for k in ("capex", "purchases", "production", "fixed", "holding")}

    prod_b = model.vars["Line-production"]
    prod = _block(model, x, "Line-production")
    line_output = np.zeros((len(ix.lines), n))
    if prod_b.size:
        li, it, mo = prod_b.keys["line"], prod_b.keys["item"], prod_b.keys["month"]
        np.add.at(line_output, (li, mo), prod)
        site = np.array([ln.site for ln in ix.lines])[li]
        acc = np.array([ln.acceptance for ln in ix.lines])[li]
        np.add.at(accepted, (tab[site, it], mo + acc), prod)
        for made, comps in ix.bom.items():
            sel = it == made
            for comp, qty in comps:
                np.add.at(used, (tab[site[sel], comp], mo[sel]), qty * prod[sel])
        np.add.at(cost["production"], mo, np.array([ln.variable_cost for ln in ix.lines])[li] * prod)

    buy_b = model.vars["Supplier-order"]
    orders = _block(model, x, "Supplier-order")
    supply_orders = np.zeros((len(ix.supplies), n))
    if buy_b.size:
        np.add.at(supply_orders, (buy_b.keys["supply"], buy_b.keys["month"]), orders)
        j, s, mo = buy_b.keys["supply"], buy_b.keys["site"], buy_b.keys["month"]
        lead = np.array([sp.lead for sp in ix.supplies])[j]
        item = np.array([sp.item for sp in ix.supplies])[j]
        np.add.at(arrivals, (tab[s, item], mo + lead), orders)
        np.add.at(cost["purchases"], mo, np.array([sp.price for sp in ix.supplies])[j] * orders)

    dl_b = model.vars["Customer-delivery"]
    dels = _block(model, x, "Customer-delivery")
    if dl_b.size:
        q, s, mo = dl_b.keys["pile"], dl_b.keys["site"], dl_b.keys["month"]
        item = ix.pile_pairs[q, 1]
        np.add.at(delivered, (tab[s, item], mo), dels)
        np.add.at(received, (q, mo + ix.delivery[ix.pile_pairs[q, 0]]), dels)

    unmet = np.zeros((q_count, n))
    un_b = model.vars["Consumption-unmet"]
    if un_b.size:
        unmet[un_b.keys["pile"], un_b.keys["month"]] = _block(model, x, "Consumption-unmet")

    store_level = _block(model, x, "Store-level").reshape(p_count, n)
    pile_level = _block(model, x, "Stockpile-level").reshape(q_count, n)
    if p_count:
        cost["holding"] += (ix.holding[ix.store_pairs[:, 1]][:, None] * store_level).sum(axis=0)
    if q_count:
        cost["holding"] += (ix.holding[ix.pile_pairs[:, 1]][:, None] * pile_level).sum(axis=0)

    built: dict[int, int] = {}
    y_b = model.vars["Line-build"]
    y = _block(model, x, "Line-build")
    for k in np.flatnonzero(y > 0.5):
        li_b, when = int(y_b.keys["line"][k]), int(y_b.keys["month"][k])
        built[li_b] = when
        line = ix.lines[li_b]
        cost["capex"][max(0, when - line.build_months)] += line.capex
        cost["fixed"][when:] += line.fixed_cost
    for kind, when, amount in committed_costs(ix):
        cost[kind][when] += amount

    return Solution(
        production=prod, orders=orders, deliveries=dels,
        store_arrivals=arrivals, store_accepted=accepted, store_used=used,
        store_delivered=delivered, store_level=store_level,
        pile_received=received, pile_unmet=unmet, pile_level=pile_level,
        shortfall=_block(model, x, "Target-shortfall"), built=built,
        cost_by_month=cost, line_output=line_output,
        supply_orders=supply_orders,
    )


def line_capacity(ix: PlanIndex, sol: Solution) -> np.ndarray:
    """(lines, N) capacity available in the plan (0 before online or when not built)."""
    months = np.arange(ix.n)
    cap = np.zeros((len(ix.lines), ix.n))
    for li, line in enumerate(ix.lines):
        if line.optional:
            if li in sol.built:
                cap[li] = line.capacity * line.share(months, sol.built[li])
        else:
            cap[li] = line.capacity * line.share(months)
    return cap
