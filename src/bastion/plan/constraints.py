"""Constraint families of the plan model, one `define_*_constraints` function each.

Row families: "Line-capacity" (per line and month), "Line-online" (optional
lines: online-by-month accumulates the build decision), "Supplier-capacity"
(per supplier, item and order month), "Store-balance" (per site, item and
month), "Stockpile-balance" (per customer, item and month), "Target" (per
target), "Budget" (per listed calendar year). See docs/method-plan.md.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bastion.plan.index import PlanIndex, ramp_split
from bastion.plan.model import INF, LinearModel
from bastion.plan.variables import production_window


def store_table(ix: PlanIndex) -> np.ndarray:
    """(site, item) -> position in the store pairs, or -1."""
    tab = np.full((len(ix.sites), len(ix.items)), -1, dtype=np.int64)
    if len(ix.store_pairs):
        tab[ix.store_pairs[:, 0], ix.store_pairs[:, 1]] = np.arange(len(ix.store_pairs))
    return tab


def define_line_capacity_constraints(m: LinearModel, ix: PlanIndex) -> None:
    """Sum over items of a line's output <= capacity x ramp share (optional: x online decision)."""
    prod = m.vars["Line-production"]
    windows = [production_window(ix, li) for li in range(len(ix.lines))]
    offset = np.zeros(len(ix.lines) + 1, dtype=np.int64)
    offset[1:] = np.cumsum([hi - lo for lo, hi in windows])
    lo_arr = np.array([w[0] for w in windows] or [0], dtype=np.int64)
    rl, rm, upper = [], [], []
    for li, (lo, hi) in enumerate(windows):
        months = np.arange(lo, hi)
        line = ix.lines[li]
        rl.append(np.full(len(months), li))
        rm.append(months)
        avail = 1.0 if ix.line_avail is None else ix.line_avail[li, months]
        upper.append(np.zeros(len(months)) if line.optional
                     else line.capacity * line.share(months) * avail)
    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    rb = m.add_rows("Line-capacity", -INF, np.concatenate(upper) if upper else np.zeros(0),
                    {"line": cat(rl), "month": cat(rm)})
    pl, pm = prod.keys["line"], prod.keys["month"]
    m.add_terms(rb.start + offset[pl] + pm - lo_arr[pl], prod.index, 1.0)

    y, z = m.vars["Line-build"], m.vars["Line-online"]
    for li, (lo, hi) in enumerate(windows):
        line = ix.lines[li]
        if not line.optional or hi <= lo:
            continue
        kmin = line.first_candidate()
        ystart = y.start + int(np.searchsorted(y.keys["line"], li))  # contiguous per line
        zstart = z.start + int(np.searchsorted(z.keys["line"], li))
        months = np.arange(lo, hi)
        rows = rb.start + offset[li] + months - lo
        split = ramp_split(line.ramp)
        cap = line.capacity * (np.ones(len(months)) if ix.line_avail is None
                               else ix.line_avail[li, months])
        t = months - split  # online by t: full share
        sel = t >= kmin
        m.add_terms(rows[sel], zstart + t[sel] - kmin, -cap[sel])
        for d in range(split):  # came online d months ago: partial share
            k = months - d
            sel = k >= kmin
            m.add_terms(rows[sel], ystart + k[sel] - kmin, -cap[sel] * (d + 1) / (line.ramp + 1))


def define_online_constraints(m: LinearModel, ix: PlanIndex) -> None:
    """z[l, m] = z[l, m-1] + y[l, m]: online by month m once built in some month <= m."""
    y, z = m.vars["Line-build"], m.vars["Line-online"]
    rb = m.add_rows("Line-online", 0.0, 0.0, dict(y.keys))
    rows = rb.index
    m.add_terms(rows, z.index, 1.0)
    m.add_terms(rows, y.index, -1.0)
    first = np.ones(y.size, dtype=bool)
    first[1:] = y.keys["line"][1:] != y.keys["line"][:-1]
    m.add_terms(rows[~first], z.index[~first] - 1, -1.0)


