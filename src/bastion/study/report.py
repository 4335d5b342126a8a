"""The study's files under `--out`: study.json, variants.csv, study.xlsx and study.html.

The HTML page is offline (plotly.js inlined once) and takes its style, marking
banners and chart embedding from the run report (`bastion/report/templates`).
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from typing import TYPE_CHECKING, Any

import jinja2

from bastion import __version__
from bastion.jsonfmt import quantity
from bastion.report.fmt import money, pct, units
from bastion.study.charts import price_charts, response_charts, tornado_charts
from bastion.study.paths import show_value
from bastion.study.result import ANSWERED, price, table_rows, validated

if TYPE_CHECKING:
    from bastion.report.html import Section
    from bastion.study.result import Study


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("bastion.study", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@cache
def _run_report_style() -> str:
    """The run report's <style> block, so both pages look and print alike."""
    source = jinja2.PackageLoader("bastion.report", "templates").get_source(
        jinja2.Environment(), "report.html.j2")[0]
    match = re.search(r"<style>.*?</style>", source, re.S)
    return match.group(0) if match else ""


def _cell(column: str, value: Any, cur: str) -> tuple[str, bool]:
    """A table cell as the page shows it, and whether it is a number (right-aligned)."""
    if value is None:
        return ("", False)
    if isinstance(value, bool):
        return ("yes" if value else "no", False)
    if not isinstance(value, int | float):
        return (show_value(value), False)
    if column in ("cost", "deterministic cost", "price of confidence"):
        return (money(value, cur), True)
    if column.endswith(("P(met)", "stderr")):
        return (pct(value, 1), True)
    if column.endswith(": planned units"):
        return (units(value), True)
    return (show_value(quantity(float(value))) if isinstance(value, float) else str(value), True)


def _headline(data: dict[str, Any]) -> list[dict[str, str]]:
    variants = data["variants"]
    answered = [v for v in variants if v["status"] in ANSWERED]
    bad = len(variants) - len(answered)
    cur = str(data.get("currency") or "")
    out = [{"label": "Variants", "value": f"{len(answered)} of {len(variants)} answered",
            "detail": f"{data['mode']}, {data['paths']:,} paths each, seed {data['seed']}",
            "tone": "bad" if bad else "good"}]
    costs = [(v["plan"]["cost"]["total"], v["id"]) for v in answered if (v.get("plan") or {}).get("cost")]
    if costs:
        lo, hi = min(costs), max(costs)
        out.append({"label": "Plan cost", "value": f"{money(lo[0], cur)} to {money(hi[0], cur)}",
                    "detail": f"lowest {lo[1]}, highest {hi[1]}", "tone": ""})
    probs = [(t["probability"], v["id"], f"{t['customer']} {t['item']} {t['by']}")
             for v in answered for t in ((v.get("simulate") or {}).get("targets") or [])]
    if probs:
        worst = min(probs)
        out.append({"label": "Lowest P(target met)", "value": pct(worst[0]), "detail": f"{worst[2]} in {worst[1]}",
                    "tone": "bad" if worst[0] < 0.5 else "warn" if worst[0] < 0.9 else "good"})
    prices = [(float(d), v["id"], float(v["confidence"])) for v in answered
              if (d := price(v).get("difference")) is not None and v.get("confidence") is not None]
    if prices:
        top = max(prices)
        missed = sum(1 for v in answered for t in validated(v).values() if t.get("reached") is False)
        out.append({"label": "Price of confidence", "value": f"up to {money(top[0], cur)}",
                    "detail": f"over the deterministic plan, at {100 * top[2]:g}% in {top[1]}"
                              + (f"; {missed} target level{'s' if missed != 1 else ''} not reached" if missed else ""),
                    "tone": "warn" if missed else ""})
    return out


