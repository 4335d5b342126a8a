"""`resilience(scenario)`: the plan, its state at M, one outage LP, every node analysed."""

from __future__ import annotations

import time

import numpy as np

from bastion.online import line_online_months
from bastion.plan.optimise import Step, prefixed, solve_model
from bastion.plan.result import PlanResult
from bastion.plan.solve import SolverError
from bastion.resilience.concentration import item_concentration, made_dependency
from bastion.resilience.mitigation import mitigate
from bastion.resilience.pooled import at_scale, built_online
from bastion.resilience.preplan import most_stock_at
from bastion.resilience.result import NodeResilience, ResilienceResult, by_item
from bastion.resilience.run_nodes import run_nodes
from bastion.resilience.state import PlanState, full_rate_month
from bastion.resilience.weights import loss_weights
from bastion.scenario.model import Scenario
from bastion.scenario.types import month_index, month_name

RULE = "first month in which every built line's ramp share is 1"


class ResilienceError(ValueError):
    """Invalid input to the analysis (e.g. a reference month outside the horizon)."""


def reference_month(scenario: Scenario, state: PlanState, at: str | None) -> tuple[int, str]:
    """M as an index, and the rule that chose it."""
    n, start = scenario.horizon.months, scenario.horizon.start
    if at is None:
        return full_rate_month(scenario, state.online), RULE
    try:
        m = month_index(at, start)
    except (ValueError, TypeError) as exc:
        raise ResilienceError(f'--at {at!r}: expected a month "YYYY-MM"') from exc
    if not 0 <= m < n:
        last = month_name(n - 1, start)
        raise ResilienceError(f"--at {at}: outside the horizon {start} .. {last}")
    return m, "given (--at)"


def resilience(scenario: Scenario, plan: PlanResult | None = None, *, at: str | None = None,
               window: int | None = None, extra_stock: dict[tuple[str, str], float] | None = None,
               time_limit: float | None = None, gap: float = 1e-4,
               progress: Step | None = None, screen: bool | None = None) -> ResilienceResult:
    """TTS/TTR, lost units and exposure of every supplier, line, site and risk group.

    plan: the plan to analyse (default: solved here with the plan's own model);
    at: the reference month "YYYY-MM" (default: the first full-rate month);
    window: months analysed from M on (default: to the end of the horizon);
    extra_stock: (site, item) -> units added to the store at the start of M
    (to check a mitigation); time_limit, gap: for the plan's solve; progress
    is told each step as it starts; screen: prove most suppliers safe without
    their own LPs (run_nodes.py; default: when the plan is solved pooled, at
    scale). Pure: no printing, no files. See docs/method-resilience.md.
    """
    t0 = time.perf_counter()
    n, start = scenario.horizon.months, scenario.horizon.start
    if window is not None and window < 1:
        raise ResilienceError("window: at least 1 month")
    if plan is None:
        # pooled at scale, as the plan is (plan/pool.py; resilience/pooled.py)
        solved = solve_model(scenario, line_online_months(scenario), None,
                             time_limit=time_limit, gap=gap, pool=True,
                             progress=prefixed(progress, "plan: "))
        if solved.sol is None or solved.run.x is None:
            raise SolverError(f"no plan to analyse: {solved.run.message}")  # solver trouble: exit 1
        pooled = solved.pool is not None
        at_m, rule = reference_month(scenario, PlanState({}, built_online(solved)), at)
        x, state_rule = most_stock_at(solved, at_m)
        state = PlanState.from_solution(solved.ix, solved.model, x, solved.sol.built)
    else:
        try:
            state = PlanState.from_result(plan, start)
        except ValueError as exc:
            raise ResilienceError(str(exc)) from exc
        at_m, rule = reference_month(scenario, state, at)
        state_rule = "the plan given, as it is"
        pooled = at_scale(scenario)
    end = n if window is None else min(n, at_m + window)
    t1 = time.perf_counter()
    weights, basis = loss_weights(scenario)
    if screen is None:  # at scale, as the plan pools its purchases (run_nodes.py)
        screen = pooled
    t2 = time.perf_counter()
    got = run_nodes(scenario, state, at_m, end, weights, extra_stock, screen=screen,
                    progress=progress)
    ix, base = got.om.ix, got.base
    worst = max((r.outcome.horizon.lost for r in got.runs), default=0.0)
    t3 = time.perf_counter()
    rows = []
    for k, r in enumerate(got.runs):
        o = r.outcome
        if progress is not None and o.horizon.lost > 0:
            progress(f"mitigation {k + 1}/{len(got.runs)}: {o.node.id}")
        mit = mitigate(r.om, scenario, state, o.node, r.base.value + got.tol / 10) \
            if o.horizon.lost > 0 else None
        rows.append(NodeResilience(
            node=o.node.id, kind=o.node.kind, ttr_months=o.node.ttr,
            tts_months=o.horizon.tts, lost=by_item(ix.items, o.horizon.units), lost_weighted=o.horizon.lost,
            tts_window_months=o.window.tts, lost_in_window=by_item(ix.items, o.window.units),
            lost_weighted_in_window=o.window.lost,
            risk_exposure_index=o.horizon.lost / worst if worst > 0 else 0.0,
            mitigation=mit))
    rows.sort(key=lambda r: (-r.risk_exposure_index,
                             np.inf if r.tts_months is None else r.tts_months, r.kind, r.node))
    t4 = time.perf_counter()
    return ResilienceResult(
        classification=scenario.marking(), reference_month=month_name(at_m, start),
        reference_rule=rule, state_rule=state_rule, window_end=month_name(end - 1, start),
        plan_lost=by_item(ix.items, base.units), loss_weight=basis,
        nodes=tuple(rows), concentration=item_concentration(scenario),
        made_items=made_dependency(scenario),
        seconds={"plan": round(t1 - t0, 4), "model": round(t2 - t1 + got.model_seconds, 4),
                 "tts_ttr": round(t3 - t2 - got.model_seconds, 4), "mitigation": round(t4 - t3, 4),
                 "total": round(t4 - t0, 4)},
        solves=sum(r.outcome.solves for r in got.runs) + got.solves
        + 2 * sum(1 for r in rows if r.mitigation),
    )
