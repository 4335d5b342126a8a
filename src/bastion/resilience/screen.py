"""An exact screen: suppliers whose outage provably adds no loss, found without their own LPs.

At scale (thousands of suppliers) each supplier node would need the outage LP several
times. Most of them can be answered from two or three LPs shared by all of them
(docs/method-resilience.md, "Screened suppliers"):

1. The outage model is built with the suppliers merged: every supply of one item with one
   lead time becomes one supply whose capacity is their sum (`merge_suppliers`). The
   outage LP minimises losses only (no price enters it), and supplies of one item and
   lead time reach the same stores at the same time, so this is the same LP (any plan
   of one gives a plan of the other with the same arrivals and losses; a merged plan is
   split back by capacity shares, `member_orders`).
2. A lean plan with no outage, x: among plans losing at most the plan's own least loss
   from M on + tol / 10, one ordering least from M on, each unit as late as it can arrive
   (`lean_plan`); when the plan itself loses units from M on, also y, the same for the
   window measure at the node's TTR (`lean_window_plan`).
3. Supplier j is safe when, in x (and y), for every month b from M on, the units j's
   orders placed from M on bring into the stores up to b are at most the spare capacity
   (capacity minus planned orders) of the item's other supplies whose orders placed from
   M on arrive up to b (`safe_suppliers`). Then the plan with j's orders moved to those
   supplies (arriving in the same month or earlier: stores only hold more) is feasible
   with j down from M to the end (j orders nothing after M; its shipments on the way at
   M arrive), with the same losses: the outage adds at most tol / 10, so its TTS is
   unbounded and it loses nothing, in both measures, as the LP route would find.

Suppliers not screened out, and suppliers in a risk group, keep their own supplies in a
second outage model (the others merged) and go to the LP as before.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from bastion.plan.solve import SolveOutcome, SolveStatus
from bastion.resilience.nodes import Node
from bastion.resilience.outage import Loss, OutageModel
from bastion.resilience.state import PlanState
from bastion.scenario.model import Scenario, Supplier, Supply

FEAS_TOL = 1e-7  # a supplier's orders fit the others' spare capacity within this (relative)
POOL_PREFIX = "~pool~"  # merged suppliers' ids: "~" is not allowed in a scenario's ids


def pool_id(item: str, lead: int) -> str:
    """The merged supplier of one item and lead time."""
    return f"{POOL_PREFIX}{item}~{lead}"


def merge_suppliers(scenario: Scenario, keep: set[str]) -> Scenario:
    """The scenario with every supplier not in `keep` merged, per (item, lead time), into one
    supplier of that item whose capacity is the members' sum (unlimited when one is)."""
    groups: dict[tuple[str, int], list[tuple[str, Supply]]] = defaultdict(list)
    out: dict[str, Supplier] = {}
    for sid, sup in scenario.suppliers.items():
        if sid in keep:
            out[sid] = sup
            continue
        for item, s in sup.supplies.items():
            groups[(item, s.lead_time_months)].append((sid, s))
    for (item, lead), members in groups.items():
        caps = [s.capacity_per_month for _sid, s in members]
        cap = None if any(c is None for c in caps) else float(sum(c or 0.0 for c in caps))
        first = scenario.suppliers[members[0][0]]
        out[pool_id(item, lead)] = Supplier.model_construct(
            name="", country=first.country, disruption=None,
            supplies={item: Supply.model_construct(
                price=min(s.price for _sid, s in members), lead_time_months=lead,
                capacity_per_month=cap)})
    return scenario.model_copy(update={"suppliers": out})


def merge_state(scenario: Scenario, state: PlanState, keep: set[str]) -> PlanState:
    """The state's orders summed into the merged suppliers (`merge_suppliers`)."""
    orders: dict[tuple[str | int, ...], float] = defaultdict(float)
    for (sid, item, site, m), v in state.flows.get("Supplier-order", {}).items():
        if sid in keep:
            orders[(sid, item, site, m)] += v
        else:
            lead = scenario.suppliers[str(sid)].supplies[str(item)].lead_time_months
            orders[(pool_id(str(item), lead), item, site, m)] += v
    flows = dict(state.flows)
    flows["Supplier-order"] = dict(orders)
    return PlanState(flows, state.online)


