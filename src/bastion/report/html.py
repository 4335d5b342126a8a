"""The HTML report: one self-contained page (plotly.js inlined once, no network fetches)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2

from bastion import __version__
from bastion.report import charts as ch
from bastion.report import charts_supply as cs
from bastion.report.answer import answers
from bastion.report.content import HEADLINE_NOTE, confidence_rows, derived_tables, headline, missing_notes
from bastion.report.fmt import cell, currency, money, num, pct, section, units
from bastion.report.losses import MEASURES, OUTAGE_MEANING, weight_text
from bastion.report.names import Names, names


@dataclass(frozen=True)
class Section:
    """A titled group of charts, with notes for the charts left out."""

    id: str
    title: str
    charts: list[ch.Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HtmlTable:
    """A table as the page shows it: formatted cells, `numeric` for right alignment."""

    id: str
    title: str
    headers: list[str]
    rows: list[dict[str, Any]]
    empty: str
    note: str = ""


# Column kinds: how each cell is written. "t" text, "u" units, "m" money, "p" probability,
# "n" number (2 decimals), "b" yes/no. "{cur}" in a header is the run's currency.
_TABLES: tuple[tuple[str, str, tuple[tuple[str, str, str], ...], str], ...] = (
    ("targets", "Targets: met in the plan, and P(met) in the simulated futures", (
        ("customer_name", "customer", "t"), ("item_name", "item", "t"), ("by", "by (month)", "t"),
        ("units", "target (units)", "u"), ("planned_units", "in the plan (units)", "u"),
        ("met", "met in plan", "b"), ("probability", "P(met)", "p"), ("stderr", "± std. error", "p1"),
        ("met_month", "plan reaches it in", "t"), ("p10_units", "P10 units (1 future in 10 has less)", "u"),
        ("p50_units", "P50 units (median)", "u"), ("p90_units", "P90 units (9 in 10 have less)", "u"),
        ("codes", "codes (customer / item)", "t")), "No targets in this run."),
    ("lines", "Production lines", (
        ("line", "line", "t"), ("site_name", "site", "t"), ("built", "built", "b"),
        ("optional", "optional", "b"), ("capex_month", "capex paid (month)", "t"),
        ("online", "online (month)", "t")), "No lines in this run."),
    ("cost_breakdown", "Cost breakdown ({cur})", (
        ("component", "component", "t"), ("plan", "plan at first-unit cost ({cur})", "m"),
        ("simulated_mean", "simulated mean ({cur})", "m"),
        ("learning_adjusted", "after the learning curve ({cur})", "m")),
     "No cost figures in this run."),
    ("resilience_nodes", "Resilience: nodes and mitigations (most exposed first)", (
        ("node_name", "node", "t"), ("kind", "kind", "t"),
        ("ttr_months", "TTR: time to recover (months)", "n"),
        ("tts_months", "TTS over the horizon (months)", "tts"),
        ("lost_text", "lost over the horizon, per item (units)", "t"),
        ("tts_window_months", "TTS in the outage window (months)", "tts"),
        ("lost_in_window_text", "lost in the outage window, per item (units)", "t"),
        ("lost_weighted", "loss over the horizon, weighted ({weight})", "u"),
        ("risk_exposure_index", "exposure index (weighted loss / the worst node's)", "n"),
        ("mitigation", "mitigation", "t"), ("node", "code", "t")),
     "No resilience analysis in this run."),
    ("inputs", "Inputs of this run", (("input", "input", "t"), ("value", "value", "t")),
     "No inputs recorded."),
)

TABLE_NOTES = {
    "resilience_nodes": "A node is exposed when its time to survive (how long stock on hand and in "
                        "transit and other sources keep supply going without it) is shorter than its "
                        "time to recover: its failure then loses units. \"unbounded\": its loss never "
                        "stops supply. " + MEASURES + " " + OUTAGE_MEANING,
    "targets": "P(met) is the share of simulated futures in which the stockpile reaches the target by "
               "its month; P10/P50/P90 are the stockpile at that month in the futures ranked low to high.",
}


def _format(value: Any, kind: str, cur: str) -> tuple[str, bool]:
    if value is None:
        return ("unbounded" if kind == "tts" else "", False)
    if kind == "b":
        return ("yes" if value else "no", False)
    if num(value) is None:
        return (str(cell(value)), False)
    if kind == "u":
        return (units(value), True)
    if kind == "m":
        return (money(value, cur), True)
    if kind in ("p", "p1"):
        return (pct(value, 1 if kind == "p1" else 0), True)
    if kind in ("n", "tts"):
        return (f"{float(value):,.2f}", True)
    return (str(value), False)


def _named(r: dict[str, Any], nm: Names) -> dict[str, Any]:
    """The row with names beside its codes."""
    out = dict(r)
    if "customer" in r:
        out["customer_name"] = nm.name("customers", r["customer"])
    if "item" in r:
        out["item_name"] = nm.name("items", r["item"])
    if "customer" in r and "item" in r:
        out["codes"] = f"{r['customer']} / {r['item']}"
    if "site" in r:
        out["site_name"] = nm.both("sites", r["site"])
    if "node" in r:
        out["node_name"] = nm.node(r["node"])
    return out


def html_tables(run: dict[str, Any], derived: dict[str, list[dict[str, Any]]]) -> list[HtmlTable]:
    """The tables shown under the charts, cells formatted, names beside codes."""
    cur = currency(run)
    nm = names(run)
    weight = weight_text((section(run, "resilience") or {}).get("loss_weight"))
    out = []
    for tid, title, cols, empty in _TABLES:
        body = [{"cells": [_format(r.get(k), kind, cur) for k, _, kind in cols],
                 "flag": r.get("met") is False} for r in (_named(r, nm) for r in derived.get(tid, []))]
        out.append(HtmlTable(tid, title.format(cur=cur), [h.format(cur=cur, weight=weight) for _, h, _ in cols],
                             body, empty, TABLE_NOTES.get(tid, "")))
    return out


def sections(run: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> list[Section]:
    """The chart sections, each chart drawn where the run has its data, else a note."""
    sim = section(run, "simulate")
    fans = [ch.stockpile_fan(run, f, tables, i)
            for i, f in enumerate((sim or {}).get("fan_charts") or []) if isinstance(f, dict)]
    out = [Section("stockpiles", "Stockpiles against targets", fans,
                   [] if fans else ["Left out: the stockpile fan charts need the simulation."])]

    def group(sid: str, title: str, made: list[tuple[ch.Chart | None, str]]) -> Section:
        return Section(sid, title, [c for c, _ in made if c is not None],
                       [f"Left out: {why}." for c, why in made if c is None])

    out.append(group("production", "Production and who gets it", [
        (ch.production_ramp(run, tables), "the production ramp needs the plan's production table"),
        (cs.deliveries_by_customer(run, tables), "deliveries by customer need the plan's deliveries table")]))
    out.append(group("supply", "Purchases and stock", [
        (cs.supplier_load(run, tables), "supplier load needs the plan's purchases and its suppliers' "
                                         "capacities"),
        (cs.stock_cover(run, tables), "stock cover needs the plan's stockpiles with consumption")]))
    out.append(group("programme", "Programme", [
        (ch.first_output_curve(run), "the first-output curve needs the simulation or the schedule's risk"),
        (ch.gantt(run), "the Gantt needs the programme schedule")]))
    out.append(group("exposure", "Supplier exposure", [
        (ch.exposure_scatter(run), "TTS against TTR needs the resilience analysis"),
        (ch.exposure_bars(run), "the exposure index needs the resilience analysis")]))
    price = ch.price_of_confidence(run)
    if price is not None:  # only a run planned at a confidence has one
        out.append(Section("confidence", "The price of confidence", [price], _short_of_confidence(run)))
    out.append(group("cost", "Cost", [
        (ch.cash_by_year(run), "cash by year needs the economics"),
        (ch.unit_cost(run), "the learning curve needs the economics")]))
    return out


def _short_of_confidence(run: dict[str, Any]) -> list[str]:
    """One note per target short of its confidence: its best probability and why."""
    out = []
    for r in confidence_rows(run):
        if r["reached"] is False:
            p = num(r["probability"])
            got = "" if p is None else f" ({pct(p, 1)})"
            out.append(f"Short of {pct(num(r['requested']) or 0.0, 0)}: {r['customer']} {r['item']} by "
                       f"{r['by']}{got}: {r['why_short'] or 'no reason recorded'}")
    return out


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("bastion.report", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def _meta(run: dict[str, Any]) -> str:
    parts = [f"file {run.get('scenario_file', '?')}"]
    if isinstance(run.get("scenario_hash"), str):
        parts.append(f"sha256 {run['scenario_hash'][:12]}")
    for k in ("seed", "paths", "status", "run_id"):
        if k in run:
            parts.append(f"{k} {run[k]}")
    return " · ".join(parts)


def render_html(run: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> str:
    """The report page for one run dict (as `Run.to_json()` gives it) and the plan's tidy tables."""
    derived = derived_tables(run)
    page = _environment().get_template("report.html.j2").render(
        marking=str(run.get("classification") or "UNCLASSIFIED"),
        scenario=str(run.get("scenario") or "scenario"),
        meta=_meta(run),
        version=__version__,
        answers=answers(run),
        headline=headline(run),
        headline_note=HEADLINE_NOTE if section(run, "plan") and section(run, "simulate") else "",
        notes=missing_notes(run),
        sections=sections(run, tables),
        tables=html_tables(run, derived),
        plotly_js=_plotly_js(),
    )
    return page
