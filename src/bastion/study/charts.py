"""The study report's charts: responses to the varied values, heat maps, the tornado.

Each is a `bastion.report.charts.Chart` (same layout, fonts and offline embedding as
the run report), with a one-line reading computed from the data.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from bastion.report.charts import PALETTE, Chart, _slug, chart
from bastion.report.fmt import money, pct
from bastion.study.paths import show_value
from bastion.study.result import ANSWERED, metrics, target_label, targets_of


def _x(value: Any) -> Any:
    return show_value(value) if isinstance(value, list) else value


def _answered(variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in variants if v["status"] in ANSWERED and v["kind"] in ("grid", "sample")]


def response_charts(study: dict[str, Any]) -> list[Chart]:
    """P(met) of each target and the plan's cost against each varied value (lines with error
    bars when one value varies; heat maps when two vary on a grid; points otherwise)."""
    variants = _answered(study["variants"])
    if not variants:
        return []
    paths = list(variants[0]["changes"])
    cur = str(study.get("currency") or "")
    keys = targets_of(variants)
    if study["mode"] == "grid" and len(paths) == 2:
        return _heat_maps(variants, paths, keys, cur)
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
        out.append(chart(f"chart-response-p-{i}-{_slug(path)}", f"P(target met) against {path}", fig,
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
        out.append(chart(f"chart-response-cost-{i}-{_slug(path)}", f"Plan cost against {path}", fig, reading,
                          x=path, y=f"plan cost ({cur})"))
    return out


def _heat_maps(variants: list[dict[str, Any]], paths: list[str], keys: list[tuple[str, str, str]],
               cur: str) -> list[Chart]:
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
        out.append(chart(f"chart-heat-{j}", f"{title} over {px} and {py}", fig, reading, x=px, y=py))
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