@dataclass(frozen=True)
class Offer:
    """One original supply: supplier, item, lead time, capacity a month (inf: unlimited)."""

    supplier: str
    item: str
    lead: int
    cap: float


def offers(scenario: Scenario) -> list[Offer]:
    """Every supply of the scenario, in file order."""
    inf = float("inf")
    return [Offer(sid, item, s.lead_time_months,
                  inf if s.capacity_per_month is None else float(s.capacity_per_month))
            for sid, sup in scenario.suppliers.items() for item, s in sup.supplies.items()]


def group_orders(om: OutageModel, x: np.ndarray) -> dict[tuple[str, int], np.ndarray]:
    """(item, lead) -> units ordered per month (all sites) in plan x of the merged model."""
    ix, model = om.ix, om.model
    buy = model.vars["Supplier-order"]
    units = np.zeros((max(1, len(ix.supplies)), ix.n))
    if buy.size:
        np.add.at(units, (buy.keys["supply"], buy.keys["month"]), np.maximum(0.0, x[buy.index]))
    return {(ix.items[s.item], s.lead): units[j] for j, s in enumerate(ix.supplies)}


def member_orders(offs: list[Offer], grouped: dict[tuple[str, int], np.ndarray], n: int
                  ) -> np.ndarray:
    """(offers, n): each offer's share of its group's orders, by capacity (equal shares among
    the unlimited members when a member is unlimited), as the plan's pool splits them."""
    members: dict[tuple[str, int], list[int]] = defaultdict(list)
    for k, o in enumerate(offs):
        members[(o.item, o.lead)].append(k)
    out = np.zeros((len(offs), n))
    for key, ks in members.items():
        g = grouped.get(key)
        if g is None:
            continue
        caps = np.array([offs[k].cap for k in ks])
        unl = np.isinf(caps)
        share = unl / unl.sum() if unl.any() else caps / max(caps.sum(), 1e-300)
        out[ks] = share[:, None] * g[None, :]
    return out


def safe_suppliers(offs: list[Offer], orders: np.ndarray, at: int, n: int) -> set[str]:
    """Suppliers whose orders from `at` on (rows of `orders`, one per offer) can all be moved,
    arrival month by arrival month, to the spare capacity of the same item's other offers
    (orders placed from `at` on; any lead time whose order month is then >= at)."""
    by_item: dict[str, list[int]] = defaultdict(list)
    for k, o in enumerate(offs):
        by_item[o.item].append(k)
    spare_fin: dict[str, np.ndarray] = {}
    n_unl: dict[str, np.ndarray] = {}
    arrive = np.zeros((len(offs), n))  # spare capacity of each offer by arrival month
    need = np.zeros((len(offs), n))  # each offer's orders from `at` on, by arrival month
    for k, o in enumerate(offs):
        m0, m1 = at, n - o.lead  # order months from at whose arrival is inside the horizon
        if m1 > m0:
            spare = o.cap - orders[k, m0:m1] if np.isfinite(o.cap) else np.full(m1 - m0, np.inf)
            arrive[k, m0 + o.lead:n] = spare
            need[k, m0 + o.lead:n] = orders[k, m0:m1]
    for item, ks in by_item.items():
        a = arrive[ks]
        fin = np.isfinite(a)
        spare_fin[item] = np.where(fin, a, 0.0).sum(axis=0)
        n_unl[item] = (~fin).sum(axis=0)
    unsafe: set[str] = set()
    for k, o in enumerate(offs):
        a = arrive[k]
        own_unl = ~np.isfinite(a)
        avail = spare_fin[o.item] - np.where(own_unl, 0.0, a)
        avail = np.where(n_unl[o.item] - own_unl > 0, np.inf, avail)
        # an order may arrive earlier than planned (more in store meanwhile): what arrives
        # up to each month must fit the spare capacity arriving up to then; within the
        # LP's own feasibility tolerance (1e-7, relative here)
        nd = np.cumsum(need[k])
        if np.any(nd > np.cumsum(avail) + FEAS_TOL * np.maximum(1.0, nd)):
            unsafe.add(o.supplier)
    return {o.supplier for o in offs} - unsafe


