"""`bastion show`: a readable summary of a scenario, as rich tables."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bastion.cli.common import marking
from bastion.cli.fit import Col, fit_table
from bastion.scenario.model import Consumption, MilestoneRef, Scenario
from bastion.scenario.types import month_name
from bastion.textsafe import visible


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _range(value: tuple[float, float, float]) -> str:
    low, mode, high = value
    return _num(mode) if low == mode == high else f"{_num(low)} / {_num(mode)} / {_num(high)}"


def _consumption(rate: Consumption) -> str:
    if isinstance(rate, dict):
        return ", ".join(f"from {m}: {_num(v)}" for m, v in rate.items())
    return _num(rate)


def _items(s: Scenario, width: int) -> Table:
    rows = []
    for iid, item in s.items.items():
        bom = ", ".join(f"{_num(q)} {c}" for c, q in item.bom.items())
        sources = [sid for sid, sup in s.suppliers.items() if iid in sup.supplies]
        source = "made" if item.made else (f"bought ({len(sources)} source{'s' * (len(sources) != 1)})")
        rows.append([iid, item.name, source, bom, f"{item.scrap_rate:.1%}" if item.scrap_rate else ""])
    cols = [Col("id", "id"), Col("name"), Col("source", drop=2), Col("bill of materials (per good unit)"),
            Col("scrap", "number", drop=1, justify="right")]
    return fit_table("Items", cols, rows, width)


def _suppliers(s: Scenario, width: int) -> Table:
    rows = []
    for sid, sup in s.suppliers.items():
        dis = sup.disruption
        dtext = f"{dis.rate_per_year:g}/yr, {_range(dis.recovery_months)}" if dis else ""
        for n, (iid, supply) in enumerate(sup.supplies.items()):
            cap = "unlimited" if supply.capacity_per_month is None else _num(supply.capacity_per_month)
            rows.append([sid if n == 0 else "", iid, sup.country if n == 0 else "", _num(supply.price),
                         str(supply.lead_time_months), cap, dtext if n == 0 else ""])
    cols = [Col("id", "id"), Col("item", "id"), Col("country", "id", drop=5),
            Col(f"price ({s.currency})", "number", justify="right"),
            Col("lead (months)", "number", drop=3, justify="right"),
            Col("capacity / month", "number", justify="right"),
            Col("disruption (rate, months)", drop=4)]
    return fit_table("Suppliers", cols, rows, width)


def _lines(s: Scenario, width: int) -> Table:
    rows = []
    for lid, (sid, line) in s.all_lines().items():
        if line.online is None:
            online = s.horizon.start
        elif isinstance(line.online, MilestoneRef):
            online = f"after {line.online.milestone}"
        else:
            online = line.online
        rows.append([lid, sid, ", ".join(line.makes), _num(line.capacity_per_month), online,
                     f"{_num(line.ramp_months)} mo" if line.ramp_months else "",
                     _num(line.capex) if line.capex else "", "optional" if line.optional else "committed"])
    cols = [Col("line", "id"), Col("site", "id", drop=4), Col("makes"),
            Col("capacity / month", "number", justify="right"), Col("online"),
            Col("ramp", "number", drop=5, justify="right"),
            Col(f"capex ({s.currency})", "number", justify="right"), Col("decision", drop=3)]
    return fit_table("Lines", cols, rows, width)


def _customers(s: Scenario, width: int) -> Table:
    rows = []
    for cid, cust in s.customers.items():
        cons = "; ".join(f"{i}: {_consumption(r)}" for i, r in cust.consumption.items())
        targets = [f"{_num(t.units)} {t.item} by {t.by}" for t in cust.targets] or [""]
        for n, target in enumerate(targets):
            first = n == 0
            rows.append([cid if first else "", cust.country if first else "",
                         str(cust.priority) if first else "", cons if first else "", target])
    cols = [Col("customer", "id"), Col("country", "id", drop=2),
            Col("priority", "number", drop=1, justify="right"), Col("consumption / month"), Col("target")]
    return fit_table("Customers and targets", cols, rows, width)


def _programme(s: Scenario, width: int) -> Table | None:
    if s.programme is None or not s.programme.tasks:
        return None
    rows = []
    for tid, task in s.programme.tasks.items():
        uses = ", ".join(f"{u} {r}" for r, u in task.uses.items())
        rows.append([tid, _range(task.duration_months), ", ".join(task.after), uses])
    cols = [Col("task", "id"), Col("duration", "number"), Col("after"), Col("uses", drop=1)]
    title = f"Programme (from {s.programme_start()}; durations min / mode / max months)"
    return fit_table(title, cols, rows, width)


def _risks(s: Scenario, width: int) -> Table | None:
    if not s.risks and (s.budget is None or not s.budget.capex_per_year):
        return None
    rows = []
    if s.budget is not None:
        for year, cap in s.budget.capex_per_year.items():
            rows.append([f"capex budget {year}", f"{_num(cap)} {s.currency} (optional lines)"])
    for risk in s.risks:
        nodes = [*risk.applies_to.suppliers, *risk.applies_to.lines, *risk.applies_to.sites]
        rows.append([f"risk {risk.id}",
                     f"{risk.rate_per_year:g}/yr, {_range(risk.duration_months)} mo: {', '.join(nodes)}"])
    return fit_table("Budget and correlated risks", [Col("what"), Col("detail")], rows, width)


def render_scenario(s: Scenario, out: Console) -> None:
    """Print the summary of `s` on `out`, between classification markings.

    Tables fit `out.width`: no number is ever cut (see `bastion.cli.fit`).
    """
    out.print(marking(s.marking()))
    end = month_name(s.horizon.months - 1, s.horizon.start)
    head = Text.assemble((visible(s.name), "bold"),
                         f"\nhorizon {s.horizon.start} .. {end} ({s.horizon.months} months)",
                         f", money in {visible(s.currency)}")
    if s.description:
        head.append(f"\n{visible(s.description.strip())}")
    out.print(Panel(head, expand=False))
    width = out.width
    for table in (_items(s, width), _suppliers(s, width), _lines(s, width), _customers(s, width),
                  _programme(s, width), _risks(s, width)):
        if table is not None:
            out.print(table)
    out.print(marking(s.marking()))
