"""The plan as dense arrays: the only module that reads the plan's tables.

The simulator follows the plan's policy (orders, production, deliveries by
month). This adapter turns the long-format tables of a :class:`PlanResult`
(``production``, ``purchases``, ``deliveries``, ``stores``, ``stockpiles``,
``costs``) and its ``lines`` into arrays indexed by entity and month, so the
plan's internals can change without touching the kernel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bastion.plan.result import PlanResult
from bastion.plan.tables import Table
from bastion.scenario.model import Scenario
from bastion.scenario.types import month_index

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NEVER = 1_000_000
"""Online month of a line that is not built: it never produces."""


class NoPlanError(ValueError):
    """The plan has no solution, so there is no policy to simulate."""


@dataclass(frozen=True, eq=False)
class PlanArrays:
    """The plan and the scenario's data as arrays (months 0 .. n-1 from horizon.start)."""

    n: int
    start: str
    items: tuple[str, ...]
    item_level: dict[str, int]  # bom depth: 0 for bought items and items made from bought ones only
    # stores: (site, item) pairs
    store_pairs: tuple[tuple[str, str], ...]
    init_store: FloatArray  # (SP,)
    hold_store: FloatArray  # (SP,)
    plan_store: FloatArray  # (SP, n) closing level in the plan
    # purchases: (supplier, item, site) with orders
    suppliers: tuple[str, ...]
    supplies: tuple[tuple[str, str, str], ...]
    orders: FloatArray  # (SS, n)
    lead: IntArray  # (SS,)
    price: FloatArray  # (SS,)
    capacity: dict[tuple[str, str], float | None]  # (supplier, item) -> units per month
    # lines
    lines: tuple[str, ...]
    line_site: tuple[str, ...]
    line_capacity: FloatArray
    ramp: FloatArray
    acceptance: IntArray
    variable_cost: FloatArray
    fixed_cost: FloatArray
    built: npt.NDArray[np.bool_]
    online: IntArray  # planned online month (NEVER when not built)
    optional: npt.NDArray[np.bool_]
    # production: (line, item) entries, made items' components
    entries: tuple[tuple[str, str], ...]
    production: FloatArray  # (LI, n) good units planned
    bom: dict[str, tuple[tuple[str, float], ...]]  # made item -> (component, qty per good unit incl. scrap)
    # deliveries: (site, customer, item)
    deliveries: tuple[tuple[str, str, str], ...]
    delivery_plan: FloatArray  # (DL, n)
    # customers' stockpiles: (customer, item)
    customers: tuple[str, ...]
    priority: dict[str, int]
    delivery_months: dict[str, int]
    piles: tuple[tuple[str, str], ...]
    init_pile: FloatArray  # (Q,)
    hold_pile: FloatArray  # (Q,)
    consumption: FloatArray  # (Q, n)
    plan_pile: FloatArray  # (Q, n) closing stockpile in the plan
    # targets
    targets: tuple[tuple[str, str, str, float], ...]  # customer, item, by, units
    target_by: IntArray  # (T,) month index of `by`
    capex: float  # the plan's capex (constant across paths)


def _month_col(table: Table, start: str, col: str = "month") -> IntArray:
    k = table.columns.index(col)
    return np.array([month_index(r[k], start) for r in table.rows], dtype=np.int64)


def _col(table: Table, col: str) -> list[object]:
    k = table.columns.index(col)
    return [r[k] for r in table.rows]


def _dense(table: Table, keys: tuple[str, ...], value: str, start: str, n: int,
           order: Iterable[tuple[str, ...]] = ()) -> tuple[tuple[tuple[str, ...], ...], FloatArray]:
    """(distinct key tuples, (K, n) array summing `value` by key and month)."""
    cols = [_col(table, c) for c in keys]
    rows = [tuple(str(v) for v in vals) for vals in zip(*cols, strict=True)] if cols else []
    found = dict.fromkeys(order)
    found.update(dict.fromkeys(rows))
    index = {k: i for i, k in enumerate(found)}
    out = np.zeros((len(index), n))
    if rows:
        months = _month_col(table, start)
        vals = np.array([float(v) for v in _col(table, value)])  # type: ignore[arg-type]
        ok = (months >= 0) & (months < n)
        np.add.at(out, (np.array([index[r] for r in rows])[ok], months[ok]), vals[ok])
    return tuple(found), out


def item_levels(scenario: Scenario) -> dict[str, int]:
    """Bom depth of every item: a made item is one level above its deepest made component."""
    memo: dict[str, int] = {}

    def depth(iid: str) -> int:
        if iid not in memo:
            item = scenario.items[iid]
            made = [c for c in item.bom if scenario.items[c].made]
            memo[iid] = 1 + max((depth(c) for c in made), default=-1) if item.made else 0
            memo[iid] = max(memo[iid], 0)
        return memo[iid]

    for iid in scenario.items:
        depth(iid)
    return memo


