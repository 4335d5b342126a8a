"""What the report says, as plain data: the headline, the notes on missing engines, derived tables.

Shared by the HTML page and the workbook; pure functions of the run dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bastion.report.fmt import cell, currency, money, num, pct, pct_pm, rows, section
from bastion.report.losses import mitigation_text, node_losses, weight_text
from bastion.report.names import Names, names

ENGINES = ("schedule", "plan", "simulate", "resilience", "economics")

MISSING = {
    "schedule": "No programme schedule in this run (the scenario has no programme): "
                "the Gantt and the schedule-risk figures are left out.",
    "plan": "No plan in this run: production, targets and cost from the plan are left out.",
    "simulate": "No simulation in this run: target probabilities and the stockpile fan charts "
                "are left out.",
    "resilience": "No resilience analysis in this run: supplier exposure is left out.",
    "economics": "No economics in this run: cash by year, unit cost and the JCL are left out.",
}


@dataclass(frozen=True)
class Headline:
    """One figure of the headline box; `tone` is "good", "warn", "bad" or "" (neutral)."""

    label: str
    value: str
    detail: str = ""
    tone: str = ""


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def missing_notes(run: dict[str, Any]) -> list[str]:
    """One line per engine missing from the run."""
    return [MISSING[name] for name in ENGINES if section(run, name) is None]


def _tone(p: float | None) -> str:
    if p is None:
        return ""
    return "good" if p >= 0.9 else "warn" if p >= 0.5 else "bad"


def first_output(run: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The first-output distribution and where it comes from (simulation, else schedule risk)."""
    sim = section(run, "simulate")
    if sim is not None and isinstance(sim.get("first_output"), dict):
        return sim["first_output"], f"simulation{_sample(sim)}"
    sched = section(run, "schedule")
    risk = sched.get("risk") if sched is not None else None
    if isinstance(risk, dict) and isinstance(risk.get("first_output"), dict):
        return risk["first_output"], f"schedule risk{_sample(risk)}"
    return None, ""


def _sample(part: dict[str, Any]) -> str:
    """", 10,000 paths, seed 0": the sample a figure comes from (the run's paths and seed)."""
    paths, seed = num(part.get("paths")), part.get("seed")
    return "" if paths is None else f", {paths:,.0f} paths" + ("" if seed is None else f", seed {seed}")


HEADLINE_NOTE = ("Met in the plan is not the same as likely: the plan meets each target just in time in "
                 "one future where everything takes its expected value, with no margin, so in the "
                 "simulated futures any delay or loss misses it; P(met) is the share of futures that "
                 "meet it.")


def headline(run: dict[str, Any]) -> list[Headline]:
    """The headline box: first output, each target's P(met), cost, capex, the 70% JCL, plan status."""
    cur = currency(run)
    out: list[Headline] = []
    plan, eco = section(run, "plan"), section(run, "economics")
    fo, source = first_output(run)
    if fo is not None:
        p24 = num(fo.get("p_within_24_months"))
        out.append(Headline("First output (P50)", str(fo.get("p50") or "never"),
                            f"P10 {fo.get('p10') or 'never'}, P90 {fo.get('p90') or 'never'} ({source})"))
        out.append(Headline("P(first output within 24 months)", pct_pm(p24, fo.get("stderr")),
                            "of the programme start", _tone(p24)))
    elif plan is not None:
        out.append(Headline("First output (plan)", str(plan.get("first_output") or "none")))
    nm = names(run)
    for t in target_rows(run):
        p = num(t.get("probability"))
        amount = f"{t['units']:,.0f} " if num(t.get("units")) is not None else ""
        label = (f"{nm.name('customers', t.get('customer'))}: {amount}{nm.name('items', t.get('item'))} "
                 f"by {t.get('by')}")
        met = t.get("met")
        in_plan = ("met in plan" + (f" ({t['met_month']})" if t.get("met_month") else "") if met is True
                   else "SHORT in plan" + (f" by {t.get('shortfall', 0):,.0f}" if num(t.get("shortfall"))
                                            else "") if met is False else "not in the plan")
        if p is not None:
            out.append(Headline(label, pct_pm(p, t.get("stderr")),
                                f"P(met) in simulated futures; {in_plan}",
                                "bad" if met is False else _tone(p)))
        else:
            out.append(Headline(label, in_plan, "P(met): not simulated in this run",
                                "good" if met else "bad"))
    total = eco.get("total_cost") if eco is not None else None
    if total is None and plan is not None:
        total = (plan.get("cost") or {}).get("total")
    if total is not None:
        out.append(Headline("Total cost", money(total, cur),
                            "learning-adjusted (economics)" if eco is not None else "plan"))
    capex = (plan.get("cost") or {}).get("capex") if plan is not None else None
    if capex is None and eco is not None:
        capex = sum(num(r.get("capex")) or 0.0 for r in rows(eco, "cash_by_year"))
    if capex is not None:
        out.append(Headline("Capex", money(capex, cur)))
    if eco is not None:
        out.append(_jcl(eco, cur))
    conf = section(run, "confidence")
    price = conf.get("price") if conf is not None else None
    if isinstance(price, dict) and price.get("text"):
        diff = num(price.get("difference"))
        short = any(t.get("reached") is False for t in rows(conf, "targets"))
        out.append(Headline("Price of confidence",
                            "n/a" if diff is None else ("+" if diff >= 0 else "-")
                            + money(abs(diff), cur),
                            str(price["text"]), "warn" if short else ""))
    if plan is not None:
        out.append(_plan_status(plan, nm))
    return out


