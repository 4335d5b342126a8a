"""The report's charts: one function per chart, each a plotly figure with a title, axes with units,
and a one-line reading computed from the data. A function returns None when the run lacks its data.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from bastion.programme.analysis import critical_path_text
from bastion.report.content import first_output, node_rows
from bastion.report.fmt import add_months, currency, money, month_date, num, pct, rows, section, units
from bastion.report.losses import OUTAGE_MEANING
from bastion.report.names import names

PALETTE = ("#1f5f8b", "#d9822b", "#2e8540", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#b7950b")
CRITICAL, NORMAL = "#c0392b", "#5d7f9e"
_MONTH = re.compile(r"\d{4}-\d{2}")


@dataclass(frozen=True)
class Chart:
    """One chart: its element id, title, plotly figure as JSON text, and its one-line reading."""

    id: str
    title: str
    figure_json: str
    reading: str


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


TITLE_CHARS = 56  # a chart's title line in a half-width card; longer titles wrap (never clipped)


def title_lines(title: str, width: int = TITLE_CHARS) -> list[str]:
    """The title broken at spaces into lines of at most `width` characters (a longer word alone)."""
    lines: list[str] = []
    for word in title.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def chart(chart_id: str, title: str, fig: go.Figure, reading: str, *, x: str, y: str,
           height: int = 420) -> Chart:
    lines = title_lines(title)
    fig.update_layout(
        title={"text": "<br>".join(lines), "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        template="plotly_white", height=height + 20 * (len(lines) - 1),
        margin={"l": 70, "r": 20, "t": 50 + 20 * (len(lines) - 1), "b": 60},
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
        hovermode="closest",
    )
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=y)
    text = str(pio.to_json(fig, validate=True, pretty=False))
    # Safe inside <script type="application/json">: "<", ">" and "&" only occur within JSON strings.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Chart(chart_id, title, text, reading)


def stockpile_fan(run: dict[str, Any], fan: dict[str, Any], tables: dict[str, list[dict[str, Any]]],
                  index: int = 0) -> Chart:
    """The stockpile's P10-P90 band and median by month, the plan's stockpile, each target as a marker."""
    customer, item = str(fan.get("customer")), str(fan.get("item"))
    nm = names(run)
    cname, iname = nm.name("customers", customer), nm.name("items", item)
    months = list(fan.get("months") or [])
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=months, y=fan.get("p10"), mode="lines", line={"width": 0},
                             name="P10", showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=months, y=fan.get("p90"), mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor="rgba(31,95,139,0.22)", name="P10-P90 of futures"))
    fig.add_trace(go.Scatter(x=months, y=fan.get("p50"), mode="lines", line={"color": PALETTE[0]},
                             name="P50 (median)"))
    plan_pile = [r for r in tables.get("stockpiles", []) if r.get("customer") == customer
                 and r.get("item") == item]
    if plan_pile:
        fig.add_trace(go.Scatter(x=[r.get("month") for r in plan_pile],
                                 y=[r.get("closing") for r in plan_pile], mode="lines",
                                 line={"color": "#444", "dash": "dot", "width": 1.5},
                                 name="plan (deterministic)"))
    sim_targets = [t for t in rows(section(run, "simulate"), "targets")
                   if t.get("customer") == customer and t.get("item") == item]
    if sim_targets:
        fig.add_trace(go.Scatter(
            x=[t.get("by") for t in sim_targets], y=[t.get("units") for t in sim_targets],
            mode="markers+text", name="target", marker={"symbol": "diamond", "size": 13, "color": CRITICAL},
            text=[f"P(met) {pct(t.get('probability'))}" for t in sim_targets], textposition="top left"))
    parts = [f"{units(t.get('units'))} by {t.get('by')} in {pct(t.get('probability'))} of futures"
             for t in sim_targets]
    reading = (f"{cname} reaches " + ", and ".join(parts) + "." if parts
               else f"{cname}'s {iname} stockpile: median {units((fan.get('p50') or [None])[-1])} "
                    f"units at {months[-1] if months else 'the horizon end'}.")
    fig.update_xaxes(type="date")
    return chart(f"chart-fan-{index}-{_slug(customer + '-' + item)}",
                  f"Stockpile of {iname} at {cname} against its targets", fig, reading,
                  x="month", y=f"{iname} in stock ({nm.unit(item)})")


def finished_items(tables: dict[str, list[dict[str, Any]]]) -> set[str]:
    """Items delivered to customers (those in a customer's stockpile): the programme's output."""
    return {str(r.get("item")) for name in ("stockpiles", "deliveries") for r in tables.get(name) or []}


def production_ramp(run: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> Chart | None:
    """Monthly output of finished items (those delivered to customers), stacked by line; items made
    on the lines for other items (sub-assemblies) are drawn apart as dotted lines, not added in."""
    prod = tables.get("production") or []
    if not prod:
        return None
    finished = finished_items(tables)
    by_line: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    inter: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    total: dict[str, float] = defaultdict(float)
    for r in prod:
        m, line, item, u = str(r.get("month")), str(r.get("line")), str(r.get("item")), num(r.get("units")) or 0.0
        if item in finished or not finished:
            by_line[line][m] += u
            total[m] += u
        else:
            inter[item][m] += u
        total.setdefault(m, 0.0)
    months = sorted(total)
    fig = go.Figure()
    for i, (line, series) in enumerate(sorted(by_line.items())):
        fig.add_trace(go.Scatter(x=months, y=[round(series.get(m, 0.0), 3) for m in months], name=line,
                                 mode="lines", stackgroup="one", line={"color": PALETTE[i % len(PALETTE)]}))
    for i, (item, series) in enumerate(sorted(inter.items())):
        fig.add_trace(go.Scatter(x=months, y=[round(series.get(m, 0.0), 3) for m in months],
                                 name=f"{item} (intermediate, not output)", mode="lines",
                                 line={"color": PALETTE[(i + 4) % len(PALETTE)], "dash": "dot", "width": 1.5}))
    fig.update_xaxes(type="date")
    made = sum(total.values())
    if made <= 0:
        reading = "The plan makes no finished items."
    else:
        peak = max(months, key=lambda m: total[m])
        starts = "; ".join(f"{line} from {min(m for m, u in s.items() if u > 0)}"
                           for line, s in sorted(by_line.items()) if any(u > 0 for u in s.values()))
        reading = (f"Output of finished items starts {min(m for m in months if total[m] > 0)} ({starts}); "
                   f"the plan peaks at {units(total[peak])} units/month in {peak} and makes "
                   f"{units(made)} finished units in all.")
    if inter:
        reading += (" Sub-assemblies made on the same lines (" + ", ".join(
            f"{item} {units(sum(s.values()))}" for item, s in sorted(inter.items()))
            + " units) are drawn dotted and not counted as output.")
    return chart("chart-production-ramp", "Output of finished items by line (plan)", fig, reading,
                  x="month", y="finished items made (units/month)")


def first_output_curve(run: dict[str, Any]) -> Chart | None:
    """The probability of first output by each month (an S-curve)."""
    fo, source = first_output(run)
    if fo is None:
        return None
    sim = section(run, "simulate")
    hist = fo.get("histogram") if isinstance(fo.get("histogram"), dict) else None
    fig = go.Figure()
    if hist and sim is not None:
        paths = max(1, int(num(sim.get("paths")) or 1))
        cum, xs, ys = 0, [], []
        for month, n in hist.items():
            if not _MONTH.fullmatch(str(month)):  # "never": paths with no output in the horizon
                continue
            cum += int(n)
            xs.append(month)
            ys.append(round(100 * cum / paths, 3))
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", line={"shape": "hv", "color": PALETTE[0]},
                                 name="P(first output by month)"))
    else:
        pts = [(fo.get(f"p{q}"), q) for q in (10, 50, 90) if fo.get(f"p{q}")]
        fig.add_trace(go.Scatter(x=[p for p, _ in pts], y=[q for _, q in pts], mode="lines+markers",
                                 name="P10 / P50 / P90 (schedule risk)", line={"color": PALETTE[0]}))
    sched = section(run, "schedule")
    start = sched.get("programme_start") if sched is not None else None
    window = ""
    if isinstance(start, str):
        edge = add_months(start, 23)  # the 24th month of the programme: points mean "by the end of"
        fig.add_shape(type="line", x0=edge, x1=edge, yref="paper", y0=0, y1=1,
                      line={"color": CRITICAL, "dash": "dash", "width": 1.5})
        fig.add_annotation(x=edge, y=1, yref="paper", showarrow=False, xanchor="right", yanchor="top",
                           text=f"month 24 of the programme: {pct(fo.get('p_within_24_months'))} ",
                           font={"color": CRITICAL})
        window = f" (by {edge})"
    fig.update_xaxes(type="date")
    fig.update_yaxes(range=[0, 102])
    reading = (f"First output comes by {fo.get('p50') or 'never'} in half of the futures and by "
               f"{fo.get('p90') or 'never'} in 90%; {pct(fo.get('p_within_24_months'))} of futures deliver "
               f"within 24 months of the programme start{window} ({source}).")
    return chart("chart-first-output", "First output: probability by month", fig, reading,
                  x="month of first output", y="probability (% of futures)")


def gantt(run: dict[str, Any]) -> Chart | None:
    """The programme's tasks as bars, the critical path in red, each task's P90 finish as a marker."""
    sched = section(run, "schedule")
    tasks = rows(sched, "tasks")
    if sched is None or not tasks or not isinstance(sched.get("programme_start"), str):
        return None
    start = str(sched["programme_start"])
    tasks = sorted(tasks, key=lambda t: (num(t.get("start_months")) or 0.0, str(t.get("task"))))
    milestones = (sched.get("risk") or {}).get("milestones") or {}
    fig = go.Figure()
    for critical, colour, name in ((True, CRITICAL, "critical path"), (False, NORMAL, "has float")):
        xs: list[str | None] = []
        ys: list[str | None] = []
        for t in tasks:
            if bool(t.get("critical")) == critical:
                xs += [month_date(start, num(t.get("start_months")) or 0.0),
                       month_date(start, num(t.get("finish_months")) or 0.0), None]
                ys += [str(t.get("task")), str(t.get("task")), None]
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": colour, "width": 14},
                                     name=name, hoverinfo="x+y"))
    risky = [(t, milestones[t["task"]]) for t in tasks if isinstance(milestones.get(t.get("task")), dict)]
    if risky:
        fig.add_trace(go.Scatter(
            x=[month_date(start, num(m.get("p90")) or 0.0) for _, m in risky],
            y=[t["task"] for t, _ in risky],
            mode="markers", marker={"symbol": "line-ns-open", "size": 16, "color": "#222"},
            name="P90 finish (with duration risk)",
            text=[f"criticality {pct(m.get('criticality'))}" for _, m in risky]))
    fig.update_yaxes(autorange="reversed", type="category", categoryorder="array",
                     categoryarray=[t.get("task") for t in tasks])
    fig.update_xaxes(type="date")
    span = (sched.get("risk") or {}).get("makespan") or {}
    risk = (f", {span['p50']:.1f} (P50) to {span['p90']:.1f} (P90) months with duration risk"
            if num(span.get("p50")) is not None and num(span.get("p90")) is not None else "")
    steps = sched.get("critical_steps")
    if not isinstance(steps, list):  # an older run: its critical path, one task a step
        steps = [[t] for t in sched.get("critical_path") or []]
    path = critical_path_text([[str(t) for t in s] for s in steps if isinstance(s, list) and s])
    reading = (f"The programme takes {num(sched.get('makespan_months')) or 0:.1f} months as planned{risk}; "
               f"the critical path runs {path or 'nowhere'} (∥: side by side, both critical).")
    return chart("chart-gantt", "Programme schedule (critical path in red)", fig, reading,
                  x="date", y="task", height=max(380, 90 + 28 * len(tasks)))


def exposure_scatter(run: dict[str, Any]) -> Chart | None:
    """Time to survive against time to recover, per node; below the diagonal supply is lost."""
    nodes = node_rows(run)
    if not nodes:
        return None
    finite = [v for n in nodes for v in (num(n["tts_months"]), num(n["ttr_months"])) if v is not None]
    cap = max([*finite, 1.0]) * 1.15 + 1
    nm = names(run)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, cap], y=[0, cap], mode="lines", line={"color": "#999", "dash": "dash"},
                             name="TTS = TTR", hoverinfo="skip"))
    for i, kind in enumerate(sorted({str(n["kind"]) for n in nodes})):
        sel = [n for n in nodes if str(n["kind"]) == kind]
        fig.add_trace(go.Scatter(
            x=[n["ttr_months"] for n in sel],
            y=[cap if n["tts_months"] is None else n["tts_months"] for n in sel],
            mode="markers+text", name=kind,
            marker={"size": 11, "color": PALETTE[i % len(PALETTE)],
                    "symbol": ["triangle-up" if n["tts_months"] is None else "circle" for n in sel],
                    "line": {"width": 1, "color": "#fff"}},
            hovertext=[f"{nm.node(n['node'])}: TTS {'unbounded' if n['tts_months'] is None else n['tts_months']} "
                       f"months, TTR {n['ttr_months']} months, lost over the horizon: {n['lost_text']}"
                       for n in sel],
            text=[""] * len(sel), hoverinfo="text"))
    # every exposed point gets its number (most exposed = 1) on a leader line, staggered where points
    # crowd; the key under the chart names them: legible on screen and printed
    exposed = [n for n in nodes if n["exposed"]]
    crowd: dict[tuple[float, float], int] = defaultdict(int)
    for rank, n in enumerate(exposed, start=1):
        x, y = num(n["ttr_months"]) or 0.0, num(n["tts_months"]) or 0.0
        spot = (round(x / cap * 8), round(y / cap * 8))
        j = crowd[spot]
        crowd[spot] += 1
        fig.add_annotation(x=x, y=y, text=f"<b>{rank}</b>", showarrow=True, arrowhead=0, arrowwidth=1,
                           arrowcolor="#555", ax=8 + 18 * (j // 5), ay=-(16 + 14 * (j % 5)),
                           font={"size": 11, "color": "#1d2733"}, bgcolor="rgba(255,255,255,0.85)")
    fig.update_xaxes(range=[0, cap])
    fig.update_yaxes(range=[0, cap * 1.04])
    worst = exposed[0] if exposed else None
    key = ("Numbers on the chart: " + "; ".join(
        f"{rank} {nm.node(n['node'])} (TTS {n['tts_months']}, TTR {n['ttr_months']} months)"
        for rank, n in enumerate(exposed, start=1)) + ".") if exposed else ""
    reading = (f"{len(exposed)} of {len(nodes)} nodes lose supply if they fail (time to survive shorter "
               f"than time to recover); the worst, {nm.node(worst['node'])}, survives {worst['tts_months']} months "
               f"but takes {worst['ttr_months']} to recover." if worst else
               f"None of the {len(nodes)} nodes loses supply if it fails: each survives longer than it "
               "takes to recover.")
    return chart("chart-exposure-tts-ttr", "Supplier exposure: time to survive against time to recover",
                  fig, f"{reading} {OUTAGE_MEANING} TTS here is over the horizon (what the outage adds to "
                       f"the plan's losses to its end). Triangles at the top: the node's loss never stops "
                       f"supply. {key}".strip(),
                  x="time to recover, TTR (months)", y="time to survive, TTS (months)")


def exposure_bars(run: dict[str, Any]) -> Chart | None:
    """The risk exposure index of every exposed node, largest first."""
    nodes = [n for n in node_rows(run) if (num(n["risk_exposure_index"]) or 0.0) > 0][:20]
    if not node_rows(run):
        return None
    nm = names(run)
    fig = go.Figure(go.Bar(
        x=[n["risk_exposure_index"] for n in nodes], y=[nm.node(n["node"]) for n in nodes], orientation="h",
        marker={"color": [CRITICAL if (num(n["risk_exposure_index"]) or 0) >= 0.5 else PALETTE[1]
                          for n in nodes]},
        text=[n["lost_short"] for n in nodes], textposition="outside", cliponaxis=False,
        hovertext=[f"lost over the horizon: {n['lost_text']}; mitigation: {n['mitigation'] or 'none found'}"
                   for n in nodes], hoverinfo="text", name="exposure index"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 1.4], tickvals=[0, 0.25, 0.5, 0.75, 1])  # room for the text beside the bars
    top = nodes[0] if nodes else None
    weight = nodes[0]["loss_weight"] if nodes else ""
    reading = (f"Most exposed: {nm.node(top['node'])} (index {num(top['risk_exposure_index']) or 0:.2f}; "
               f"lost over the horizon: {top['lost_text']}; in the outage window: "
               f"{top['lost_in_window_text'] or 'not given'}); mitigation: {top['mitigation'] or 'none found'}. "
               f"The index is each node's loss over the horizon, {weight}, over the worst node's."
               if top else "No node's loss costs any units.")
    return chart("chart-exposure-index", "Risk exposure index by node", fig, reading,
                  x="exposure index (worst node = 1)", y="node",
                  height=max(360, 90 + 26 * len(nodes)))


def cash_by_year(run: dict[str, Any]) -> Chart | None:
    """Spend by year, stacked by kind, against the capex budget."""
    eco = section(run, "economics")
    cash = rows(eco, "cash_by_year")
    if not cash:
        return None
    cur = currency(run)
    years = [r.get("year") for r in cash]
    fig = go.Figure()
    for i, k in enumerate(("capex", "fixed", "variable", "purchases", "holding")):
        fig.add_trace(go.Bar(x=years, y=[(num(r.get(k)) or 0.0) / 1e6 for r in cash], name=k,
                             marker={"color": PALETTE[i]}))
    fig.add_trace(go.Scatter(x=years, y=[(num(r.get("capex_budget")) or 0.0) / 1e6 for r in cash],
                             mode="lines+markers", name="capex budget",
                             line={"color": "#111", "dash": "dash", "shape": "hvh"}))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(dtick=1)
    peak = max(cash, key=lambda r: num(r.get("total")) or 0.0)
    over = [str(r.get("year")) for r in cash if r.get("over_budget") is True or (
        "over_budget" not in r and (num(r.get("capex_budget")) or 0) > 0
        and (num(r.get("capex")) or 0) > (num(r.get("capex_budget")) or 0))]
    budget = f"capex is over budget in {', '.join(over)}" if over else "capex stays within budget every year"
    reading = (f"Spending peaks in {peak.get('year')} at {money(peak.get('total'), cur)}; {budget}; "
               f"{money(eco.get('total_cost') if eco else None, cur)} in all.")
    return chart("chart-cash-by-year", "Cash by year against the capex budget", fig, reading,
                  x="year", y=f"spend (million {cur})")


def unit_cost(run: dict[str, Any]) -> Chart | None:
    """Average unit cost by year for each line, down its learning curve."""
    uc = rows(section(run, "economics"), "unit_cost")
    if not uc:
        return None
    cur = currency(run)
    by_line: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in uc:
        by_line[str(r.get("line"))].append(r)
    fig = go.Figure()
    parts = []
    for i, (line, rs) in enumerate(sorted(by_line.items())):
        rs = sorted((r for r in rs if num(r.get("average_unit_cost")) is not None), key=lambda r: r["year"])
        if not rs:
            continue
        fig.add_trace(go.Scatter(x=[r["year"] for r in rs], y=[r["average_unit_cost"] for r in rs],
                                 mode="lines+markers", name=line, line={"color": PALETTE[i % len(PALETTE)]},
                                 text=[f"{units(r.get('units'))} units" for r in rs]))
        a, b = rs[0]["average_unit_cost"], rs[-1]["average_unit_cost"]
        change = f" ({(b - a) / a:+.0%})" if a else ""
        parts.append(f"{line} from {a:,.2f} in {rs[0]['year']} to {b:,.2f} in {rs[-1]['year']}{change}")
    fig.update_xaxes(dtick=1)
    reading = ("Average production cost per unit falls down the learning curve: " + "; ".join(parts) + "."
               if parts else "No line produced.")
    return chart("chart-unit-cost", "Unit cost down the learning curve", fig, reading,
                  x="year", y=f"average unit cost ({cur} per unit)")


def price_of_confidence(run: dict[str, Any]) -> Chart | None:
    """P(met) per target of the deterministic plan and of the plan at a confidence, against the
    confidence asked; the reading is the price of confidence (docs/method-confidence.md)."""
    conf = section(run, "confidence")
    targets = [t for t in rows(conf, "targets") if t.get("requested") is not None]
    if conf is None or not targets:
        return None
    nm = names(run)
    labels = [f"{nm.name('customers', t.get('customer'))} by {t.get('by')}" for t in targets]
    det = [100 * (num(t.get("deterministic_probability")) or 0.0) for t in targets]
    at = [100 * (num((t.get("validated") or {}).get("probability")) or 0.0) for t in targets]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=det, name="deterministic plan", marker={"color": PALETTE[6]}))
    fig.add_trace(go.Bar(x=labels, y=at, name="plan at the confidence", marker={"color": PALETTE[0]}))
    fig.add_trace(go.Scatter(x=labels, y=[100 * (num(t.get("requested")) or 0.0) for t in targets],
                             mode="markers", name="confidence asked",
                             marker={"color": "#111", "symbol": "line-ew-open", "size": 28}))
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, 100])
    raw = conf.get("price")
    price: dict[str, Any] = raw if isinstance(raw, dict) else {}
    reached = sum(1 for t in targets if t.get("reached"))
    text = str(price.get("text") or "no price: the plan at the confidence has no cost")
    reading = f"{reached} of {len(targets)} targets reach their confidence. Price of confidence: {text}."
    return chart("chart-price-of-confidence", "P(met) per target: deterministic plan against the "
                 "plan at the confidence", fig, reading, x="target", y="P(met) (%)")
