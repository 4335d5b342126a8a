"""The study report's charts: responses to the varied values, heat maps, the tornado, the price
of confidence.

Each is a `bastion.report.charts.Chart` (same layout, fonts and offline embedding as
the run report), with a one-line reading computed from the data.
"""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go

from bastion.report.charts import PALETTE, Chart, _slug, chart
from bastion.report.fmt import money, pct
from bastion.study.paths import show_value
from bastion.study.result import ANSWERED, metrics, price, target_label, targets_of, validated


def _x(value: Any) -> Any:
    return show_value(value) if isinstance(value, list) else value


def _answered(variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in variants if v["status"] in ANSWERED and v["kind"] in ("grid", "sample")]


def response_charts(study: dict[str, Any]) -> list[Chart]:
    """P(met) of each target and the plan's cost against each varied value (lines with error
    bars when one value varies; heat maps when two vary on a grid; points otherwise); with
    confidence levels, one set of charts per level."""
    variants = _answered(study["variants"])
    if not variants:
        return []
    levels = sorted({v.get("confidence") for v in variants}, key=lambda p: -1.0 if p is None else float(p))
    if len(levels) == 1 and levels[0] is None:
        return _responses(study, variants, "", "")
    out: list[Chart] = []
    for level in levels:
        at = [v for v in variants if v.get("confidence") == level]
        name = "deterministic plan" if level is None else f"confidence {_level(float(level))}"
        out += _responses(study, at, f" (at {name})", f"-{_slug(name)}")
    return out


def _responses(study: dict[str, Any], variants: list[dict[str, Any]], suffix: str, tag: str) -> list[Chart]:
    paths = list(variants[0]["changes"])
    cur = str(study.get("currency") or "")
    keys = targets_of(variants)
    if study["mode"] == "grid" and len(paths) == 2:
        return _heat_maps(variants, paths, keys, cur, suffix, tag)
    out: list[Chart] = []
    lines = study["mode"] == "grid" and len(paths) == 1
    for i, path in enumerate(paths):
        ordered = sorted(variants, key=lambda v: (str(type(v["changes"][path])), v["changes"][path]))
        xs = [_x(v["changes"][path]) for v in ordered]
        ms = [metrics(v) for v in ordered]
        fig = go.Figure()
        readings = []
        for j, key in enumerate(keys):
            ps = [m["probability"].get(key, (None, None)) for m in ms]
            fig.add_trace(go.Scatter(
                x=xs, y=[None if p is None else 100 * p for p, _ in ps], mode="lines+markers" if lines else "markers",
                name=target_label(key), line={"color": PALETTE[j % len(PALETTE)]},
                error_y={"type": "data", "array": [100 * (se or 0.0) for _, se in ps], "visible": True}))
            known = [(x, p) for x, (p, _) in zip(xs, ps, strict=True) if p is not None]
            if known:
                lo, hi = min(known, key=lambda t: t[1]), max(known, key=lambda t: t[1])
                readings.append(f"{target_label(key)}: {pct(lo[1])} at {show_value(lo[0])} to "
                                f"{pct(hi[1])} at {show_value(hi[0])}")
        out.append(chart(f"chart-response-p-{i}-{_slug(path)}{tag}", f"P(target met) against {path}{suffix}", fig,
                          "; ".join(readings) + "." if readings else "No target in these variants.",
                          x=path, y="P(met) (%), ± 1 standard error"))
        costs = [m["cost"] for m in ms]
        fig = go.Figure(go.Scatter(x=xs, y=costs, mode="lines+markers" if lines else "markers",
                                   name="plan cost", line={"color": PALETTE[0]}))
        known_c = [(x, c) for x, c in zip(xs, costs, strict=True) if c is not None]
        reading = "No plan cost in these variants."
        if known_c:
            lo_c, hi_c = min(known_c, key=lambda t: t[1]), max(known_c, key=lambda t: t[1])
            reading = (f"The plan costs {money(lo_c[1], cur)} at {show_value(lo_c[0])} and "
                       f"{money(hi_c[1], cur)} at {show_value(hi_c[0])}.")
        out.append(chart(f"chart-response-cost-{i}-{_slug(path)}{tag}", f"Plan cost against {path}{suffix}", fig,
                         reading,
                          x=path, y=f"plan cost ({cur})"))
    return out


