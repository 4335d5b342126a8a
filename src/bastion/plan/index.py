"""The index sets of the plan model: scenario -> plain arrays, before any variable exists.

Everything the builder needs is resolved here once (item positions, each
site's store items, each customer's stockpile items, consumption by month,
online months, relaxations), so that `build.py` only does array arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bastion.scenario.model import Scenario
from bastion.scenario.types import month_index

FloatArray = np.ndarray


@dataclass(frozen=True)
class Relax:
    """Relaxations of the scenario, for 'what binds' re-solves (all off by default).

    capacity_factor multiplies every line's capacity; online_at_zero brings
    every line online at month 0 at the latest (optional lines may be built
    from month 0, their build time waived); supplier_unlimited drops supplier
    capacities; lead_zero makes every lead time 0; budget_unlimited drops the
    yearly capex ceilings.
    """

    capacity_factor: float = 1.0
    online_at_zero: bool = False
    supplier_unlimited: bool = False
    lead_zero: bool = False
    budget_unlimited: bool = False

    @property
    def any(self) -> bool:
        """True when anything is relaxed."""
        return self != Relax()


@dataclass(frozen=True)
class LineInfo:
    """One line with its resolved months (indices from horizon.start)."""

    id: str
    site: int
    makes: tuple[int, ...]
    capacity: float
    online: int  # mandatory: first month it can produce; optional: earliest
    ramp: float
    acceptance: int
    variable_cost: float
    fixed_cost: float
    capex: float
    build_months: int
    optional: bool

    def share(self, months: np.ndarray, online: int | None = None) -> np.ndarray:
        """Ramp share min(1, (m - m0 + 1) / (ramp + 1)) for m >= m0, else 0."""
        m0 = self.online if online is None else online
        s = np.minimum(1.0, (months - m0 + 1) / (self.ramp + 1.0))
        return np.where(months >= m0, s, 0.0)

    def first_candidate(self) -> int:
        """Optional lines: the earliest month they may come online (capex not before month 0)."""
        return max(self.online, self.build_months, 0)


@dataclass(frozen=True)
class SupplyInfo:
    """One item as offered by one supplier."""

    supplier: str
    item: int
    price: float
    lead: int
    capacity: float | None


@dataclass(frozen=True)
class TargetInfo:
    """One stockpile target."""

    customer: int
    item: int
    pile: int  # position in the stockpile pairs
    by: int
    units: float


@dataclass(frozen=True)
class PlanIndex:
    """The resolved index sets and data of one plan model."""

    n: int
    start: str
    items: tuple[str, ...]
    sites: tuple[str, ...]
    customers: tuple[str, ...]
    lines: tuple[LineInfo, ...]
    supplies: tuple[SupplyInfo, ...]
    targets: tuple[TargetInfo, ...]
    store_pairs: np.ndarray  # (P, 2): site, item
    pile_pairs: np.ndarray  # (Q, 2): customer, item
    init_store: np.ndarray  # (P,)
    init_pile: np.ndarray  # (Q,)
    consumption: np.ndarray  # (Q, N)
    holding: np.ndarray  # (n_items,)
    priority: np.ndarray  # (n_customers,)
    delivery: np.ndarray  # (n_customers,)
    bom: dict[int, tuple[tuple[int, float], ...]]  # made item -> (component, qty per good unit incl. scrap)
    year: np.ndarray  # (N,) calendar year of each month
    budget: dict[int, float]
    relax: Relax
    store_pos: dict[tuple[int, int], int] = field(default_factory=dict)
    pile_pos: dict[tuple[int, int], int] = field(default_factory=dict)
    # availability per month (the confidence plan's futures; None: 1 everywhere)
    line_avail: np.ndarray | None = None  # (lines, N) share of each month a line can produce
    supply_avail: np.ndarray | None = None  # (supplies, N) share of each month a supply ships
    # least end-of-month store level per (pair, month) (the confidence plan's component buffers,
    # docs/method-confidence.md; None: 0 everywhere)
    store_floor: np.ndarray | None = None  # (P, N)
    # cumulative deliveries held per route: (pile, site, cumulative units per month, exact)
    # (the confidence plan's frozen levels, docs/method-confidence.md; empty: none)
    delivery_hold: tuple[tuple[int, int, np.ndarray, bool], ...] = ()
    # cumulative production held exactly per (line, item) from month 0 to len(cumulative) - 1
    production_hold: tuple[tuple[int, int, np.ndarray], ...] = ()

    @property
    def levels(self) -> tuple[int, ...]:
        """The priority levels present among customers, in order."""
        return tuple(sorted({int(p) for p in self.priority}))


def consumption_by_month(spec: float | dict[str, float], start: str, n: int) -> np.ndarray:
    """Units per month for months 0..n-1: a rate every month, or month -> rate from then on."""
    if not isinstance(spec, dict):
        return np.full(n, float(spec))
    out = np.zeros(n)
    for month, rate in sorted(spec.items(), key=lambda kv: month_index(kv[0], start)):
        k = max(0, month_index(month, start))
        if k < n:
            out[k:] = float(rate)
    return out


def _lines(scenario: Scenario, online: dict[str, int], item_pos: dict[str, int],
           site_pos: dict[str, int], relax: Relax) -> tuple[LineInfo, ...]:
    out = []
    for lid, (sid, line) in scenario.all_lines().items():
        m0 = int(online[lid])
        build = line.build_months
        if relax.online_at_zero:
            m0 = min(m0, 0)
            if line.optional:
                build = 0
        out.append(LineInfo(
            id=lid, site=site_pos[sid], makes=tuple(item_pos[i] for i in line.makes),
            capacity=float(line.capacity_per_month) * relax.capacity_factor,
            online=m0, ramp=float(line.ramp_months), acceptance=line.acceptance_months,
            variable_cost=float(line.variable_cost_per_unit),
            fixed_cost=float(line.fixed_cost_per_month), capex=float(line.capex),
            build_months=build, optional=line.optional,
        ))
    return tuple(out)


Floor = tuple[str, str, int, int, float]
"""A store floor: (site, item, first month, last month, units): the store of `item` at `site` holds
at least `units` at the end of every month from the first to the last (indices, inclusive)."""

DeliveryHold = tuple[str, str, str, tuple[float, ...], bool]
"""Cumulative deliveries held on a route: (site, customer, item, cumulative units sent by the end
of each month from month 0, exact): the plan's cumulative deliveries on that route are at least
these (exactly these when `exact`), each within a tolerance of 1e-6 x max(1, units)."""


ProductionHold = tuple[str, str, tuple[float, ...]]
"""Cumulative production held on a line: (line, item, cumulative good units made by the end of
each month from month 0): exactly these, within max(1e-4, 1e-6 x units), in the months given
(a range of 1e-6 around 0 made HiGHS declare the reference's MIP infeasible)."""


def build_index(scenario: Scenario, online: dict[str, int], relax: Relax | None = None,
                floors: tuple[Floor, ...] = (),
                deliveries: tuple[DeliveryHold, ...] = (),
                production: tuple[ProductionHold, ...] = ()) -> PlanIndex:
    """Resolve the scenario into a PlanIndex (no model yet); `floors`: least store levels (a pair
    the site does not store is an error); `deliveries`: cumulative deliveries held per route (a
    route the model has no deliveries on is an error); `production`: cumulative production held
    per line and item (a line that does not make the item is an error)."""
    relax = relax or Relax()
    n, start = scenario.horizon.months, scenario.horizon.start
    items = tuple(scenario.items)
    item_pos = {k: i for i, k in enumerate(items)}
    sites = tuple(scenario.sites)
    site_pos = {k: i for i, k in enumerate(sites)}
    customers = tuple(scenario.customers)
    lines = _lines(scenario, online, item_pos, site_pos, relax)

    bom: dict[int, tuple[tuple[int, float], ...]] = {}
    for iid, item in scenario.items.items():
        if item.made:
            k = 1.0 / (1.0 - item.scrap_rate)
            bom[item_pos[iid]] = tuple((item_pos[c], float(q) * k) for c, q in item.bom.items())

    supplies = tuple(
        SupplyInfo(
            supplier=sup_id, item=item_pos[iid], price=float(s.price),
            lead=0 if relax.lead_zero else s.lead_time_months,
            capacity=None if relax.supplier_unlimited else s.capacity_per_month,
        )
        for sup_id, sup in scenario.suppliers.items()
        for iid, s in sup.supplies.items()
        if iid in item_pos
    )
    bought = {s.item for s in supplies}

    # customers' stockpile items
    pile_list: list[tuple[int, int]] = []
    demanded: set[int] = set()
    for c, (cid, cust) in enumerate(scenario.customers.items()):
        keys = list(cust.initial_stock) + list(cust.consumption) + [t.item for t in cust.targets]
        for iid in dict.fromkeys(keys):
            pile_list.append((c, item_pos[iid]))
            demanded.add(item_pos[iid])
        del cid
    pile_pos = {p: q for q, p in enumerate(pile_list)}

    # each site's store items: made there, used there, held there, or demanded and obtainable there
    store_list: list[tuple[int, int]] = []
    for s, (sid, site) in enumerate(scenario.sites.items()):
        made = {i for ln in lines if ln.site == s for i in ln.makes}
        used = {c for i in made for c, _ in bom.get(i, ())}
        held = {item_pos[i] for i in site.initial_store}
        wanted = {i for i in demanded if i in made or i in bought}
        for i in sorted(made | used | held | wanted):
            store_list.append((s, i))
        del sid
    store_pos = {p: q for q, p in enumerate(store_list)}

    init_store = np.array([
        float(scenario.sites[sites[s]].initial_store.get(items[i], 0.0)) for s, i in store_list
    ])
    init_pile = np.zeros(len(pile_list))
    consumption = np.zeros((len(pile_list), n))
    for q, (c, i) in enumerate(pile_list):
        cust = scenario.customers[customers[c]]
        init_pile[q] = float(cust.initial_stock.get(items[i], 0.0))
        spec = cust.consumption.get(items[i])
        if spec is not None:
            consumption[q] = consumption_by_month(spec, start, n)

    targets = tuple(
        TargetInfo(customer=c, item=item_pos[t.item], pile=pile_pos[(c, item_pos[t.item])],
                   by=month_index(t.by, start), units=float(t.units))
        for c, cust in enumerate(scenario.customers.values())
        for t in cust.targets
    )
    store_floor = None
    if floors:
        store_floor = np.zeros((len(store_list), n))
        for sid, iid, m0, m1, units in floors:
            pos = store_pos.get((site_pos.get(sid, -1), item_pos.get(iid, -1)))
            if pos is None:
                raise ValueError(f"site {sid} does not store {iid}: no floor can hold there")
            store_floor[pos, max(0, m0):min(n, m1 + 1)] = float(units)
    hold = []
    for sid, cid, iid, cum, exact in deliveries:
        pile = pile_pos.get((customers.index(cid) if cid in customers else -1,
                             item_pos.get(iid, -1)))
        s_pos = site_pos.get(sid, -1)
        if pile is None or (s_pos, item_pos[iid]) not in store_pos:
            raise ValueError(f"no deliveries of {iid} from {sid} to {cid}: none can be held")
        arr = np.full(n, float(cum[-1]) if cum else 0.0)  # cumulative: flat after the last
        arr[:min(n, len(cum))] = np.asarray(cum, dtype=float)[:n]
        hold.append((pile, s_pos, arr, bool(exact)))
    line_pos = {ln.id: k for k, ln in enumerate(lines)}
    held_made = []
    for lid, iid, made_cum in production:
        if lid not in line_pos or item_pos.get(iid, -1) not in lines[line_pos[lid]].makes:
            raise ValueError(f"line {lid} does not make {iid}: no production can be held")
        held_made.append((line_pos[lid], item_pos[iid], np.asarray(made_cum, dtype=float)[:n]))
    y0, mo0 = int(start[:4]), int(start[5:7]) - 1
    year = (y0 * 12 + mo0 + np.arange(n)) // 12
    budget = {} if relax.budget_unlimited or scenario.budget is None else {
        int(y): float(v) for y, v in scenario.budget.capex_per_year.items()
    }
    return PlanIndex(
        n=n, start=start, items=items, sites=sites, customers=customers, lines=lines,
        supplies=supplies, targets=targets,
        store_pairs=np.array(store_list, dtype=np.int64).reshape(-1, 2),
        pile_pairs=np.array(pile_list, dtype=np.int64).reshape(-1, 2),
        init_store=init_store, init_pile=init_pile, consumption=consumption,
        holding=np.array([float(it.holding_cost_per_month) for it in scenario.items.values()]),
        priority=np.array([c.priority for c in scenario.customers.values()], dtype=np.int64),
        delivery=np.array([c.delivery_months for c in scenario.customers.values()], dtype=np.int64),
        bom=bom, year=year, budget=budget, relax=relax,
        store_pos=store_pos, pile_pos=pile_pos, store_floor=store_floor,
        delivery_hold=tuple(hold), production_hold=tuple(held_made),
    )


def ramp_split(ramp: float) -> int:
    """Months after coming online in which the share is still below 1: ceil(ramp)."""
    return math.ceil(ramp - 1e-12)
