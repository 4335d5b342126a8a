"""The report's first page in words: will we meet the targets, how sure are we, why not, what fixes
it, what does it cost. Each answer is a short lead sentence and a few points, with names and units.

Pure functions of the run dict (and its plan's catalogue of names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bastion.report.content import first_output, target_rows
from bastion.report.fmt import currency, money, num, pct, pct_pm, rows, section, units
from bastion.report.losses import losses_text, mitigation_items, up
from bastion.report.names import Names, names

MARGIN = ("The plan is one future in which every lead time, yield and duration takes its expected "
          "value, and it meets a target just in time, with no margin: in the simulated futures any "
          "delay or loss misses it, so a target met in the plan can still be unlikely.")


@dataclass(frozen=True)
class Answer:
    """One question of the first page: its lead sentence, points under it, and a tone."""

    id: str
    question: str
    lead: str
    points: list[str] = field(default_factory=list)
    tone: str = ""


def target_label(t: dict[str, Any], nm: Names) -> str:
    """'Lithuanian armed forces: 36,000 Anti-tank mine by 2032-12'."""
    amount = f"{units(t.get('units'))} " if num(t.get("units")) is not None else ""
    return (f"{nm.name('customers', t.get('customer'))}: {amount}{nm.name('items', t.get('item'))} "
            f"by {t.get('by')}")


def _will_we(run: dict[str, Any], nm: Names, targets: list[dict[str, Any]]) -> Answer:
    plan = section(run, "plan")
    if plan is None:
        sim = [t for t in targets if num(t.get("probability")) is not None]
        lead = (f"No plan in this run; the simulation gives each target's probability "
                f"({len(sim)} targets)." if sim else "No plan and no simulation in this run.")
        return Answer("will", "Will we meet the targets?", lead)
    if plan.get("status") in ("infeasible", "unbounded", "error"):
        return Answer("will", "Will we meet the targets?", "No plan could be found (the solver failed).",
                      tone="bad")
    short = [t for t in targets if t.get("met") is False]
    unmet = num(plan.get("unmet_consumption")) or 0.0
    points = []
    for t in short:
        points.append(f"{target_label(t, nm)}: {units(t.get('planned_units'))} in the plan, "
                      f"{units(t.get('shortfall'))} short.")
    if unmet > 1e-6:
        points.append(f"{units(unmet)} units of customers' consumption cannot be served in the plan.")
    if not targets:
        lead = "The scenario sets no targets." + (" Consumption is short." if unmet > 1e-6 else "")
    elif short:
        lead = f"No: {len(short)} of {len(targets)} targets {'is' if len(short) == 1 else 'are'} short in the plan."
    else:
        lead = f"Yes, in the plan: all {len(targets)} targets are met on time."
        if unmet > 1e-6:
            lead += " But some consumption is not served."
    return Answer("will", "Will we meet the targets?", lead, points,
                  "bad" if short or unmet > 1e-6 else "good")


def _how_sure(run: dict[str, Any], nm: Names, targets: list[dict[str, Any]]) -> Answer:
    sims = [t for t in targets if num(t.get("probability")) is not None]
    fo, source = first_output(run)
    points = []
    for t in sorted(sims, key=lambda t: num(t.get("probability")) or 0.0)[:8]:
        plan = ("met in the plan" if t.get("met") is True else
                "short in the plan" if t.get("met") is False else "no plan")
        p50 = f"; median {units(t.get('p50_units'))}" if num(t.get("p50_units")) is not None else ""
        points.append(f"{target_label(t, nm)}: {plan}, P(met) {pct_pm(t.get('probability'), t.get('stderr'))}"
                      f" of futures{p50}.")
    if fo is not None:
        points.append(f"First output: by {fo.get('p50') or 'never'} in half of the futures (P50), "
                      f"by {fo.get('p90') or 'never'} in 90% (P90); {pct(fo.get('p_within_24_months'))} "
                      f"within 24 months of the programme start ({source}).")
    if not sims:
        return Answer("sure", "How sure are we?",
                      "Not measured: this run has no simulation, so there is no probability of meeting "
                      "the targets." if section(run, "plan") is not None else "Not measured.", points)
    low = [t for t in sims if (num(t.get("probability")) or 0.0) < 0.5]
    met_low = [t for t in low if t.get("met") is True]
    paths = section(run, "simulate") or {}
    lead = (f"{len(sims) - len(low)} of {len(sims)} targets are met in at least half of "
            f"{units(paths.get('paths'))} simulated futures.")
    if met_low:
        one = len(met_low) == 1
        lead += (f" {len(met_low)} target{'' if one else 's'} met in the plan {'is' if one else 'are'} "
                 f"unlikely. {MARGIN}")
    else:
        lead += " " + MARGIN
    tone = "good" if not low else "warn" if len(low) < len(sims) else "bad"
    return Answer("sure", "How sure are we?", lead, points, tone)


_CLAUSES = (
    (re.compile(r"^(?P<line>\S+) capacity binds from (?P<m>\d{4}-\d{2})$"), "line"),
    (re.compile(r"^(?P<sup>\S+) capacity for (?P<item>\S+) binds from (?P<m>\d{4}-\d{2})$"), "supplier"),
    (re.compile(r"^(?P<line>\S+) is not built$"), "not_built"),
    (re.compile(r"^(?P<line>\S+) produces nothing before (?P<m>\d{4}-\d{2})$"), "nothing"),
)


def line_label(code: Any, nm: Names) -> str:
    """'line-1 at Anti-tank mine plant'."""
    site = nm.entry("lines", code).get("site")
    return f"{code} at {nm.name('sites', site)}" if site else str(code)


def why_clauses(text: str, nm: Names) -> list[str]:
    """The limits that bind, from an explanation's sentence, in words with names."""
    body = text.split(": ", 1)[1] if ": " in text else text
    out = []
    for part in body.split("; "):
        for pattern, kind in _CLAUSES:
            m = pattern.match(part.strip())
            if m is None:
                continue
            g = m.groupdict()
            if kind == "line":
                out.append(f"{line_label(g['line'], nm)} runs at full capacity from {g['m']}.")
            elif kind == "supplier":
                out.append(f"{nm.name('suppliers', g['sup'])} delivers all the "
                           f"{nm.name('items', g['item'])} it can from {g['m']}.")
            elif kind == "not_built":
                out.append(f"{line_label(g['line'], nm)} is not built in the plan.")
            else:
                out.append(f"{line_label(g['line'], nm)} makes nothing before {g['m']}.")
            break
    return out


