"""Tidy tables of a plan (long format: one row per month and key) and their CSV text."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bastion.scenario.types import month_name
from bastion.textsafe import spreadsheet_cell

if TYPE_CHECKING:
    from bastion.plan.index import PlanIndex
    from bastion.plan.model import LinearModel
    from bastion.plan.solution import Solution


@dataclass(frozen=True)
class Table:
    """A tidy table: column names and rows."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def to_csv(self) -> str:
        """CSV text with a header line; a text cell never reads as a formula (textsafe.spreadsheet_cell)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([spreadsheet_cell(c) for c in self.columns])
        for row in self.rows:
            w.writerow([f"{v:.6g}" if isinstance(v, float) else spreadsheet_cell(v) for v in row])
        return buf.getvalue()

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts."""
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


@dataclass(frozen=True)
class PlanTables:
    """All tables of one plan."""

    production: Table
    purchases: Table
    stores: Table
    deliveries: Table
    stockpiles: Table
    costs: Table

    def all(self) -> tuple[Table, ...]:
        """Every table, in a fixed order."""
        return (self.production, self.purchases, self.stores, self.deliveries, self.stockpiles,
                self.costs)


def _f(a: np.ndarray) -> list[float]:
    return [float(v) for v in a]


def make_tables(ix: PlanIndex, model: LinearModel, sol: Solution) -> PlanTables:
    """Tidy tables from a solution: flows only where non-zero, levels for every month."""
    names = [month_name(k, ix.start) for k in range(ix.n)]
    prod_b = model.vars["Line-production"]
    nz = np.flatnonzero(sol.production)
    production = Table("production", ("month", "line", "site", "item", "units"), tuple(
        (names[int(prod_b.keys["month"][k])], ix.lines[int(prod_b.keys["line"][k])].id,
         ix.sites[ix.lines[int(prod_b.keys["line"][k])].site],
         ix.items[int(prod_b.keys["item"][k])], float(sol.production[k])) for k in nz))

    buy_b = model.vars["Supplier-order"]
    nz = np.flatnonzero(sol.orders)
    rows: list[tuple[Any, ...]] = []
    for k in nz:
        sup = ix.supplies[int(buy_b.keys["supply"][k])]
        mo = int(buy_b.keys["month"][k])
        q = float(sol.orders[k])
        rows.append((names[mo], names[mo + sup.lead], sup.supplier, ix.sites[int(buy_b.keys["site"][k])],
                     ix.items[sup.item], q, q * sup.price))
    purchases = Table("purchases", ("month", "arrival_month", "supplier", "site", "item", "units",
                                    "cost"), tuple(rows))

    dl_b = model.vars["Customer-delivery"]
    nz = np.flatnonzero(sol.deliveries)
    rows = []
    for k in nz:
        q = int(dl_b.keys["pile"][k])
        c, i = (int(v) for v in ix.pile_pairs[q])
        mo = int(dl_b.keys["month"][k])
        rows.append((names[mo], names[mo + int(ix.delivery[c])], ix.sites[int(dl_b.keys["site"][k])],
                     ix.customers[c], ix.items[i], float(sol.deliveries[k])))
    deliveries = Table("deliveries", ("month", "arrival_month", "site", "customer", "item", "units"),
                       tuple(rows))

    rows = []
    for p, (s, i) in enumerate(ix.store_pairs):
        close = sol.store_level[p]
        opening = np.concatenate([[ix.init_store[p]], close[:-1]])
        for mo, vals in enumerate(zip(_f(opening), _f(sol.store_arrivals[p]),
                                      _f(sol.store_accepted[p]), _f(sol.store_used[p]),
                                      _f(sol.store_delivered[p]), _f(close), strict=True)):
            rows.append((names[mo], ix.sites[int(s)], ix.items[int(i)], *vals))
    stores = Table("stores", ("month", "site", "item", "opening", "arrivals", "accepted_output",
                              "used", "delivered", "closing"), tuple(rows))

    rows = []
    for q, (c, i) in enumerate(ix.pile_pairs):
        close = sol.pile_level[q]
        opening = np.concatenate([[ix.init_pile[q]], close[:-1]])
        for mo, vals in enumerate(zip(_f(opening), _f(sol.pile_received[q]),
                                      _f(ix.consumption[q]), _f(sol.pile_unmet[q]), _f(close),
                                      strict=True)):
            rows.append((names[mo], ix.customers[int(c)], ix.items[int(i)], *vals))
    stockpiles = Table("stockpiles", ("month", "customer", "item", "opening", "received",
                                      "consumption", "unmet", "closing"), tuple(rows))

    kinds = ("capex", "purchases", "production", "fixed", "holding")
    total = np.sum([sol.cost_by_month[k] for k in kinds], axis=0)
    costs = Table("costs", ("month", *kinds, "total"), tuple(
        (names[mo], *(float(sol.cost_by_month[k][mo]) for k in kinds), float(total[mo]))
        for mo in range(ix.n)))
    return PlanTables(production, purchases, stores, deliveries, stockpiles, costs)