def plan_arrays(scenario: Scenario, plan: PlanResult) -> PlanArrays:
    """Dense arrays of `plan` (solved for `scenario`)."""
    if plan.tables is None or not plan.status.has_solution:
        raise NoPlanError(f"the plan has no solution ({plan.status.value}): nothing to simulate")
    t = plan.tables
    n, start = scenario.horizon.months, scenario.horizon.start
    items = tuple(scenario.items)
    all_lines = scenario.all_lines()

    bom: dict[str, tuple[tuple[str, float], ...]] = {}
    for iid, item in scenario.items.items():
        if item.made:
            k = 1.0 / (1.0 - item.scrap_rate)
            bom[iid] = tuple((c, float(q) * k) for c, q in item.bom.items() if q > 0)

    # lines
    by_line = {lp.line: lp for lp in plan.lines}
    lines = tuple(all_lines)
    built = np.array([by_line[lid].built if lid in by_line else not all_lines[lid][1].optional
                      for lid in lines], dtype=bool)
    online = np.array([
        month_index(by_line[lid].online or "", start) if lid in by_line and by_line[lid].online
        else NEVER for lid in lines], dtype=np.int64)
    online[~built] = NEVER

    # production entries: every (line, item made)
    entry_order = [(lid, i) for lid, (_s, ln) in all_lines.items() for i in ln.makes]
    keys, prod = _dense(t.production, ("line", "item"), "units", start, n, entry_order)
    entries = tuple((k[0], k[1]) for k in keys)

    # purchases
    keys, orders = _dense(t.purchases, ("supplier", "item", "site"), "units", start, n)
    supplies = tuple((k[0], k[1], k[2]) for k in keys)
    sup = scenario.suppliers
    lead = np.array([sup[s].supplies[i].lead_time_months for s, i, _ in supplies], dtype=np.int64)
    price = np.array([float(sup[s].supplies[i].price) for s, i, _ in supplies])
    capacity = {(s, i): (None if sp.capacity_per_month is None else float(sp.capacity_per_month))
                for s, su in sup.items() for i, sp in su.supplies.items()}

    # deliveries
    keys, dplan = _dense(t.deliveries, ("site", "customer", "item"), "units", start, n)
    deliveries = tuple((k[0], k[1], k[2]) for k in keys)

    # stores: the plan's pairs plus anything the policy touches
    store_keys, plan_store = _dense(t.stores, ("site", "item"), "closing", start, n)
    pairs = dict.fromkeys((k[0], k[1]) for k in store_keys)
    for s, i, site in supplies:
        del s
        pairs.setdefault((site, i))
    for lid, i in entries:
        site = all_lines[lid][0]
        pairs.setdefault((site, i))
        for c, _q in bom.get(i, ()):
            pairs.setdefault((site, c))
    for site, _c, i in deliveries:
        pairs.setdefault((site, i))
    store_pairs = tuple(pairs)
    ps = np.zeros((len(store_pairs), n))
    ps[: len(store_keys)] = plan_store
    init_store = np.array([float(scenario.sites[s].initial_store.get(i, 0.0)) for s, i in store_pairs])
    hold = {iid: float(it.holding_cost_per_month) for iid, it in scenario.items.items()}

    # stockpiles
    pile_keys, plan_pile = _dense(t.stockpiles, ("customer", "item"), "closing", start, n)
    _k2, cons = _dense(t.stockpiles, ("customer", "item"), "consumption", start, n)
    piles = tuple((k[0], k[1]) for k in pile_keys)
    pile_set = dict.fromkeys(piles)
    for _s, c, i in deliveries:
        pile_set.setdefault((c, i))
    extra = len(pile_set) - len(piles)
    piles = tuple(pile_set)
    if extra:
        plan_pile = np.vstack([plan_pile, np.zeros((extra, n))])
        cons = np.vstack([cons, np.zeros((extra, n))])
    custs = scenario.customers
    init_pile = np.array([float(custs[c].initial_stock.get(i, 0.0)) for c, i in piles])

    targets = tuple((cid, tg.item, tg.by, float(tg.units)) for cid, cu in custs.items()
                    for tg in cu.targets)
    capex = float(sum(float(v) for v in _col(t.costs, "capex")))  # type: ignore[arg-type,misc]

    return PlanArrays(
        n=n, start=start, items=items, item_level=item_levels(scenario),
        store_pairs=store_pairs, init_store=init_store,
        hold_store=np.array([hold[i] for _s, i in store_pairs]), plan_store=ps,
        suppliers=tuple(sup), supplies=supplies, orders=orders, lead=lead, price=price,
        capacity=capacity,
        lines=lines, line_site=tuple(all_lines[lid][0] for lid in lines),
        line_capacity=np.array([float(all_lines[lid][1].capacity_per_month) for lid in lines]),
        ramp=np.array([float(all_lines[lid][1].ramp_months) for lid in lines]),
        acceptance=np.array([all_lines[lid][1].acceptance_months for lid in lines], dtype=np.int64),
        variable_cost=np.array([float(all_lines[lid][1].variable_cost_per_unit) for lid in lines]),
        fixed_cost=np.array([float(all_lines[lid][1].fixed_cost_per_month) for lid in lines]),
        built=built, online=online,
        optional=np.array([all_lines[lid][1].optional for lid in lines], dtype=bool),
        entries=entries, production=prod, bom=bom,
        deliveries=deliveries, delivery_plan=dplan,
        customers=tuple(custs), priority={c: cu.priority for c, cu in custs.items()},
        delivery_months={c: cu.delivery_months for c, cu in custs.items()},
        piles=piles, init_pile=init_pile, hold_pile=np.array([hold[i] for _c, i in piles]),
        consumption=cons, plan_pile=plan_pile,
        targets=targets,
        target_by=np.array([month_index(b, start) for _c, _i, b, _u in targets], dtype=np.int64),
        capex=capex,
    )