def fix_text(f: dict[str, Any], nm: Names) -> str:
    """One fix in words: '+300 Fuze assembly a month from Fuze works (DE) from 2029-03 (now 1,000)'."""
    change, cur = num(f.get("change")) or 0.0, num(f.get("current")) or 0.0
    kind = f.get("kind")
    if kind == "supplier_capacity":
        item = f.get("item")
        return (f"+{units(change)} {nm.name('items', item)} a month from {nm.name('suppliers', f.get('node'))}"
                f"{_from(f)} (now {units(cur)} a month, then {units(cur + change)})")
    if kind == "line_capacity":
        return (f"+{units(change)} units a month of capacity on {line_label(f.get('node'), nm)}{_from(f)} "
                f"(now {units(cur)} a month, then {units(cur + change)})")
    if kind == "line_online":
        months = int(change)
        return (f"{line_label(f.get('node'), nm)} online in {f.get('from_month')}, {months} "
                f"month{'s' if months != 1 else ''} earlier")
    return str(f.get("text") or "")


def _from(f: dict[str, Any]) -> str:
    return f" from {f['from_month']}" if isinstance(f.get("from_month"), str) else ""


def _explanations(run: dict[str, Any]) -> list[dict[str, Any]]:
    return rows(section(run, "plan"), "explanations")


