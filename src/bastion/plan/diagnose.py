"""Why a plan is short (re-solves with one family of limits relaxed) and what buys most (duals).

Explanations: for each unmet target (and each customer item whose consumption
is short) the limits that bind in the plan (line capacity full, supplier
capacity full, line not built), then the same model re-solved with one family
relaxed at a time (line capacity x10, every line online from month 0, supplier
capacity unlimited, lead times 0, budget unlimited), shortfall stages only.

Sensitivity: build decisions fixed at the plan's, the model is an LP; its row
duals give the marginal value of each limit. Shortfall values come from the
stage that minimises that priority level's shortfall (later levels' hold rows
released, earlier ones kept); cost values from the final (cost) stage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bastion.plan.fixes import Search, consumption_goal, find_fixes, target_goal
from bastion.plan.index import PlanIndex, Relax
from bastion.plan.lexico import hold_tolerance
from bastion.plan.result import Explanation, Sensitivity, TargetPlan
from bastion.plan.solution import Solution, line_capacity
from bastion.plan.variant import Solved, Step, prefixed, solve_model, target_tolerance
from bastion.scenario.model import Scenario
from bastion.scenario.types import month_name

RELAXATIONS: tuple[tuple[str, Relax, str], ...] = (
    ("line_capacity", Relax(capacity_factor=10.0), "ten times the line capacity"),
    ("online", Relax(online_at_zero=True), "every line online from the first month"),
    ("supplier_capacity", Relax(supplier_unlimited=True), "unlimited supplier capacity"),
    ("lead_time", Relax(lead_zero=True), "zero lead times"),
    ("budget", Relax(budget_unlimited=True), "no capex ceiling"),
)


def money(v: float) -> str:
    """4.1M, 250k, 900."""
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.1f}G"
    if a >= 1e6:
        return f"{v / 1e6:.1f}M"
    if a >= 1e4:
        return f"{v / 1e3:.0f}k"
    return f"{v:,.0f}"


def qty(v: float) -> str:
    """3,400 or 0.25."""
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2f}".rstrip("0").rstrip(".")


@dataclass
class Diagnosis:
    """Explanations and the budget's value from the relaxed re-solve."""

    explanations: tuple[Explanation, ...] = ()
    budget: list[Sensitivity] = field(default_factory=list)


def _applies(ix: PlanIndex, family: str) -> bool:
    if family == "online":
        return any(ln.online > 0 or (ln.optional and ln.first_candidate() > 0) for ln in ix.lines)
    if family == "supplier_capacity":
        return any(s.capacity is not None for s in ix.supplies)
    if family == "lead_time":
        return any(s.lead > 0 for s in ix.supplies) or any(ln.acceptance for ln in ix.lines)
    if family == "budget":
        return bool(ix.budget) and any(ln.optional and ln.capex > 0 for ln in ix.lines)
    return True


def _closure(ix: PlanIndex, item: int) -> set[int]:
    seen, todo = {item}, [item]
    while todo:
        for comp, _ in ix.bom.get(todo.pop(), ()):
            if comp not in seen:
                seen.add(comp)
                todo.append(comp)
    return seen


def binding_clauses(ix: PlanIndex, sol: Solution, item: int, by: int,
                    helps: set[str] | None = None) -> list[str]:
    """Limits that bind in the plan up to month `by` for `item` and its components.

    A capacity at its limit is named only when relaxing its family reduces the
    shortfall (`helps`; None: name every full capacity), so that a limit
    merely touched by a degenerate plan is not blamed.
    """
    helps = {"line_capacity", "supplier_capacity"} if helps is None else helps
    items = _closure(ix, item)
    out: list[str] = []
    cap = line_capacity(ix, sol)
    for li, line in enumerate(ix.lines):
        if not items.intersection(line.makes):
            continue
        if line.optional and li not in sol.built:
            out.append(f"{line.id} is not built")
            continue
        c = cap[li, : by + 1]
        full = np.flatnonzero((c > 0) & (sol.line_output[li, : by + 1] >= c * (1 - 1e-4) - 1e-6))
        if len(full) and "line_capacity" in helps:
            out.append(f"{line.id} capacity binds from {month_name(int(full[0]), ix.start)}")
        elif not np.any(c > 0):
            out.append(f"{line.id} produces nothing before {month_name(by, ix.start)}")
    if "supplier_capacity" in helps:
        out += _supplier_clauses(ix, sol, items, by)
    if not any(i in ln.makes for ln in ix.lines for i in items) and not any(
            s.item in items for s in ix.supplies):
        out.append("nothing makes or supplies it")
    return out