def _heat_maps(variants: list[dict[str, Any]], paths: list[str], keys: list[tuple[str, str, str]],
               cur: str, suffix: str = "", tag: str = "") -> list[Chart]:
    px, py = paths
    xs = sorted({_x(v["changes"][px]) for v in variants}, key=lambda t: (str(type(t)), t))
    ys = sorted({_x(v["changes"][py]) for v in variants}, key=lambda t: (str(type(t)), t))
    cell = {(_x(v["changes"][px]), _x(v["changes"][py])): metrics(v) for v in variants}
    out = []
    for j, key in enumerate([*keys, None]):
        z, text = [], []
        for y in ys:
            zrow: list[float | None] = []
            trow: list[str] = []
            for x in xs:
                m = cell.get((x, y))
                if m is None:
                    zrow.append(None)
                    trow.append("")
                elif key is None:
                    zrow.append(m["cost"])
                    trow.append(money(m["cost"], cur))
                else:
                    p, se = m["probability"].get(key, (None, None))
                    zrow.append(None if p is None else 100 * p)
                    trow.append("" if p is None else f"{pct(p)} ± {pct(se, 1)}")
            z.append(zrow)
            text.append(trow)
        fig = go.Figure(go.Heatmap(x=[show_value(x) for x in xs], y=[show_value(y) for y in ys], z=z, text=text,
                                   texttemplate="%{text}", colorscale="Blues" if key is None else "RdYlGn",
                                   zmin=None if key is None else 0, zmax=None if key is None else 100,
                                   colorbar={"title": f"cost ({cur})" if key is None else "P(met) %"}))
        fig.update_xaxes(type="category")
        fig.update_yaxes(type="category")
        flat = [(x, y, v) for y, r in zip(ys, z, strict=True) for x, v in zip(xs, r, strict=True) if v is not None]
        if key is None:
            title = "Plan cost"
            best = min(flat, key=lambda t: t[2]) if flat else None
            reading = (f"Cheapest plan: {money(best[2], cur)} at {px}={show_value(best[0])}, "
                       f"{py}={show_value(best[1])}." if best else "No plan cost in these variants.")
        else:
            title = f"P(met): {target_label(key)}"
            best = max(flat, key=lambda t: t[2]) if flat else None
            reading = (f"Highest: {best[2]:.0f}% at {px}={show_value(best[0])}, {py}={show_value(best[1])}."
                       if best else "No simulated variant.")
        out.append(chart(f"chart-heat-{j}{tag}", f"{title} over {px} and {py}{suffix}", fig, reading, x=px, y=py))
    return out


def tornado_charts(tornado: dict[str, Any] | None, cur: str, top: int = 15) -> list[Chart]:
    """One tornado per target (P(met) at -PCT and +PCT about the base) and one for the plan cost."""
    if not tornado:
        return []
    pct_moved = tornado["pct"]
    out = []
    specs: list[tuple[str, list[dict[str, Any]], Any, bool]] = [
        (f"P(met): {t['customer']} {t['item']} {t['by']}", t["ranking"], t.get("base_probability"), True)
        for t in tornado["targets"]]
    specs.append(("Plan cost", tornado["cost"], tornado.get("base_cost"), False))
    for i, (title, ranking, base, is_p) in enumerate(specs):
        rows = [r for r in ranking[:top] if r["low"] is not None and r["high"] is not None][::-1]
        if base is None or not rows:
            continue
        scale = 100.0 if is_p else 1.0
        names = [f"{r['parameter']}" for r in rows]
        fig = go.Figure()
        for label, key, color in ((f"-{pct_moved:g}%", "low", PALETTE[1]), (f"+{pct_moved:g}%", "high", PALETTE[0])):
            deltas = [scale * (float(r[key]) - float(base)) for r in rows]
            fig.add_trace(go.Bar(y=names, x=deltas, base=scale * float(base), orientation="h", name=label,
                                 marker={"color": color}))
        fig.update_layout(barmode="overlay")
        first = ranking[0]
        swing = pct(first["swing"]) if is_p else money(first["swing"], cur)
        reading = (f"{first['parameter']} ({first['kind']}) moves it most: a swing of {swing} between "
                   f"-{pct_moved:g}% and +{pct_moved:g}%.")
        out.append(chart(f"chart-tornado-{i}", f"Tornado: {title}", fig, reading,
                          x="P(met) (%)" if is_p else f"plan cost ({cur})", y="parameter moved",
                          height=max(320, 60 + 28 * len(rows))))
    return out