def define_supplier_capacity_constraints(m: LinearModel, ix: PlanIndex) -> None:
    """Orders per supplier and item and month, summed over sites, <= capacity_per_month."""
    buy = m.vars["Supplier-order"]
    capped = [j for j, s in enumerate(ix.supplies) if s.capacity is not None]
    sizes = [max(0, ix.n - ix.supplies[j].lead) for j in capped]
    offset = np.full(len(ix.supplies), -1, dtype=np.int64)
    offset[capped] = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if capped else []
    keys_j = np.concatenate([np.full(n, j) for j, n in zip(capped, sizes, strict=True)]) if capped \
        else np.zeros(0, dtype=np.int64)
    keys_m = np.concatenate([np.arange(n) for n in sizes]) if capped else np.zeros(0, dtype=np.int64)
    cap = np.array([ix.supplies[j].capacity or 0.0 for j in keys_j.astype(np.int64)])
    if ix.supply_avail is not None and len(keys_j):
        cap = cap * ix.supply_avail[keys_j.astype(np.int64), keys_m.astype(np.int64)]
    rb = m.add_rows("Supplier-capacity", -INF, cap, {"supply": keys_j, "month": keys_m})
    bj = buy.keys["supply"]
    sel = offset[bj] >= 0 if len(bj) else np.zeros(0, dtype=bool)
    m.add_terms(rb.start + offset[bj[sel]] + buy.keys["month"][sel], buy.index[sel], 1.0)


def define_store_balance_constraints(m: LinearModel, ix: PlanIndex) -> None:
    """level(m) - level(m-1) - arrivals - accepted output + components used + deliveries = initial at m=0."""
    n, p = ix.n, len(ix.store_pairs)
    tab = store_table(ix)
    rhs = np.zeros(p * n)
    rhs[::n] = ix.init_store if p else 0.0
    rb = m.add_rows("Store-balance", rhs, rhs,
                    {"pair": np.repeat(np.arange(p), n), "month": np.tile(np.arange(n), p)})
    st = m.vars["Store-level"]
    m.add_terms(rb.index, st.index, 1.0)
    nxt = st.keys["month"] < n - 1
    m.add_terms(rb.index[nxt] + 1, st.index[nxt], -1.0)

    buy = m.vars["Supplier-order"]
    if buy.size:
        lead = np.array([s.lead for s in ix.supplies])[buy.keys["supply"]]
        item = np.array([s.item for s in ix.supplies])[buy.keys["supply"]]
        pair = tab[buy.keys["site"], item]
        m.add_terms(rb.start + pair * n + buy.keys["month"] + lead, buy.index, -1.0)

    prod = m.vars["Line-production"]
    if prod.size:
        site = np.array([ln.site for ln in ix.lines])[prod.keys["line"]]
        acc = np.array([ln.acceptance for ln in ix.lines])[prod.keys["line"]]
        pair = tab[site, prod.keys["item"]]
        m.add_terms(rb.start + pair * n + prod.keys["month"] + acc, prod.index, -1.0)
        for made, comps in ix.bom.items():
            sel = prod.keys["item"] == made
            for comp, qty in comps:
                cpair = tab[site[sel], comp]
                m.add_terms(rb.start + cpair * n + prod.keys["month"][sel], prod.index[sel], qty)

    dl = m.vars["Customer-delivery"]
    if dl.size:
        item = ix.pile_pairs[dl.keys["pile"], 1]
        pair = tab[dl.keys["site"], item]
        m.add_terms(rb.start + pair * n + dl.keys["month"], dl.index, 1.0)


def define_stockpile_balance_constraints(m: LinearModel, ix: PlanIndex) -> None:
    """pile(m) - pile(m-1) - received - unmet = -consumption (+ initial stock at m=0)."""
    n, q = ix.n, len(ix.pile_pairs)
    rhs = -ix.consumption.reshape(-1).copy()
    if q:
        rhs[::n] += ix.init_pile
    rb = m.add_rows("Stockpile-balance", rhs, rhs,
                    {"pile": np.repeat(np.arange(q), n), "month": np.tile(np.arange(n), q)})
    sp = m.vars["Stockpile-level"]
    m.add_terms(rb.index, sp.index, 1.0)
    nxt = sp.keys["month"] < n - 1
    m.add_terms(rb.index[nxt] + 1, sp.index[nxt], -1.0)
    dl = m.vars["Customer-delivery"]
    if dl.size:
        d = ix.delivery[ix.pile_pairs[dl.keys["pile"], 0]]
        m.add_terms(rb.start + dl.keys["pile"] * n + dl.keys["month"] + d, dl.index, -1.0)
    un = m.vars["Consumption-unmet"]
    m.add_terms(rb.start + un.keys["pile"] * n + un.keys["month"], un.index, -1.0)


def define_target_constraints(m: LinearModel, ix: PlanIndex) -> None:
    """pile(by) + shortfall >= units, per target whose `by` is in the horizon."""
    live = [k for k, t in enumerate(ix.targets) if t.by >= 0]
    units = np.array([ix.targets[k].units for k in live])
    rb = m.add_rows("Target", units, INF, {"target": np.array(live, dtype=np.int64)})
    sp, sh = m.vars["Stockpile-level"], m.vars["Target-shortfall"]
    for r, k in enumerate(live):
        t = ix.targets[k]
        by = min(t.by, ix.n - 1)
        m.add_terms(np.array([rb.start + r] * 2), np.array([sp.start + t.pile * ix.n + by,
                                                             sh.start + k]), 1.0)