def _supplier_clauses(ix: PlanIndex, sol: Solution, items: set[int], by: int) -> list[str]:
    out: list[str] = []
    # one array test for every supply (thousands of suppliers x hundreds of targets)
    cap = np.array([s.capacity if s.capacity is not None else np.nan for s in ix.supplies])
    take = np.array([s.item in items and s.capacity is not None and s.capacity > 0
                     for s in ix.supplies], dtype=bool)
    if not take.any():
        return out
    with np.errstate(invalid="ignore"):
        full = sol.supply_orders[:, : by + 1] >= (cap * (1 - 1e-4) - 1e-6)[:, None]
    for j in np.flatnonzero(take & full.any(axis=1)):
        s = ix.supplies[j]
        out.append(f"{s.supplier} capacity for {ix.items[s.item]} binds from "
                   f"{month_name(int(np.argmax(full[j])), ix.start)}")
    return out


def _budget_clause(base: Solved, relaxed: Solved, currency: str = "") -> tuple[str, float]:
    """'building line-2 (online 2028-01)', with the 2027 capex budget 4.1M short; total excess."""
    ix, bsol, rsol = base.ix, base.sol, relaxed.sol
    assert bsol is not None and rsol is not None
    builds = [f"{ix.lines[li].id} (online {month_name(k, ix.start)})"
              for li, k in sorted(rsol.built.items()) if bsol.built.get(li, 10**9) > k]
    paid: dict[int, float] = {}
    for li, k in rsol.built.items():
        line = ix.lines[li]
        yr = int(ix.year[max(0, k - line.build_months)])
        paid[yr] = paid.get(yr, 0.0) + line.capex
    over = [(yr, paid[yr] - cap) for yr, cap in sorted(ix.budget.items())
            if paid.get(yr, 0.0) > cap + 1e-6]
    text = ("building " + " and ".join(builds)) if builds else "a larger capex budget"
    if over:
        text += " would fix it but " + " and ".join(
            f"the {yr} capex budget is {money(v)}{' ' + currency if currency else ''} short"
            for yr, v in over)
    return text, sum(v for _, v in over)


RESOLVE_MAX_COLS = 200_000
"""Above this many columns in the model solved, a plan is explained without re-solves."""


def resolves(base: Solved) -> bool:
    """True when the plan's diagnosis may re-solve (relaxations, fix search, marginal values):
    the model solved has at most RESOLVE_MAX_COLS columns. Each re-solve costs about as much as
    one stage of the plan, and a diagnosis takes up to ~60 of them; the bound is a size, not a
    time, so one scenario gives the same answers on every machine."""
    return base.lp.n_col <= RESOLVE_MAX_COLS


def not_resolved(base: Solved) -> str:
    """The clause an explanation gets in place of the re-solves' findings."""
    return (f"relaxations and fixes not searched (the model has {base.lp.n_col:,} columns; "
            f"they are searched up to {RESOLVE_MAX_COLS:,})")