def _exposed(run: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [n for n in rows(section(run, "resilience"), "nodes") if n.get("exposed")]
    return sorted(nodes, key=lambda n: -(num(n.get("risk_exposure_index")) or 0.0))


def _node_risk(n: dict[str, Any], nm: Names) -> str:
    tts = "at once" if (num(n.get("tts_months")) or 0.0) <= 0 else f"after {n.get('tts_months')} months"
    what = (f"if the risk \"{nm.node(n.get('node'))}\" happens, supply stops" if n.get("kind") == "risk" else
            f"losing {nm.node(n.get('node'))} ({n.get('kind')}) stops supply")
    return (f"{what} {tts} and takes {n.get('ttr_months')} months to recover: "
            f"{losses_text(n.get('lost_by_item'), nm, n.get('lost_units'))} lost over the horizon.")


def _why(run: dict[str, Any], nm: Names, targets: list[dict[str, Any]]) -> Answer:
    points = []
    for e in _explanations(run):
        clauses = why_clauses(str(e.get("text") or ""), nm)
        label = target_label({**e, "units": None}, nm) if e.get("by") else (
            f"{nm.name('customers', e.get('customer'))}'s consumption of {nm.name('items', e.get('item'))}")
        points.append(f"{label}, {units(e.get('shortfall'))} short: "
                      + (" ".join(clauses) if clauses else str(e.get("text"))))
    exposed = _exposed(run)
    for n in exposed[:2]:
        points.append("Risk: " + _node_risk(n, nm)[0].upper() + _node_risk(n, nm)[1:])
    if _explanations(run):
        lead = "The plan runs into these limits before the target's month."
    elif any(t.get("met") is False for t in targets):
        lead = "The plan is short, but the run has no explanation of why."
    elif exposed:
        lead = ("Every target is met in the plan; what makes them uncertain is the variability "
                "simulated (lead times, yields, outages) and the nodes whose loss stops supply.")
    else:
        lead = "Nothing is short in the plan, and no single node's loss stops supply."
    return Answer("why", "Why not?", lead, points, "bad" if _explanations(run) else "")


def _fixes(run: dict[str, Any], nm: Names) -> Answer:
    points = []
    for e in _explanations(run):
        label = target_label({**e, "units": None}, nm) if e.get("by") else (
            f"{nm.name('customers', e.get('customer'))}'s consumption")
        fixes = [fix_text(f, nm) for f in e.get("fixes") or [] if isinstance(f, dict)]
        budget = [c for c in str(e.get("text") or "").split("; ") if c.startswith("building ")]
        if fixes:
            points.append(f"{label}: any one of these meets it: " + "; or ".join(fixes) + "."
                          + (f" Also: {budget[0]}." if budget else ""))
        elif budget:
            points.append(f"{label}: {budget[0]}.")
        else:
            points.append(f"{label}: no change of one supplier's or one line's limit meets it alone; "
                          "it needs several raised together (see the plan's explanation).")
    exposed = _exposed(run)
    for n in exposed[:2]:
        for it in [it for it in mitigation_items(n.get("mitigation"))
                   if (num(it.get("buffer_units")) or 0.0) > 0][:1]:
            against = (f"Against the risk \"{nm.node(n.get('node'))}\"" if n.get("kind") == "risk" else
                       f"Against losing {nm.node(n.get('node'))}")
            points.append(f"{against}: hold {up(it.get('buffer_units'))} "
                          f"{nm.name('items', it.get('item'))} in stock at {nm.name('sites', it.get('site'))} "
                          f"({it.get('buffer_months')} months of use), or add a second source of "
                          f"{up(it.get('second_source_per_month'))} a month.")
    if _explanations(run):
        lead = ("The least change that meets each short target, found by re-solving the plan with that "
                "one limit raised:")
    elif points:
        lead = "Nothing is short in the plan; what would make it surer:"
    elif section(run, "plan") is None:
        lead = "Not known: this run has no plan."
    else:
        lead = "Nothing to fix in the plan."
    return Answer("fix", "What fixes it?", lead, points)


def _cost(run: dict[str, Any]) -> Answer:
    cur = currency(run)
    plan, eco = section(run, "plan"), section(run, "economics")
    pc = (plan.get("cost") if plan is not None else None) or {}
    total = eco.get("total_cost") if eco is not None else pc.get("total")
    if num(total) is None:
        return Answer("cost", "What does it cost?", "Not computed in this run.")
    basis = "after the learning curve, simulated mean" if eco is not None else "in the plan"
    lead = f"{money(total, cur)} over the horizon ({basis})"
    if num(pc.get("capex")) is not None:
        lead += f", of which {money(pc.get('capex'), cur)} capex"
    lead += "."
    points = []
    if num(pc.get("total")) is not None and eco is not None:
        points.append(f"The plan at first-unit cost: {money(pc.get('total'), cur)} (purchases "
                      f"{money(pc.get('purchases'), cur)}, production {money(pc.get('production'), cur)}, "
                      f"fixed {money(pc.get('fixed'), cur)}).")
    j = eco.get("jcl") if eco is not None else None
    if isinstance(j, dict):
        level = pct(j.get("level") or 0.7)
        if j.get("p70_month"):
            points.append(f"{level} joint confidence (every target met by that month, within that cost): "
                          f"{j['p70_month']} at {money(j.get('p70_cost'), cur)}.")
        else:
            points.append(f"No {level} joint confidence point: only {pct(j.get('reached_share'), 1)} of the "
                          "futures meet every target inside the horizon, whatever it costs.")
    return Answer("cost", "What does it cost?", lead, points)


def answers(run: dict[str, Any]) -> list[Answer]:
    """The five answers of the first page, in order."""
    nm = names(run)
    targets = target_rows(run)
    return [_will_we(run, nm, targets), _how_sure(run, nm, targets), _why(run, nm, targets),
            _fixes(run, nm), _cost(run)]
