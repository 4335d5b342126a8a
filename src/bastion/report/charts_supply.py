"""Charts of who gets the output, what is bought against each supplier's capacity, and stock cover.

Each is drawn from the plan's tables (deliveries, purchases, stockpiles) and the plan's catalogue
(names, priorities, supplier capacities); None when the run lacks the data.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import plotly.graph_objects as go

from bastion.report.charts import PALETTE, Chart, chart
from bastion.report.fmt import num, pct, rows, section, units
from bastion.report.names import names

Tables = dict[str, list[dict[str, Any]]]
COVER_CAP = 36.0  # months: stock cover above this is drawn at the cap (the reading gives the figure)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def deliveries_by_customer(run: dict[str, Any], tables: Tables) -> Chart | None:
    """Units delivered to each customer up to each month (arrival month), stacked, priority 1 at the bottom."""
    dl = tables.get("deliveries") or []
    if not dl:
        return None
    nm = names(run)
    by: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in dl:
        by[str(r.get("customer"))][str(r.get("arrival_month") or r.get("month"))] += num(r.get("units")) or 0.0
    months = sorted({m for s in by.values() for m in s})

    def prio(c: str) -> int:
        p = nm.entry("customers", c).get("priority")
        return p if isinstance(p, int) else 99

    order = sorted(by, key=lambda c: (prio(c), c))
    fig = go.Figure()
    for i, c in enumerate(order):
        label = nm.name("customers", c) + (f" (priority {prio(c)})" if prio(c) != 99 else "")
        cum, ys = 0.0, []
        for m in months:
            cum += by[c].get(m, 0.0)
            ys.append(round(cum, 3))
        fig.add_trace(go.Scatter(x=months, y=ys, name=label, mode="lines", stackgroup="one",
                                 line={"color": PALETTE[i % len(PALETTE)], "shape": "hv"}))
    fig.update_layout(legend={"traceorder": "normal"})
    fig.update_xaxes(type="date")
    total = {c: sum(by[c].values()) for c in order}
    whole = sum(total.values()) or 1.0
    parts = ", ".join(f"{nm.name('customers', c)} {units(total[c])} ({pct(total[c] / whole)})" for c in order)
    short = [t for t in rows(section(run, "plan"), "targets") if t.get("met") is False]
    tail = (" When supply is short the plan serves customers in priority order (1 first): "
            + "; ".join(f"{nm.name('customers', t.get('customer'))} (priority {t.get('priority')}) is "
                        f"{units(t.get('shortfall'))} short by {t.get('by')}" for t in short) + "."
            if short else " Every target is met, so priority decides nothing here.")
    return chart("chart-deliveries", "Who gets the output: deliveries by customer, cumulative (plan)", fig,
                 f"Deliveries in all: {parts}.{tail} Stacked from priority 1 at the bottom.",
                 x="month of arrival", y="units delivered so far (units)")


def supplier_load(run: dict[str, Any], tables: Tables) -> Chart | None:
    """Orders placed each month as a share of the supplier's capacity for that item (a heat map)."""
    buys = tables.get("purchases") or []
    nm = names(run)
    caps = {(s, i): float(c) for s, rec in nm.catalogue.get("suppliers", {}).items()
            for i, c in (rec.get("capacity") or {}).items() if num(c) is not None and float(c) > 0}
    if not buys or not caps:
        return None
    load: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in buys:
        key = (str(r.get("supplier")), str(r.get("item")))
        if key in caps:
            load[key][str(r.get("month"))] += num(r.get("units")) or 0.0
    if not load:
        return None
    months = sorted({m for s in load.values() for m in s})
    keys = sorted(load, key=lambda k: (-sum(v >= caps[k] * 0.999 for v in load[k].values()), k))
    labels = [f"{_short(nm.name('suppliers', s), 26)}: {_short(nm.name('items', i), 20)}" for s, i in keys]
    z = [[round(100 * load[k].get(m, 0.0) / caps[k], 1) for m in months] for k in keys]
    fig = go.Figure(go.Heatmap(
        x=months, y=labels, z=z, zmin=0, zmax=100, colorscale="YlOrRd",
        colorbar={"title": {"text": "% of capacity"}, "ticksuffix": "%"},
        hovertemplate="%{y}<br>%{x}: %{z:.0f}% of capacity<extra></extra>"))
    fig.update_xaxes(type="date")
    fig.update_yaxes(autorange="reversed", automargin=True)
    full = [(k, [m for m in months if load[k].get(m, 0.0) >= caps[k] * 0.999]) for k in keys]
    full = [(k, ms) for k, ms in full if ms]
    reading = ("; ".join(f"{nm.name('suppliers', s)} is at its full {units(caps[(s, i)])} "
                         f"{nm.name('items', i)} a month in {len(ms)} months from {ms[0]}"
                         for (s, i), ms in full[:4]) + "." if full else
               "No supplier is ordered up to its capacity in the plan.")
    return chart("chart-supplier-load", "Purchases against each supplier's capacity (plan)", fig,
                 reading + " Only suppliers with a capacity limit are shown.", x="month the order is placed",
                 y="supplier: item", height=max(320, 110 + 26 * len(keys)))


def stock_cover(run: dict[str, Any], tables: Tables) -> Chart | None:
    """Months of consumption each stockpile holds at the end of each month (closing / consumption)."""
    piles = tables.get("stockpiles") or []
    nm = names(run)
    series: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for r in piles:
        use = num(r.get("consumption")) or 0.0
        if use > 0:
            series[(str(r.get("customer")), str(r.get("item")))].append(
                (str(r.get("month")), (num(r.get("closing")) or 0.0) / use))
    if not series:
        return None
    fig = go.Figure()
    lows = []
    for i, ((c, it), pts) in enumerate(sorted(series.items())):
        pts.sort()
        fig.add_trace(go.Scatter(x=[m for m, _ in pts], y=[round(min(v, COVER_CAP), 2) for _, v in pts],
                                 mode="lines", name=f"{nm.name('customers', c)}: {nm.name('items', it)}",
                                 line={"color": PALETTE[i % len(PALETTE)]}))
        low = min(pts, key=lambda p: p[1])
        lows.append(f"{nm.name('customers', c)} down to {low[1]:.1f} months in {low[0]}")
    fig.update_xaxes(type="date")
    fig.update_yaxes(range=[0, COVER_CAP * 1.03])
    return chart("chart-stock-cover", "Stock cover: months of consumption in each stockpile (plan)", fig,
                 "Lowest cover: " + "; ".join(lows) + f". Cover above {COVER_CAP:.0f} months is drawn at "
                 f"{COVER_CAP:.0f}; 0 means the stockpile is empty.",
                 x="month", y="stock cover (months of consumption)")