def render_study_html(data: dict[str, Any]) -> str:
    """The study report page for a study JSON object (`Study.to_json()`)."""
    from bastion.report.html import Section, _plotly_js

    cur = str(data.get("currency") or "")
    sections: list[Section] = []
    responses = response_charts(data)
    if data["mode"] in ("grid", "sample"):
        sections.append(Section("responses", "Responses to the varied inputs", responses,
                                [] if responses else ["Left out: no variant gave an answer."]))
    if data["spec"].get("confidence"):
        prices = price_charts(data)
        sections.append(Section("price", "The price of confidence", prices,
                                [] if prices else ["Left out: no variant planned at a confidence gave an answer."]))
    if data.get("tornado") is not None:
        charts = tornado_charts(data["tornado"], cur)
        sections.append(Section("tornado", f"Tornado: each input moved by ±{data['tornado']['pct']:g}%", charts,
                                [] if charts else ["Left out: the base variant gave no answer."]))
    rows = table_rows(data["variants"])
    headers = list(rows[0]) if rows else []
    varied = {path for v in data["variants"] for path in v["changes"]}  # shown in "changes"
    hidden = {"kind", "seed"} | ({"confidence"} if all(r.get("confidence") is None for r in rows) else set())
    shown = [h for h in headers if h not in hidden and h not in varied]
    body = [{"cells": [_cell(h, r.get(h), cur) for h in shown], "flag": r["status"] not in ANSWERED} for r in rows]
    shown = [h.replace("_", " ") if h in ("first_output",) else h for h in shown]
    notes = [f"{v['id']} {v['status']}: {v.get('message')}" for v in data["variants"]
             if v["status"] not in ANSWERED]
    futures = [f"futures {data['spec']['futures']}"] if data["spec"].get("futures") else []
    meta = " · ".join([f"file {data['scenario_file']}", f"sha256 {data['scenario_hash'][:12]}",
                       f"seed {data['seed']}", f"paths {data['paths']}", *futures, f"study {data['study_id']}"])
    return _environment().get_template("study.html.j2").render(
        marking=str(data.get("classification") or "UNCLASSIFIED"), scenario=str(data.get("scenario") or "scenario"),
        meta=meta, version=__version__, headline=_headline(data), notes=notes, sections=sections,
        headers=shown, rows=body, style=_run_report_style(), plotly_js=_plotly_js())


def variants_csv(data: dict[str, Any]) -> str:
    """One row per variant (the study's table), as CSV text."""
    rows = table_rows(data["variants"])
    cols: dict[str, None] = {}
    for r in rows:
        cols.update(dict.fromkeys(r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(cols), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buf.getvalue()


def _tornado_tables(tornado: dict[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    if not tornado:
        return {}
    keep = ("rank", "parameter", "kind", "base_value", "low_value", "high_value", "low", "high", "swing")
    out = {"tornado_cost": [{k: r.get(k) for k in keep} for r in tornado["cost"]]}
    for i, t in enumerate(tornado["targets"], 1):
        out[f"tornado_target_{i}"] = [{"target": f"{t['customer']} {t['item']} {t['by']}",
                                       **{k: r.get(k) for k in (*keep, "planned_low", "planned_high")}}
                                      for r in t["ranking"]]
    return out


def study_xlsx(data: dict[str, Any]) -> bytes:
    """The workbook: inputs, the variants, the tornado's rankings, each sheet in the run report's
    style (marking in row 1 and in every page's print header and footer, headers with units)."""
    from openpyxl import Workbook

    from bastion.report.xlsx import write_table

    inputs = [{"input": k, "value": show_value(data[k])}
              for k in ("study_id", "scenario", "scenario_file", "scenario_hash", "seed", "paths", "mode", "status")]
    inputs += [{"input": k, "value": show_value(v)} for k, v in data["spec"].items() if v not in (None, [], False)]
    tables = {"inputs": inputs, "variants": table_rows(data["variants"]), **_tornado_tables(data.get("tornado"))}
    marking = str(data.get("classification") or "UNCLASSIFIED")
    cur = str(data.get("currency") or "")
    wb = Workbook()
    default = wb.active
    used: set[str] = set()
    for name, records in tables.items():
        flat = [{k: show_value(v) if isinstance(v, list | dict) else v for k, v in r.items()} for r in records]
        write_table(wb, name, flat, marking, cur, used)
    if default is not None:
        wb.remove(default)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def study_files(study: Study) -> dict[str, str | bytes]:
    """The files of `--out`: study.json, variants.csv, study.xlsx and study.html (the CLI writes them
    all together or not at all)."""
    from bastion.cli.common import json_text

    data = study.to_json()
    return {
        "study.json": json_text(data),
        "variants.csv": variants_csv(data),
        "study.xlsx": study_xlsx(data),
        "study.html": render_study_html(data),
    }