JCL_LABEL = "70% joint confidence (JCL)"


def _jcl(eco: dict[str, Any], cur: str) -> Headline:
    j = eco.get("jcl")
    if not isinstance(j, dict):
        notes = [str(n) for n in eco.get("notes") or [] if "JCL" in str(n)]
        return Headline(JCL_LABEL, "not computed", notes[0] if notes else "needs simulated paths")
    if j.get("p70_month") is None:  # one decimal, as the first page's answer says it
        return Headline(JCL_LABEL, "not reached",
                        f"{pct(j.get('reached_share'), 1)} of the {num(j.get('paths')) or 0:,.0f} simulated paths "
                        "meet every target within the horizon", "bad")
    return Headline(JCL_LABEL, f"{j['p70_month']} at {money(j.get('p70_cost'), cur)}",
                    f"joint probability {pct(j.get('p70_probability'))} of meeting schedule and cost "
                    f"({num(j.get('paths')) or 0:,.0f} simulated paths)")


def _plan_status(plan: dict[str, Any], nm: Names) -> Headline:
    status = str(plan.get("status", "unknown"))
    short = [t for t in rows(plan, "targets") if t.get("met") is False]
    if status == "infeasible":
        return Headline("Plan", "infeasible", "no plan meets the hard constraints", "bad")
    detail = f"gap {pct(plan.get('gap'), 2)}" if status == "time_limit" else "solver proved optimal"
    if short:
        which = ", ".join(f"{nm.name('customers', t.get('customer'))}: {nm.name('items', t.get('item'))} "
                          f"by {t.get('by')}" for t in short)
        return Headline("Plan", f"{status}: {len(short)} target(s) short", which, "bad")
    if (num(plan.get("unmet_consumption")) or 0.0) > 0:
        return Headline("Plan", f"{status}: consumption short",
                        f"{plan['unmet_consumption']:,.0f} units of consumption unmet", "bad")
    return Headline("Plan", f"{status}: every target met", detail, "good")


def target_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target once: the plan's figures merged with the simulation's probability."""
    plan, sim = section(run, "plan"), section(run, "simulate")
    merged: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
    for t in rows(plan, "targets"):
        key = (t.get("customer"), t.get("item"), t.get("by"))
        merged[key] = {k: t.get(k) for k in ("customer", "item", "by", "units", "planned_units", "met",
                                             "met_month", "shortfall", "priority")}
    for t in rows(sim, "targets"):
        key = (t.get("customer"), t.get("item"), t.get("by"))
        row = merged.setdefault(key, {"customer": key[0], "item": key[1], "by": key[2],
                                      "units": t.get("units")})
        for k in ("probability", "stderr", "p10_units", "p50_units", "p90_units"):
            row[k] = t.get(k)
    order = ("customer", "item", "by", "units", "planned_units", "met", "probability", "stderr", "met_month",
             "shortfall", "priority", "p10_units", "p50_units", "p90_units")
    # P(met) right beside "met in plan", wherever the table is shown
    return [{k: r[k] for k in order if k in r} for r in merged.values()]


def confidence_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target planned to a confidence: the deterministic plan's P(met) and the confidence plan's,
    and for a target short of its confidence why (docs/method-confidence.md, "Not reachable")."""
    out = []
    for t in rows(section(run, "confidence"), "targets"):
        if t.get("requested") is None:
            continue
        val = t.get("validated") or {}
        out.append({"customer": t.get("customer"), "item": t.get("item"), "by": t.get("by"),
                    "units": t.get("units"), "priority": t.get("priority"), "requested": t.get("requested"),
                    "deterministic_probability": t.get("deterministic_probability"),
                    "probability": val.get("probability"), "stderr": val.get("stderr"),
                    "reached": t.get("reached"), "why_short": t.get("binds") or ""})
    return out