def explain_shortfalls(scenario: Scenario, online: dict[str, int], base: Solved,
                       targets: tuple[TargetPlan, ...], *, gap: float,
                       time_limit: float | None, progress: Step | None = None) -> Diagnosis:
    """Explanations of every unmet target and every short consumption (without re-solves, only
    the limits that bind in the plan, when the model is too large: `resolves`)."""
    ix, sol = base.ix, base.sol
    assert sol is not None
    relaxed: dict[str, Solved] = {}
    todo = [(f, r, lab) for f, r, lab in RELAXATIONS if _applies(ix, f) and resolves(base)]
    for k, (family, relax, _label) in enumerate(todo):
        head = f"why short {k + 1}/{len(todo)} ({family.replace('_', ' ')} relaxed): "
        r = solve_model(scenario, online, relax, time_limit=time_limit, gap=gap, pool=True,
                        with_cost=False, progress=prefixed(progress, head))
        if r.sol is not None:
            relaxed[family] = r
    labels = {f: lab for f, _, lab in RELAXATIONS}
    out: list[Explanation] = []
    diag = Diagnosis()
    search = Search(scenario, online, gap, time_limit, progress)
    for k, t in sorted(enumerate(targets), key=lambda kt: (kt[1].priority, kt[1].by)):
        if t.met:
            continue
        tg = ix.targets[k]
        left: dict[str, float] = {}
        fixes: list[str] = []
        for family, r in relaxed.items():
            assert r.sol is not None
            s = float(r.sol.shortfall[k])
            left[family] = s
            if s <= t.shortfall - target_tolerance(t.units):
                if family == "budget":
                    text, excess = _budget_clause(base, r, scenario.currency)
                    if s > target_tolerance(t.units):
                        text = text.replace("would fix it", f"would cut it to {qty(s)}")
                    fixes.append(text)
                    if excess > 0:
                        gain = t.shortfall - s
                        diag.budget.append(Sensitivity(
                            "budget", "capex_per_year", f"level-{t.priority}", gain / excess,
                            f"{scenario.currency}",
                            f"raising the capex budget by {money(excess)} removes {qty(gain)} of "
                            f"{t.customer} {t.item} shortfall ({gain / excess:.3g} per "
                            f"{scenario.currency})"))
                elif s <= target_tolerance(t.units):
                    fixes.append(f"{labels[family]} would fix it")
                else:
                    fixes.append(f"{labels[family]} would cut it to {qty(s)}")
        helps = {f for f, v in left.items() if v < t.shortfall - target_tolerance(t.units)}
        found = find_fixes(search, base, target_goal(ix, k, t), helps, set(relaxed)) \
            if resolves(base) else []
        if not resolves(base):
            fixes = [not_resolved(base)]
        elif found:  # concrete changes replace the family-wide relaxations (budget kept: it is concrete)
            fixes = [f.text + " meets it" for f in found] + [
                x for x in fixes if x.startswith(("building", "a larger capex"))]
        elif any(not x.startswith(("building", "a larger capex")) for x in fixes):
            fixes = ["no change of one supplier's or one line's limit meets it alone", *fixes]
        elif not fixes:
            fixes.append("no single relaxation meets it")
        clauses = binding_clauses(ix, sol, tg.item, max(0, min(tg.by, ix.n - 1)),
                                  helps if resolves(base) else None)
        text = (f"{t.customer} {t.item} target {t.by} short by {qty(t.shortfall)} "
                f"({qty(t.planned_units or 0.0)} of {qty(t.units)}): "
                + "; ".join(clauses + fixes))
        out.append(Explanation(t.customer, t.item, t.by, t.shortfall, text, left, tuple(found)))
    out.sort(key=lambda e: next(k for k, t in enumerate(targets)
                                if (t.customer, t.item, t.by) == (e.customer, e.item, e.by)))
    for q, (c, i) in enumerate(ix.pile_pairs):
        total = float(sol.pile_unmet[q].sum())
        if total <= 1e-6:
            continue
        first = int(np.flatnonzero(sol.pile_unmet[q] > 1e-9)[0])
        left = {f: float(r.sol.pile_unmet[q].sum()) for f, r in relaxed.items() if r.sol is not None}
        helps = {f for f, v in left.items() if v < total - 1e-6}
        clauses = binding_clauses(ix, sol, int(i), ix.n - 1, helps if resolves(base) else None)
        fixes = [f"{labels[f]} would fix it" if v <= 1e-6 else f"{labels[f]} would cut it to {qty(v)}"
                 for f, v in left.items() if v < total - 1e-6]
        found = find_fixes(search, base, consumption_goal(ix, q), helps, set(relaxed)) \
            if resolves(base) else []
        if not resolves(base):
            fixes = [not_resolved(base)]
        elif found:
            fixes = [f.text + " meets it" for f in found]
        elif fixes:
            fixes = ["no change of one supplier's or one line's limit meets it alone", *fixes]
        text = (f"{ix.customers[c]} {ix.items[i]} consumption short by {qty(total)} in all, "
                f"from {month_name(first, ix.start)}: "
                + "; ".join(clauses + (fixes or ["no single relaxation meets it"])))
        out.append(Explanation(ix.customers[c], ix.items[i], None, total, text, left, tuple(found)))
    diag.explanations = tuple(out)
    return diag


def _supplier_values(base: Solved, row_dual: np.ndarray, col_dual: np.ndarray | None
                     ) -> np.ndarray:
    """Per supply: the marginal value of one more unit/month of its capacity (every month).

    Original model: minus the duals of its capacity rows, summed over months. Pooled model
    (pool.py): a supply's capacity is part of its tier's column bound, so one more unit of it
    is worth minus the tier column's reduced cost, summed over months."""
    ix, lp = base.ix, base.lp
    out = np.zeros(len(ix.supplies))
    if base.pool is None:
        sb = lp.rows["Supplier-capacity"]
        d = -row_dual[sb.start:sb.start + sb.size]
        for j in range(len(ix.supplies)):
            out[j] = float(d[sb.keys["supply"] == j].sum())
        return out
    if col_dual is None:
        return out
    tb = lp.vars["Supplier-tier"]
    by_tier = np.zeros(len(base.pool.tiers.tier_group))
    np.add.at(by_tier, tb.keys["tier"], -col_dual[tb.index])
    out[:] = by_tier[base.pool.tiers.supply_tier]
    return out


