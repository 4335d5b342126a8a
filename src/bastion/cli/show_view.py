"""`bastion show`: a readable summary of a scenario, as rich tables."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from bastion.cli.common import marking
from bastion.scenario.model import Consumption, MilestoneRef, Scenario
from bastion.scenario.types import month_name


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _range(value: tuple[float, float, float]) -> str:
    low, mode, high = value
    return _num(mode) if low == mode == high else f"{_num(low)} / {_num(mode)} / {_num(high)}"


def _consumption(rate: Consumption) -> str:
    if isinstance(rate, dict):
        return ", ".join(f"from {m}: {_num(v)}" for m, v in rate.items())
    return _num(rate)


def _items(s: Scenario) -> Table:
    table = Table(title="Items", title_justify="left")
    table.add_column("id", no_wrap=True)
    for col in ("name", "source", "bill of materials (per good unit)", "scrap"):
        table.add_column(col)
    for iid, item in s.items.items():
        bom = ", ".join(f"{_num(q)} {c}" for c, q in item.bom.items())
        sources = [sid for sid, sup in s.suppliers.items() if iid in sup.supplies]
        source = "made" if item.made else (f"bought ({len(sources)} source{'s' * (len(sources) != 1)})")
        table.add_row(iid, escape(item.name), source, bom, f"{item.scrap_rate:.1%}" if item.scrap_rate else "")
    return table


def _suppliers(s: Scenario) -> Table:
    table = Table(title="Suppliers", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("item", no_wrap=True)
    for col in ("country", "price", "lead (mo)", "capacity / month", "disruption (rate, months)"):
        table.add_column(col)
    for sid, sup in s.suppliers.items():
        dis = sup.disruption
        dtext = f"{dis.rate_per_year:g}/yr, {_range(dis.recovery_months)}" if dis else ""
        for n, (iid, supply) in enumerate(sup.supplies.items()):
            cap = "unlimited" if supply.capacity_per_month is None else _num(supply.capacity_per_month)
            table.add_row(
                sid if n == 0 else "",
                iid,
                sup.country if n == 0 else "",
                _num(supply.price),
                str(supply.lead_time_months),
                cap,
                dtext if n == 0 else "",
            )
    return table


def _lines(s: Scenario) -> Table:
    table = Table(title="Lines", title_justify="left")
    table.add_column("line", no_wrap=True)
    for col in ("site", "makes", "capacity / month", "online", "ramp", "capex", "decision"):
        table.add_column(col)
    for lid, (sid, line) in s.all_lines().items():
        if line.online is None:
            online = s.horizon.start
        elif isinstance(line.online, MilestoneRef):
            online = f"after {line.online.milestone}"
        else:
            online = line.online
        table.add_row(
            lid,
            sid,
            ", ".join(line.makes),
            _num(line.capacity_per_month),
            online,
            f"{_num(line.ramp_months)} mo" if line.ramp_months else "",
            _num(line.capex) if line.capex else "",
            "optional" if line.optional else "committed",
        )
    return table


def _customers(s: Scenario) -> Table:
    table = Table(title="Customers and targets", title_justify="left")
    table.add_column("customer", no_wrap=True)
    for col in ("country", "priority", "consumption / month", "target"):
        table.add_column(col)
    for cid, cust in s.customers.items():
        cons = "; ".join(f"{i}: {_consumption(r)}" for i, r in cust.consumption.items())
        targets = [f"{_num(t.units)} {t.item} by {t.by}" for t in cust.targets] or [""]
        for n, target in enumerate(targets):
            first = n == 0
            table.add_row(
                cid if first else "",
                cust.country if first else "",
                str(cust.priority) if first else "",
                cons if first else "",
                target,
            )
    return table


def _programme(s: Scenario) -> Table | None:
    if s.programme is None or not s.programme.tasks:
        return None
    table = Table(
        title=f"Programme (from {s.programme_start()}; durations min / mode / max months)",
        title_justify="left",
    )
    table.add_column("task", no_wrap=True)
    for col in ("duration", "after", "uses"):
        table.add_column(col)
    for tid, task in s.programme.tasks.items():
        uses = ", ".join(f"{u} {r}" for r, u in task.uses.items())
        table.add_row(tid, _range(task.duration_months), ", ".join(task.after), uses)
    return table


def _risks(s: Scenario) -> Table | None:
    if not s.risks and (s.budget is None or not s.budget.capex_per_year):
        return None
    table = Table(title="Budget and correlated risks", title_justify="left")
    table.add_column("what")
    table.add_column("detail")
    if s.budget is not None:
        for year, cap in s.budget.capex_per_year.items():
            table.add_row(f"capex budget {year}", f"{_num(cap)} {s.currency} (optional lines)")
    for risk in s.risks:
        nodes = [*risk.applies_to.suppliers, *risk.applies_to.lines, *risk.applies_to.sites]
        table.add_row(
            f"risk {risk.id}",
            f"{risk.rate_per_year:g}/yr, {_range(risk.duration_months)} mo: {', '.join(nodes)}",
        )
    return table


def render_scenario(s: Scenario, out: Console) -> None:
    """Print the summary of `s` on `out`, between classification markings."""
    out.print(marking(s.classification))
    end = month_name(s.horizon.months - 1, s.horizon.start)
    head = f"[bold]{escape(s.name)}[/bold]\nhorizon {s.horizon.start} .. {end} ({s.horizon.months} months)"
    head += f", money in {s.currency}"
    if s.description:
        head += f"\n{escape(s.description.strip())}"
    out.print(Panel(head, expand=False))
    for table in (_items(s), _suppliers(s), _lines(s), _customers(s), _programme(s), _risks(s)):
        if table is not None:
            out.print(table)
    out.print(marking(s.classification))