def cost_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Cost by component: the plan's (first-unit cost), the simulation's expectation, economics' cash."""
    plan, sim, eco = section(run, "plan"), section(run, "simulate"), section(run, "economics")
    pc = (plan.get("cost") if plan is not None else None) or {}
    sc = (sim.get("expected_cost") if sim is not None else None) or {}
    cash = rows(eco, "cash_by_year")
    eco_of = {"capex": "capex", "purchases": "purchases", "production": "variable", "fixed": "fixed",
              "holding": "holding", "total": "total"}
    out = []
    for comp in ("capex", "purchases", "production", "fixed", "holding", "total"):
        eco_v = sum(num(r.get(eco_of[comp])) or 0.0 for r in cash) if cash else None
        out.append({"component": comp, "plan": pc.get(comp), "simulated_mean": sc.get(comp),
                    "learning_adjusted": eco_v})
    return [r for r in out if any(r[k] is not None for k in ("plan", "simulated_mean", "learning_adjusted"))]


def input_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's inputs: scenario, file, hash, seed, paths, status, versions and stage timings."""
    out: list[dict[str, Any]] = [
        {"input": k, "value": cell(run.get(k))}
        for k in ("scenario", "scenario_file", "scenario_hash", "classification", "seed", "paths", "status")
        if k in run
    ]
    for k in ("run_id", "created", "created_at"):
        if k in run:
            out.append({"input": k, "value": cell(run[k])})
    timings = _mapping(run.get("timings"))
    for stage, secs in timings.items():
        out.append({"input": f"time: {stage} (s)", "value": secs})
    if timings:
        total = sum(num(v) or 0.0 for v in timings.values())
        out.append({"input": "time: total (s)", "value": round(total, 3)})
    versions = _mapping(run.get("versions"))
    for name, version in versions.items():
        out.append({"input": f"version: {name}", "value": version})
    return out


def node_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Resilience nodes, most exposed first: losses per item by name over the horizon and in the
    outage window, the weighted totals with their weight, the mitigation as text."""
    res = section(run, "resilience")
    nm = names(run)
    weight = weight_text((res or {}).get("loss_weight"))
    out = []
    for n in rows(res, "nodes"):
        lost = n.get("lost_weighted", n.get("lost_units"))
        out.append({
            "node": n.get("node"), "kind": n.get("kind"), "ttr_months": n.get("ttr_months"),
            "tts_months": n.get("tts_months"), **node_losses(n, nm),
            "tts_window_months": n.get("tts_window_months"),
            "lost_weighted": lost, "lost_weighted_in_window": n.get("lost_weighted_in_window"),
            "loss_weight": weight,
            "risk_exposure_index": n.get("risk_exposure_index"),
            "exposed": n.get("exposed", (num(lost) or 0.0) > 0),
            "mitigation": mitigation_text(n.get("mitigation"), nm),
        })
    out.sort(key=lambda r: -(num(r["risk_exposure_index"]) or 0.0))
    return out


def fan_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    """The simulation's stockpile fan charts in long form (one row per pile and month)."""
    out = []
    for f in rows(section(run, "simulate"), "fan_charts"):
        months = f.get("months") or []
        for i, m in enumerate(months):
            out.append({"customer": f.get("customer"), "item": f.get("item"), "month": m,
                        **{q: (f.get(q) or [None] * len(months))[i] for q in ("p10", "p50", "p90")}})
    return out


def derived_tables(run: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every table the report shows or exports that comes from the run dict itself."""
    sched, plan, sim = section(run, "schedule"), section(run, "plan"), section(run, "simulate")
    res, eco = section(run, "resilience"), section(run, "economics")
    milestones = ((sched or {}).get("risk") or {}).get("milestones") or {}
    tasks = [{**t, **{f"risk_{k}": v for k, v in (milestones.get(t.get("task")) or {}).items()}}
             for t in rows(sched, "tasks")]
    fo = (sim or {}).get("first_output") or {}
    hist = _mapping(fo.get("histogram"))
    total = max(1, int(num(sim.get("paths")) or 1)) if sim is not None else 1
    cum, first_rows = 0, []
    for month, n in hist.items():
        cum += int(n)
        first_rows.append({"month": month, "paths": n, "cumulative_probability": round(cum / total, 6)})
    tables: dict[str, list[dict[str, Any]]] = {
        "inputs": input_rows(run),
        "targets": target_rows(run),
        "lines": rows(plan, "lines"),
        "cost_breakdown": cost_rows(run),
        "plan_explanations": rows(plan, "explanations"),
        "schedule_tasks": tasks,
        "sim_targets": rows(sim, "targets"),
        "sim_first_output": first_rows,
        "sim_fan_charts": fan_rows(run),
        "resilience_nodes": node_rows(run),
        "concentration": rows(res, "concentration"),
        "unit_cost": rows(eco, "unit_cost"),
        "unit_cost_by_month": rows(eco, "cumulative_average_by_month"),
        "cash_by_year": rows(eco, "cash_by_year"),
        "cost_per_unit": rows(eco, "cost_per_delivered_unit"),
    }
    if section(run, "confidence") is not None:  # a run planned at a confidence
        tables["confidence_targets"] = confidence_rows(run)
    return tables