def define_delivery_hold_constraints(m: LinearModel, ix: PlanIndex) -> None:
    """Cumulative deliveries per held route and month >= the held units (= when exact), each
    within 1e-6 x max(1, units); no rows at all when nothing is held (the deterministic plan)."""
    if not ix.delivery_hold:
        return
    dl = m.vars["Customer-delivery"]
    rr, rm, low, high, t_row, t_col = [], [], [], [], [], []
    n_rows = 0
    for r, (q, s, cum, exact) in enumerate(ix.delivery_hold):
        cols = dl.index[(dl.keys["pile"] == q) & (dl.keys["site"] == s)]
        months = dl.keys["month"][cols - dl.start]
        order = np.argsort(months, kind="stable")
        cols, months = cols[order], months[order]
        tol = 1e-6 * np.maximum(1.0, cum[months])
        keep = np.flatnonzero((cum[months] > tol) | exact)
        i, k = np.tril_indices(len(cols))  # row j sums the route's columns up to its month j
        pos = np.full(len(cols), -1, dtype=np.int64)
        pos[keep] = n_rows + np.arange(len(keep))
        sel = pos[i] >= 0
        t_row.append(pos[i[sel]])
        t_col.append(cols[k[sel]])
        n_rows += len(keep)
        rr.append(np.full(len(keep), r))
        rm.append(months[keep])
        low.append(cum[months[keep]] - tol[keep])
        high.append(cum[months[keep]] + tol[keep] if exact else np.full(len(keep), INF))
    rb = m.add_rows("Delivery-hold", np.concatenate(low), np.concatenate(high),
                    {"route": np.concatenate(rr).astype(np.int64),
                     "month": np.concatenate(rm).astype(np.int64)})
    m.add_terms(rb.start + np.concatenate(t_row), np.concatenate(t_col), 1.0)


def define_production_hold_constraints(m: LinearModel, ix: PlanIndex) -> None:
    """Cumulative production per held (line, item) and month = the held units, within
    max(1e-4, 1e-6 x units), in the months held; no rows at all when nothing is held."""
    if not ix.production_hold:
        return
    prod = m.vars["Line-production"]
    low, high, rr, rm, t_row, t_col = [], [], [], [], [], []
    n_rows = 0
    for r, (li, item, cum) in enumerate(ix.production_hold):
        sel = (prod.keys["line"] == li) & (prod.keys["item"] == item)
        cols, months = prod.index[sel], prod.keys["month"][sel]
        for k in range(len(cum)):  # a row per month held: the columns of the months up to it
            c = cols[months <= k]
            t_row.append(np.full(len(c), n_rows))
            t_col.append(c)
            n_rows += 1
        tol = np.maximum(1e-4, 1e-6 * cum)
        low.append(cum - tol)
        high.append(cum + tol)
        rr.append(np.full(len(cum), r))
        rm.append(np.arange(len(cum)))
    rb = m.add_rows("Production-hold", np.concatenate(low), np.concatenate(high),
                    {"hold": np.concatenate(rr).astype(np.int64),
                     "month": np.concatenate(rm).astype(np.int64)})
    m.add_terms(rb.start + np.concatenate(t_row), np.concatenate(t_col), 1.0)


def define_budget_constraints(m: LinearModel, ix: PlanIndex) -> None:
    """Capex of optional lines paid in a listed calendar year <= that year's ceiling."""
    y = m.vars["Line-build"]
    capex = np.array([ln.capex for ln in ix.lines] or [0.0])[y.keys["line"]]
    build = np.array([ln.build_months for ln in ix.lines] or [0])[y.keys["line"]]
    pay_year = ix.year[np.maximum(0, y.keys["month"] - build)] if y.size else np.zeros(0)
    years = [yr for yr in sorted(ix.budget) if np.any((pay_year == yr) & (capex > 0))]
    rb = m.add_rows("Budget", -INF, np.array([ix.budget[yr] for yr in years]),
                    {"year": np.array(years, dtype=np.int64)})
    for r, yr in enumerate(years):
        sel = (pay_year == yr) & (capex > 0)
        m.add_terms(np.full(int(sel.sum()), rb.start + r), y.index[sel], capex[sel])


CONSTRAINTS: tuple[Callable[[LinearModel, PlanIndex], None], ...] = (
    define_line_capacity_constraints,
    define_online_constraints,
    define_supplier_capacity_constraints,
    define_store_balance_constraints,
    define_stockpile_balance_constraints,
    define_target_constraints,
    define_budget_constraints,
    define_delivery_hold_constraints,
    define_production_hold_constraints,
)
