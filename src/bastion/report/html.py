"""The HTML report: one self-contained page (plotly.js inlined once, no network fetches)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2

from bastion import __version__
from bastion.report import charts as ch
from bastion.report.answer import answers
from bastion.report.content import derived_tables, headline, missing_notes
from bastion.report.fmt import cell, currency, money, num, pct, section, units


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


# Column kinds: how each cell is written. "t" text, "u" units, "m" money, "p" probability,
# "n" number (2 decimals), "b" yes/no.
_TABLES: tuple[tuple[str, str, tuple[tuple[str, str, str], ...], str], ...] = (
    ("targets", "Targets", (
        ("customer", "customer", "t"), ("item", "item", "t"), ("by", "by", "t"), ("units", "units", "u"),
        ("planned_units", "planned units", "u"), ("met", "met in plan", "b"), ("met_month", "met in", "t"),
        ("probability", "P(met)", "p"), ("stderr", "± stderr", "p1"), ("p10_units", "P10 units", "u"),
        ("p50_units", "P50 units", "u"), ("p90_units", "P90 units", "u")), "No targets in this run."),
    ("lines", "Production lines", (
        ("line", "line", "t"), ("site", "site", "t"), ("built", "built", "b"), ("optional", "optional", "b"),
        ("capex_month", "capex committed", "t"), ("online", "online", "t")), "No lines in this run."),
    ("cost_breakdown", "Cost breakdown", (
        ("component", "component", "t"), ("plan", "plan (first-unit cost)", "m"),
        ("simulated_mean", "simulated mean", "m"), ("learning_adjusted", "learning-adjusted", "m")),
     "No cost figures in this run."),
    ("resilience_nodes", "Resilience: nodes and mitigations (most exposed first)", (
        ("node", "node", "t"), ("kind", "kind", "t"), ("tts_months", "TTS (months)", "tts"),
        ("ttr_months", "TTR (months)", "n"), ("lost_units", "units lost", "u"),
        ("risk_exposure_index", "exposure index", "n"), ("mitigation", "mitigation", "t")),
     "No resilience analysis in this run."),
    ("inputs", "Inputs of this run", (("input", "input", "t"), ("value", "value", "t")),
     "No inputs recorded."),
)


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


def html_tables(run: dict[str, Any], derived: dict[str, list[dict[str, Any]]]) -> list[HtmlTable]:
    """The tables shown under the charts, cells formatted."""
    cur = currency(run)
    out = []
    for tid, title, cols, empty in _TABLES:
        body = [{"cells": [_format(r.get(k), kind, cur) for k, _, kind in cols],
                 "flag": r.get("met") is False} for r in derived.get(tid, [])]
        out.append(HtmlTable(tid, title, [h for _, h, _ in cols], body, empty))
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

    out.append(group("production", "Production", [
        (ch.production_ramp(run, tables), "the production ramp needs the plan's production table")]))
    out.append(group("programme", "Programme", [
        (ch.first_output_curve(run), "the first-output curve needs the simulation or the schedule's risk"),
        (ch.gantt(run), "the Gantt needs the programme schedule")]))
    out.append(group("exposure", "Supplier exposure", [
        (ch.exposure_scatter(run), "TTS against TTR needs the resilience analysis"),
        (ch.exposure_bars(run), "the exposure index needs the resilience analysis")]))
    out.append(group("cost", "Cost", [
        (ch.cash_by_year(run), "cash by year needs the economics"),
        (ch.unit_cost(run), "the learning curve needs the economics")]))
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
        notes=missing_notes(run),
        sections=sections(run, tables),
        tables=html_tables(run, derived),
        plotly_js=_plotly_js(),
    )
    return page