def _lean_cost(om: OutageModel, n_col: int) -> np.ndarray:
    """Units ordered from M on, each weighted 1 + (months from its arrival to the end) / end:
    the least of them orders no more than needed and each as late as it can arrive."""
    ix, buy = om.ix, om.model.vars["Supplier-order"]
    cost = np.zeros(n_col)
    sel = buy.keys["month"] >= om.at
    lead = np.array([sp.lead for sp in ix.supplies] or [0])[buy.keys["supply"][sel]]
    cost[buy.index[sel]] = 1.0 + (om.end - (buy.keys["month"][sel] + lead)) / max(1, om.end)
    return cost


def _solved(out: SolveOutcome, n: int) -> np.ndarray | None:
    if out.status is not SolveStatus.OPTIMAL or out.x is None:
        return None
    x: np.ndarray = out.x[:n]
    return x


def lean_plan(om: OutageModel, allowed: float) -> np.ndarray | None:
    """A plan with no outage losing at most `allowed` (weighted) from M on that orders the
    least from M on, as late as it can (`_lean_cost`); None if the LP gives none."""
    sv = om.solver
    row = np.array([om.loss_row])
    sv.set_rows(row, np.array([-np.inf]), np.array([allowed / om.weight_unit]))
    sv.set_objective(_lean_cost(om, sv.n_col))
    try:
        out = sv.solve()
    finally:
        sv.set_rows(row, np.array([-np.inf]), np.array([np.inf]))
        sv.set_objective(om.loss_cost)
    return _solved(out, om.model.n_col)


def lean_window_plan(om: OutageModel, t: float, slack: float) -> np.ndarray | None:
    """As `lean_plan` for the window measure at a whole number of months t: among plans with
    no outage whose loss falling due in [M, M + t) is at most its least + slack."""
    with om.down(None, t, window=True) as (cols, items, sv):
        ref = sv.solve()
        if ref.status is not SolveStatus.OPTIMAL or ref.objective is None:
            return None
        # the window loss as a row, in the solver's units (lpsolver.py: quantities / unit,
        # weights / weight_unit); inert again afterwards
        w = om.weight[items] / om.weight_unit
        cap = (ref.objective + slack / om.weight_unit) / sv.unit
        row = sv.add_row(cols, w, -np.inf, cap)
        sv.set_objective(_lean_cost(om, sv.n_col))
        try:
            out = sv.solve()
        finally:
            sv.set_row_bounds(row, -np.inf, np.inf)
        return _solved(out, om.model.n_col)


def screen_suppliers(scenario: Scenario, om: OutageModel, base: Loss, nodes: list[Node],
                     tol: float) -> tuple[set[str], int]:
    """The supplier nodes proven to lose nothing (module note), and the LPs solved for it.
    `om` is the fully merged outage model, `base` its plan loss (whose plan is `om.last_x`).
    The plan screened is the one ordering least from M on among those losing at most
    base + tol / 10 (`lean_plan`; the plan loss's own plan if that LP fails)."""
    x = lean_plan(om, base.value + tol / 10)
    if x is None:
        x = om.last_x
    assert x is not None
    x = x[:om.model.n_col]
    offs = offers(scenario)
    n, at, span = om.end, om.at, om.end - om.at
    safe = safe_suppliers(offs, member_orders(offs, group_orders(om, x), n), at, n)
    solves = 1
    if base.value > tol:  # the plan loses units from M on: the window measure needs its own
        ttrs = sorted({min(nd.ttr, float(span)) for nd in nodes if nd.id in safe})
        for t in ttrs:
            if t <= 0 or t >= span:
                continue  # TTR 0: no loss at TTR; at the whole span the window is the horizon
            if t != int(t):  # a split month: not screened (the LP answers)
                safe -= {nd.id for nd in nodes if min(nd.ttr, float(span)) == t}
                continue
            y = lean_window_plan(om, t, tol / 10)
            solves += 2
            if y is None:
                safe -= {nd.id for nd in nodes if min(nd.ttr, float(span)) == t}
                continue
            ok = safe_suppliers(offs, member_orders(offs, group_orders(om, y), n), at, n)
            safe -= {nd.id for nd in nodes if min(nd.ttr, float(span)) == t and nd.id not in ok}
    return {nd.id for nd in nodes if nd.id in safe}, solves