#: At most this many price-of-confidence charts (one per set of changes); the table has every variant.
MAX_PRICE_CHARTS = 12


def _level(p: float) -> str:
    return f"{100 * p:g}%"


def price_charts(study: dict[str, Any]) -> list[Chart]:
    """The price of confidence: the plan's cost against each target's validated P(met), one line
    per target through the deterministic plan and the plan at each confidence level (one chart
    per set of changes), with a reading that says what each step costs and buys."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for v in study["variants"]:
        if v["status"] in ANSWERED and v.get("confidence") is not None and v.get("confidence_plan"):
            groups.setdefault(json.dumps(v["changes"], sort_keys=True), []).append(v)
    cur = str(study.get("currency") or "")
    out: list[Chart] = []
    for i, members in enumerate(list(groups.values())[:MAX_PRICE_CHARTS]):
        members.sort(key=lambda v: float(v["confidence"]))
        out.append(_price_chart(i, members, cur))
    return out


def _price_chart(index: int, members: list[dict[str, Any]], cur: str) -> Chart:
    keys = targets_of(members)
    first = members[0]
    det_cost = price(first).get("deterministic_cost")
    det_p = {k: t.get("deterministic_probability") for k, t in validated(first).items()}
    names = ["deterministic", *(f"P = {_level(float(v['confidence']))}" for v in members)]
    costs = [det_cost, *(price(v).get("cost") for v in members)]
    fig = go.Figure()
    for j, key in enumerate(keys):
        vals = [validated(v).get(key, {}) for v in members]
        xs = [det_p.get(key), *(t.get("probability") for t in vals)]
        errors = [0.0, *(100 * float(t.get("stderr") or 0.0) for t in vals)]
        fig.add_trace(go.Scatter(
            x=[None if x is None else 100 * float(x) for x in xs], y=costs, mode="lines+markers+text",
            text=names, textposition="top left", name=target_label(key),
            line={"color": PALETTE[j % len(PALETTE)]},
            error_x={"type": "data", "array": errors, "visible": True}))
    for v in members:
        fig.add_vline(x=100 * float(v["confidence"]), line={"dash": "dot", "color": "#888", "width": 1})
    changes = ", ".join(f"{k}={show_value(x)}" for k, x in first["changes"].items())
    title = "Price of confidence" + (f" ({changes})" if changes else "")
    return chart(f"chart-price-{index}", title, fig, _price_reading(members, keys, det_cost, det_p, cur),
                 x="validated P(met) (%), ± 1 standard error; dotted: the levels asked", y=f"plan cost ({cur})")


def _price_reading(members: list[dict[str, Any]], keys: list[tuple[str, str, str]], det_cost: Any,
                   det_p: dict[tuple[str, str, str], Any], cur: str) -> str:
    """"Deterministic plan: .... At 25%: .... At 90%: ...." with each step's cost and what it buys."""

    def probs(per: dict[tuple[str, str, str], Any]) -> str:
        return ", ".join(f"{target_label(k)} {pct(per.get(k), 1)}" for k in keys)

    parts = [f"Deterministic plan: {money(det_cost, cur)}, P(met) {probs(det_p)}"]
    prev_cost, prev_name = det_cost, "the deterministic plan"
    for v in members:
        pr, val = price(v), validated(v)
        p = {k: t.get("probability") for k, t in val.items()}
        missed = [target_label(k) for k in keys if val.get(k, {}).get("reached") is False]
        step = None if pr.get("cost") is None or prev_cost is None else float(pr["cost"]) - float(prev_cost)
        sign = "+" if step is not None and step >= 0 else "-"
        step_text = "n/a" if step is None else f"{sign}{money(abs(step), cur)}"
        text = (f"At {_level(float(v['confidence']))}: {money(pr.get('cost'), cur)} ({step_text} over "
                f"{prev_name}), validated {probs(p)}")
        if missed:
            text += f" (not reached: {', '.join(missed)})"
        if pr.get("text"):
            text += f"; against the deterministic plan {pr['text']}"
        parts.append(text)
        prev_cost, prev_name = pr.get("cost"), _level(float(v["confidence"]))
    return ". ".join(parts) + "."
