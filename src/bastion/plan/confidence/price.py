"""The price of confidence: the cost at P against the deterministic plan, and what it buys."""

from __future__ import annotations

from collections import defaultdict

from bastion.plan.confidence.result import Price
from bastion.plan.result import PlanResult
from bastion.plan.tables import Table
from bastion.scenario.model import Scenario

KINDS = ("capex", "purchases", "production", "fixed", "holding")
SMALL = 0.5
"""Differences below half a unit are not told."""


def money_text(v: float, currency: str) -> str:
    """A signed difference of money, as every output writes money: "+14.2 M EUR", "-1,234 EUR"."""
    from bastion.moneyfmt import money_text as text

    return text(v, currency, signed=True)


def _series(table: Table, keys: tuple[str, ...], value: str) -> dict[tuple[str, ...], dict[str, float]]:
    out: dict[tuple[str, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in table.records():
        out[tuple(str(row[k]) for k in keys)][str(row["month"])] += float(row[value])
    return out


def _months(scenario: Scenario) -> list[str]:
    from bastion.scenario.types import month_name

    return [month_name(k, scenario.horizon.start) for k in range(scenario.horizon.months)]


def _lines(det: PlanResult, plan: PlanResult) -> list[str]:
    out = []
    before = {ln.line: ln for ln in det.lines}
    for ln in plan.lines:
        d = before.get(ln.line)
        if d is None or (d.built, d.online) == (ln.built, ln.online):
            continue
        was = f"{d.online}" if d.built else "not at all"
        now = f"built {ln.online}" if ln.built else "not built"
        out.append(f"{ln.line} {now} instead of {was}")
    return out


def _purchases(det: PlanResult, plan: PlanResult) -> list[str]:
    assert det.tables is not None and plan.tables is not None
    tot: dict[str, float] = defaultdict(float)
    for sign, p in ((-1.0, det), (1.0, plan)):
        assert p.tables is not None
        for row in p.tables.purchases.records():
            tot[str(row["item"])] += sign * float(row["units"])
    return [f"{v:+,.0f} {item} bought" for item, v in sorted(tot.items(), key=lambda kv: -abs(kv[1]))
            if abs(v) >= SMALL][:3]


def _ahead(det: Table, plan: Table, keys: tuple[str, ...], value: str, months: list[str],
           cumulative: bool) -> list[tuple[float, tuple[str, ...], str]]:
    """(peak difference, key, first month at half the peak) where the plan is ahead of `det`."""
    a, b = _series(det, keys, value), _series(plan, keys, value)
    out = []
    for key in sorted(set(a) | set(b)):
        run_a = run_b = 0.0
        diffs = []
        for mo in months:
            va, vb = a.get(key, {}).get(mo, 0.0), b.get(key, {}).get(mo, 0.0)
            run_a, run_b = (run_a + va, run_b + vb) if cumulative else (va, vb)
            diffs.append(run_b - run_a)
        peak = max(diffs, default=0.0)
        if peak >= SMALL:
            first = next(k for k, d in enumerate(diffs) if d >= 0.5 * peak)
            out.append((peak, key, months[first]))
    out.sort(key=lambda r: -r[0])
    return out


def price_of_confidence(scenario: Scenario, det: PlanResult, plan: PlanResult) -> Price:
    """Cost at P against the deterministic plan, and the changes that make the difference."""
    if det.cost is None or plan.cost is None or det.tables is None or plan.tables is None:
        return Price(det.cost.total if det.cost else None, plan.cost.total if plan.cost else None)
    cur = scenario.currency
    by_kind = {k: getattr(plan.cost, k) - getattr(det.cost, k) for k in KINDS}
    months = _months(scenario)
    buys = _lines(det, plan)
    for peak, (line, item), mo in _ahead(det.tables.production, plan.tables.production,
                                         ("line", "item"), "units", months, cumulative=True)[:2]:
        buys.append(f"up to {peak:,.0f} {item} made ahead of the deterministic plan on {line} "
                    f"(from {mo})")
    buys += _purchases(det, plan)
    for peak, (site, item), mo in _ahead(det.tables.stores, plan.tables.stores, ("site", "item"),
                                         "closing", months, cumulative=False)[:2]:
        buys.append(f"up to {peak:,.0f} {item} buffered at {site} from {mo}")
    for peak, (cust, item), mo in _ahead(det.tables.stockpiles, plan.tables.stockpiles,
                                         ("customer", "item"), "closing", months,
                                         cumulative=False)[:2]:
        buys.append(f"up to {peak:,.0f} {item} more in {cust}'s stockpile from {mo}")
    diff = plan.cost.total - det.cost.total
    text = (f"{money_text(diff, cur)}: " + "; ".join(buys[:4])) if buys else \
        f"{money_text(diff, cur)}: the same plan as the deterministic one"
    return Price(det.cost.total, plan.cost.total, by_kind, tuple(buys), text)