def _marginals(base: Solved, dual: np.ndarray, stage: str, currency: str,
               col_dual: np.ndarray | None = None) -> list[Sensitivity]:
    ix, model, sol = base.ix, base.lp, base.sol
    assert sol is not None
    out: list[Sensitivity] = []
    # shortfall stages: units short of priority-p customers' targets, a unit of their unmet
    # consumption counting as 10 (the stage's objective; docs/method-plan.md)
    unit = "units short" if stage.startswith("level") else currency
    verb = "removes" if stage.startswith("level") else "saves"
    where = (f" for priority-{stage.split('-')[1]} customers (a unit of unmet consumption counts 10)"
             if stage.startswith("level") else "")
    rb = model.rows["Line-capacity"]
    d = -dual[rb.start:rb.start + rb.size]
    rl, rm = rb.keys["line"], rb.keys["month"]
    for li, line in enumerate(ix.lines):
        sel = rl == li
        if not sel.any():
            continue
        m0 = sol.built.get(li) if line.optional else line.online
        if m0 is None:
            continue
        months = rm[sel]
        cap_val = float(d[sel] @ line.share(months, m0))
        if cap_val > 1e-9:
            out.append(Sensitivity("line_capacity", line.id, stage, cap_val, "unit/month",
                                   f"one more unit/month of {line.id} capacity {verb} "
                                   f"{qty(cap_val)} {unit}{where}"))
        earliest = line.first_candidate() if line.optional else 1
        if m0 - 1 >= max(0, earliest if line.optional else 0) and m0 >= 1:
            delta = line.share(months, m0 - 1) - line.share(months, m0)
            on_val = float(d[sel] @ (line.capacity * delta))
            if stage == "cost":  # one more month of fixed cost
                on_val -= line.fixed_cost
            if on_val > 1e-9:
                out.append(Sensitivity("line_online", line.id, stage, on_val, "month",
                                       f"{line.id} online one month earlier {verb} "
                                       f"{qty(on_val)} {unit}{where}"))
    values = _supplier_values(base, dual, col_dual)
    for j, s in enumerate(ix.supplies):
        v = float(values[j])
        if v > 1e-9:
            out.append(Sensitivity("supplier_capacity", f"{s.supplier}/{ix.items[s.item]}", stage, v,
                                   "unit/month", f"one more unit/month of {ix.items[s.item]} from "
                                   f"{s.supplier} {verb} {qty(v)} {unit}{where}"))
    return out


def sensitivities(base: Solved, diag: Diagnosis, currency: str,
                  limit: int = 15) -> tuple[Sensitivity, ...]:
    """Ranked marginal values of binding limits (shortfall stages first, then cost)."""
    run, model = base.run, base.lp
    if run.x is None or base.sol is None or not resolves(base):
        return ()
    solver = run.solver
    solver.release()  # the optimal-face restrictions of the lexicographic run: holds suffice
    y = model.vars["Line-build"]
    solver.fix_cols(y.index, np.round(run.x[y.index]))
    entries: list[Sensitivity] = list(diag.budget)
    for p, opt in run.levels.items():
        if opt <= 1e-6 or p not in run.hold_rows:
            continue
        later = {q: r for q, r in run.hold_rows.items() if q >= p}
        for r in later.values():
            solver.set_row_bounds(r, -math.inf, math.inf)
        solver.set_objective(model.cost_vector(f"level-{p}"))
        out = solver.solve(start=run.x, method=solver.lp_method())
        if out.row_dual is not None:
            entries += _marginals(base, out.row_dual, f"level-{p}", currency, out.col_dual)
        for q, r in later.items():
            solver.set_row_bounds(r, -math.inf, run.levels[q] + hold_tolerance(run.levels[q]))
    solver.set_objective(model.cost_vector("cost"), model.offsets.get("cost", 0.0))
    out = solver.solve(start=run.x, method=solver.lp_method())
    if out.row_dual is not None:
        entries += _marginals(base, out.row_dual, "cost", currency, out.col_dual)

    def key(s: Sensitivity) -> tuple[int, float]:
        lvl = int(s.stage.split("-")[1]) if s.stage.startswith("level") else 10**6
        return (lvl, -s.value)
    return tuple(sorted(entries, key=key)[:limit])
