"""`plan_at_confidence`: sampled futures -> sample-average plan -> validation -> correction rounds.

Pure: no printing, no files (docs/method-confidence.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bastion.online import line_online_months
from bastion.plan.build import build_model
from bastion.plan.confidence.binds import what_binds
from bastion.plan.confidence.bound import BOUND_FUTURES, bound_json, bound_text, target_bounds
from bastion.plan.confidence.buffers import choose_cover
from bastion.plan.confidence.futures import (
    BOUND_BLOCK_BASE,
    Futures,
    all_built_uncertainty,
    draw_futures,
    simulated_shortfall,
    uncertain,
)
from bastion.plan.confidence.margin import margin_plan, months_to, next_extra, next_margin
from bastion.plan.confidence.premise import simulate_premises
from bastion.plan.confidence.price import price_of_confidence
from bastion.plan.confidence.result import ConfidencePlan, TargetConfidence, Validated
from bastion.plan.confidence.room import Room, room_sentence, rooms_of
from bastion.plan.confidence.roomstep import use_room
from bastion.plan.confidence.rounds import Rounds, better, search_rounds
from bastion.plan.confidence.saa import Composite, build_composite
from bastion.plan.confidence.whatif import what_if
from bastion.plan.index import PlanIndex, build_index
from bastion.plan.lexico import LexRun, run_lexicographic
from bastion.plan.optimise import _levels, _lines, _targets, first_output
from bastion.plan.result import CostBreakdown, PlanResult
from bastion.plan.solution import extract
from bastion.plan.solve import SolveStatus
from bastion.plan.tables import make_tables
from bastion.plan.weighted import solve_weighted, weights_for
from bastion.scenario.model import Scenario
from bastion.simulate.result import SimulationResult

Step = Callable[[str], None]

VALIDATION_SEED_OFFSET = 1
"""The validation simulates on seed + 1 (the planning futures have spawn keys of their own)."""


def requested_confidence(scenario: Scenario, confidence: float | None) -> list[float | None]:
    """Per target (scenario order): its own `confidence`, else the flag's, else None."""
    return [t.confidence if t.confidence is not None else confidence
            for c in scenario.customers.values() for t in c.targets]


def wants_confidence(scenario: Scenario, confidence: float | None) -> bool:
    """True when some target asks for a confidence (its own, or the flag)."""
    return any(r is not None for r in requested_confidence(scenario, confidence))


def _plan_from(scenario: Scenario, comp: Composite, x: np.ndarray | None, status: SolveStatus,
               gap: float | None, message: str, seconds: dict[str, float]) -> PlanResult:
    """The first stage of a composite solution as a PlanResult (as `solve_plan` assembles it)."""
    ix, first = comp.ix, comp.first
    sol = extract(ix, first, x[: first.n_col]) if x is not None else None
    cost = None if sol is None else CostBreakdown(
        **{k: float(v.sum()) for k, v in sol.cost_by_month.items()})
    return PlanResult(
        status=status, gap=gap, message=message, classification=scenario.marking(),
        currency=scenario.currency, objective=cost.total if cost is not None else None,
        first_output=first_output(ix, sol), lines=_lines(ix, sol), targets=_targets(ix, sol),
        cost=cost, levels=_levels(ix, sol),
        unmet_consumption=float(sol.pile_unmet.sum()) if sol is not None else 0.0,
        explanations=(), sensitivity=(),
        tables=make_tables(ix, first, sol) if sol is not None else None, seconds=seconds,
    )


@dataclass(frozen=True)
class Solved:
    """A composite's solution: the column values, status, gap and message."""

    x: np.ndarray | None
    status: SolveStatus
    gap: float | None
    message: str

    @staticmethod
    def of(run: LexRun) -> Solved:
        """From a lexicographic run."""
        return Solved(run.x, run.status, run.gap, run.message or run.status.value)


VALIDATIONS_KEPT = 4
"""The buffer route keeps the validations of its last few plans (a plan asked again is read back)."""
MIP_MAX_COLUMNS = 20_000
"""The chance rows are solved exactly (binaries) up to this many columns; beyond, by rounding."""
MARGIN_ROUNDS = 4
"""The margin route runs this many times `rounds` correction rounds (each is one plan and one
validation, a few seconds on the reference scenario)."""
MARGIN_FROM_COLUMNS = 150_000
"""Beyond this many columns of the sample-average model, the buffer route (levels.py)."""
BUFFER_EXTRA_STEPS = 2
"""The buffer route takes `rounds` + this many margin steps per priority level."""
SEARCH_COVERS = 1
"""The buffer route searches this many covers (the chooser's best first, buffers.py) in full and
keeps the best validated plan (rounds.py, `better`). 1: the chooser's cover only. On the
reference scenario without the production hold, 2 kept cover 3 (lt 2035 0.69 instead of 0.32,
ee 2031 0.811 instead of 0.818, a tie) at twice the CPU (159 s instead of about 80); with it,
cover 4 is the better (ee 2031 0.818 against 0.777), so 1 (benchmarks/RESULTS-confidence.md)."""


def resolve_method(method: str, ix0: PlanIndex, futures: int) -> str:
    """"mip", "rounding", "margin" or "buffer" ("auto": by the sample-average model's size)."""
    if method not in ("auto", "mip", "rounding", "margin", "buffer"):
        raise ValueError(f"unknown method {method!r}")
    if method != "auto":
        return method
    size = build_model(ix0).n_col * (futures + 1)
    if size <= MIP_MAX_COLUMNS:
        return "mip"
    return "rounding" if size <= MARGIN_FROM_COLUMNS else "buffer"


def solve_round(scenario: Scenario, ix0: PlanIndex, online0: dict[str, int], fut: Futures,
                shares: dict[int, float], *, method: str, time_limit: float | None, gap: float,
                progress: Step | None, deterministic: PlanResult) -> tuple[Composite, Solved]:
    """One sample-average solve: exact (a binary per target and future) or by rounding.

    Rounding: the simulator plays the deterministic plan in every planning
    future (`rank_futures`), which gives each target's shortfall there;
    futures are ranked by that shortfall (then by index), and the plan is
    asked to meet each target in its k best futures (least shortfall there,
    per priority level, then cost).
    """
    if method == "mip":
        comp = build_composite(scenario, ix0, online0, fut, shares)
        return comp, Solved.of(run_lexicographic(comp.model, ix0.levels, time_limit=time_limit,
                                                 gap=gap, progress=progress, parallel=False))
    shortfall = rank_futures(scenario, ix0, online0, fut, shares, deterministic, time_limit, gap)
    chosen = {}
    for t in shares:
        k = min(fut.count, math.ceil(shares[t] * fut.count - 1e-9))
        order = np.lexsort((np.arange(fut.count), np.round(shortfall[t], 6)))
        chosen[t] = np.sort(order[:k])
    comp = build_composite(scenario, ix0, online0, fut, shares, chosen=chosen)
    if progress is not None:
        progress("weighted plan over the chosen futures")
    w = solve_weighted(comp.model, weights_for(list(ix0.levels)), time_limit=time_limit)
    if w.outcome is not None and w.outcome.x is not None and w.outcome.objective is not None:
        return comp, Solved(w.outcome.x, SolveStatus.OPTIMAL, 0.0,
                            "optimal (weighted: shortfall by priority, then cost)")
    return comp, Solved.of(run_lexicographic(comp.model, ix0.levels, time_limit=time_limit,
                                             gap=gap, progress=progress, parallel=False))


def rank_futures(scenario: Scenario, ix0: PlanIndex, online0: dict[str, int], fut: Futures,
                 shares: dict[int, float], deterministic: PlanResult, time_limit: float | None,
                 gap: float) -> np.ndarray:
    """(T, S) each target's shortfall in each planning future under the deterministic plan.

    The simulator plays the deterministic plan in the planning futures (the
    same streams); where it cannot draw the same numbers, the model does
    (its first stage fixed at the deterministic plan).
    """
    short = simulated_shortfall(scenario, deterministic, fut.count, fut.seed)
    if short is not None:
        return short
    every = {t: np.arange(fut.count) for t in shares}
    rank = build_composite(scenario, ix0, online0, fut, shares, chosen=every)
    det = run_lexicographic(build_model(ix0), ix0.levels, time_limit=time_limit, gap=gap)
    if det.x is not None:
        fix_first_stage(rank, det.x)
    run = run_lexicographic(rank.model, ix0.levels, time_limit=time_limit, gap=gap,
                            with_cost=False, parallel=False)
    out = np.zeros((len(ix0.targets), fut.count))
    for t in shares:
        if run.x is not None:
            out[t] = run.x[rank.shortfall[t]]
    return out


def fix_first_stage(comp: Composite, x: np.ndarray) -> None:
    """Fix the composite's first-stage columns at plan x (the deterministic plan's, to rank)."""
    m, pos = comp.model, 0
    for k in range(len(comp.first.col_lower)):
        size = len(m.col_lower[k])
        m.col_lower[k] = x[pos:pos + size].copy()
        m.col_upper[k] = x[pos:pos + size].copy()
        m.col_integer[k] = np.zeros(size, dtype=bool)
        pos += size


def plan_at_confidence(scenario: Scenario, confidence: float | None = None, *, futures: int = 200,
                       seed: int = 0, paths: int = 10_000, rounds: int = 4,
                       time_limit: float | None = None, gap: float = 1e-4,
                       deterministic: PlanResult | None = None, method: str = "auto",
                       progress: Step | None = None, workers: int | None = None,
                       backend: str = "numpy", cover: float | None = None) -> ConfidencePlan:
    """The plan meeting each target in its requested share of futures (docs/method-confidence.md).

    confidence applies to every target without its own; futures is S, the
    number of sampled futures planned against; paths the validation's;
    rounds the most correction rounds. deterministic: the deterministic
    plan, when the caller has it (else solved here). method: "mip" (a binary
    per target and future), "rounding" (see `solve_round`), "margin" (early
    stock, margin.py), "buffer" (unit buffers level by level, levels.py) or "auto" (mip up
    to MIP_MAX_COLUMNS columns of the sample-average model, rounding up to
    MARGIN_FROM_COLUMNS, buffer beyond); on the buffer route `rounds` is the buffer steps
    per priority level. workers: the
    validation simulations' processes (as `simulate`'s; results do not depend on it; 1 inside
    a study's task). backend: the validation simulations' (`simulate`'s; the same numbers).
    cover: the buffer route's component buffers in months of peak use (buffers.py; None: each of
    0 and COVERS tried, the best kept).
    """
    from bastion.plan import solve_plan
    from bastion.simulate import simulate

    t0 = time.perf_counter()
    if futures < 1 or paths < 1:
        raise ValueError("futures and paths must be at least 1")
    requested = requested_confidence(scenario, confidence)
    det = deterministic if deterministic is not None else solve_plan(
        scenario, time_limit=time_limit, gap=gap, explain=False, sensitivity=False)
    det_sim = simulate(scenario, det, paths=paths, seed=seed + VALIDATION_SEED_OFFSET,
                       workers=workers, backend=backend) if det.status.has_solution else None
    u = all_built_uncertainty(scenario, det) if det.status.has_solution else None
    conf_targets = {t: float(r) for t, r in enumerate(requested) if r is not None}
    if u is None or not uncertain(u) or not conf_targets:
        # nothing is random (or nothing asked): every future is the deterministic one
        same = {t: 1.0 if det.targets[t].met else 0.0 for t in conf_targets} \
            if det.status.has_solution else {}
        return _result(scenario, requested, det, det, det_sim, det_sim, same, {}, futures, seed,
                       paths, 0, [], time.perf_counter() - t0, sampled=False)
    online0 = line_online_months(scenario)
    ix0 = build_index(scenario, online0)
    fut = draw_futures(scenario, u, futures, seed)
    route = resolve_method(method, ix0, futures)
    if route == "buffer" and simulated_shortfall(scenario, det, 1, fut.seed) is None:
        route = "margin"  # the simulator cannot draw the planning futures: see futures.py
    if route == "buffer":
        return _buffer_route(scenario, requested, conf_targets, det, det_sim, ix0, online0, fut,
                             seed=seed, paths=paths, rounds=rounds, time_limit=time_limit,
                             gap=gap, progress=progress, workers=workers, t0=t0, cover=cover)
    margins = dict.fromkeys(conf_targets, 0.0)  # in-sample share raised (sample-average routes)
    early = dict.fromkeys(conf_targets, 0)  # months of early stock (margin route)
    extra = dict.fromkeys(conf_targets, 0.0)  # units of extra stock (margin route)
    last_p = dict.fromkeys(conf_targets, 0.0)
    by = months_to(scenario)
    binds: dict[int, str] = {}
    history: list[dict[str, object]] = []
    best: tuple[PlanResult, SimulationResult, dict[int, float], dict[int, int]] | None = None
    chosen_key: tuple[float, ...] | None = None
    for rnd in range((MARGIN_ROUNDS * rounds if route == "margin" else rounds) + 1):
        shares = {t: min(1.0, conf_targets[t] + margins[t]) for t in conf_targets}
        if progress is not None:
            progress(f"confidence round {rnd + 1} ({route}): {futures} futures")
        comp: Composite | None = None
        x: np.ndarray | None = None
        if route == "margin":
            plan = det if not any(early.values()) and not any(extra.values()) else margin_plan(
                scenario, early, extra, time_limit=time_limit, gap=gap, progress=progress)
        else:
            comp, run = solve_round(scenario, ix0, online0, fut, shares, method=route,
                                    time_limit=time_limit, gap=gap, progress=progress,
                                    deterministic=det)
            plan = _plan_from(scenario, comp, run.x, run.status, run.gap, run.message,
                              {"total": round(time.perf_counter() - t0, 4)})
            x = run.x
        if not plan.status.has_solution or (comp is not None and x is None):
            break
        played = simulated_shortfall(scenario, plan, futures, fut.seed)
        met_in = {}
        for t in conf_targets:
            if played is not None:
                met_in[t] = played[t] <= 1e-6 * max(1.0, ix0.targets[t].units)
            elif comp is not None and x is not None:
                met_in[t] = comp.met(x, t)
            else:
                met_in[t] = np.zeros(futures, dtype=bool)
        in_sample = {t: float(met_in[t].mean()) for t in conf_targets}
        deficit = {t: 0 if comp is None or x is None
                   else max(0, int(comp.required[t]) - int(comp.met(x, t).sum()))
                   for t in conf_targets}
        if progress is not None:
            progress(f"validating round {rnd + 1} on {paths:,} paths")
        sim = simulate(scenario, plan, paths=paths, seed=seed + VALIDATION_SEED_OFFSET,
                       workers=workers, backend=backend)
        short = {}
        for t in conf_targets:
            v = sim.targets[t]
            if v.probability < conf_targets[t] - v.stderr:
                short[t] = v
        # the round kept (margin route): per priority level in order, the most probability up
        # to the requested (the confidence shortfall of level 1 first, as in the objective)
        key = tuple(sum(min(sim.targets[t].probability, conf_targets[t]) for t in conf_targets
                        if int(ix0.priority[ix0.targets[t].customer]) == p) for p in ix0.levels)
        if chosen_key is None or key > chosen_key or route != "margin":
            chosen_key = key
            best = (plan, sim, in_sample, deficit)
            binds = {t: what_binds(scenario, fut, met_in[t], ix0.targets[t].by,
                                   plan.targets[t].by) for t in conf_targets}
        history.append({"round": rnd + 1, "method": route,
                        "required": {str(t): round(s, 4) for t, s in shares.items()}
                        if route != "margin" else {str(t): 1.0 for t in conf_targets},
                        "early_months": {str(t): k for t, k in early.items()}
                        if route == "margin" else {},
                        "extra_units": {str(t): round(v, 4) for t, v in extra.items()}
                        if route == "margin" else {},
                        "validated": {str(t): round(sim.targets[t].probability, 4)
                                      for t in conf_targets}})
        if route == "margin":
            grow = [t for t in short if early[t] < by[t] or extra[t] < ix0.targets[t].units]
            if not grow:
                break
            for t in grow:  # time first; units too once more time stopped helping
                v = short[t]
                if early[t] > 0 and v.probability <= last_p[t] + 2 * v.stderr:
                    extra[t] = next_extra(extra[t], v.units, v.p10_units)
                early[t] = next_margin(early[t], conf_targets[t], v.probability, by[t])
            last_p = {t: sim.targets[t].probability for t in conf_targets}
            continue
        raisable = {t: v for t, v in short.items() if shares[t] < 1.0 and deficit[t] == 0}
        if not raisable:
            break
        for t, v in raisable.items():  # raise the in-sample share by the gap seen, plus one error
            margins[t] += max(1.0 / futures, conf_targets[t] - v.probability + v.stderr)
    if best is None:
        return _result(scenario, requested, det, det, det_sim, None, {}, {}, futures, seed, paths,
                       len(history), history, time.perf_counter() - t0)
    plan, sim, in_sample, deficit = best
    return _result(scenario, requested, det, plan, det_sim, sim, in_sample, deficit, futures, seed,
                   paths, len(history), history, time.perf_counter() - t0, binds=binds)


def _buffer_route(scenario: Scenario, requested: list[float | None], conf: dict[int, float],
                  det: PlanResult, det_sim: SimulationResult | None, ix0: PlanIndex,
                  online0: dict[str, int], fut: Futures, *, seed: int, paths: int, rounds: int,
                  time_limit: float | None, gap: float, progress: Step | None,
                  workers: int | None, t0: float, cover: float | None = None) -> ConfidencePlan:
    """Buffers level by level on the planning futures (levels.py), validated, with correction
    rounds (rounds.py), from the SEARCH_COVERS best covers of the component buffers (buffers.py;
    only `cover` when given); the best validated plan kept (rounds.py, `better`)."""
    from bastion.simulate import simulate

    prio = [int(ix0.priority[t.customer]) for t in ix0.targets]
    units = [float(t.units) for t in ix0.targets]
    history: list[dict[str, object]] = []

    seen: dict[int, tuple[PlanResult, SimulationResult]] = {} if det_sim is None else {
        id(det): (det, det_sim)}  # the deterministic plan, on the same paths

    def simulate_plan(plan: PlanResult) -> SimulationResult:
        """The plan validated (same paths and seed every time, so a plan validated before, as
        the search's level start, give-back and rounds each ask, is read back, not simulated
        again; the plan is kept with its result, so its id is not reused meanwhile; the last
        VALIDATIONS_KEPT only: the asks that repeat come within a level's end)."""
        if id(plan) in seen:
            return seen[id(plan)][1]
        if progress is not None:
            progress(f"validating on {paths:,} paths")
        sim = simulate(scenario, plan, paths=paths, seed=seed + VALIDATION_SEED_OFFSET,
                       workers=workers)
        seen[id(plan)] = (plan, sim)
        while len(seen) > VALIDATIONS_KEPT:  # the oldest first (dicts keep their order)
            del seen[next(iter(seen))]
        return sim

    def validate(plan: PlanResult) -> list[tuple[float, float]]:
        return [(v.probability, v.stderr) for v in simulate_plan(plan).targets]

    if progress is not None:
        progress("component buffers: months of cover")
    chosen = choose_cover(scenario, det, conf, futures=fut.count, seed=fut.seed,
                          time_limit=time_limit, gap=gap, cover=cover)
    history.append({"round": 0, "method": "buffer", "cover_months": chosen.months,
                    "cover_tried": {str(c): n for c, n in chosen.tried.items()}})


    covers = [chosen] + ([] if cover is not None else [
        choose_cover(scenario, det, conf, futures=fut.count, seed=fut.seed,
                     time_limit=time_limit, gap=gap, cover=c)
        for c in sorted((c for c in chosen.tried if c != chosen.months),
                        key=lambda c: (-chosen.tried[c], c))[:SEARCH_COVERS - 1]])
    kept: Rounds | None = None
    months, floors = chosen.months, chosen.floors
    for k, cv in enumerate(covers):
        got = search_rounds(scenario, cv.plan, conf, prio, units, futures=fut.count,
                            seed=fut.seed, rounds=rounds + BUFFER_EXTRA_STEPS,
                            time_limit=time_limit, gap=gap, progress=progress,
                            validate=validate, simulate_plan=simulate_plan, floors=cv.floors)
        history.extend({**h, "cover_months": cv.months} if k else h for h in got.history)
        if kept is None or better(got.sim, kept.sim, conf, prio):
            kept, months, floors = got, cv.months, cv.floors
    if kept is None:  # covers holds the chosen one at least
        raise RuntimeError("no cover was searched")
    history.append({"round": 0, "method": "buffer", "cover_kept": months})
    found, sim = kept.found, kept.sim
    missed = [t for t in conf if sim.targets[t].probability < conf[t] - sim.targets[t].stderr]
    rooms = rooms_of(scenario, det, fut, missed, conf, time_limit=time_limit, gap=gap, progress=progress)
    found, sim, rooms, step = use_room(scenario, found, sim, rooms, conf, prio, units,
                                       futures=fut.count, seed=fut.seed, floors=floors,
                                       time_limit=time_limit, gap=gap, progress=progress,
                                       simulate_plan=simulate_plan)
    history.extend({"round": 0, "method": "buffer", **h} for h in step)
    in_sample = {t: found.share(t, units[t]) for t in conf}
    missed = [t for t in conf if sim.targets[t].probability < conf[t] - sim.targets[t].stderr]
    binds, bounds = _explain_missed(scenario, ix0, online0, fut, found.plan, conf, missed, prio,
                                    {t: sim.targets[t].probability for t in conf},
                                    seed=seed + VALIDATION_SEED_OFFSET, workers=workers,
                                    progress=progress, rooms=rooms)
    return _result(scenario, requested, det, found.plan, det_sim, sim, in_sample, {},
                   fut.count, seed, paths, len(history), history, time.perf_counter() - t0,
                   binds=binds, bounds=bounds)


def _explain_missed(scenario: Scenario, ix0: PlanIndex, online0: dict[str, int], fut: Futures,
                    plan: PlanResult, conf: dict[int, float], missed: list[int], prio: list[int],
                    validated: dict[int, float], *, seed: int, workers: int | None,
                    progress: Step | None, rooms: dict[int, Room],
                    ) -> tuple[dict[int, str], dict[int, dict[str, object]]]:
    """Per target short of its confidence: what binds (the plan without each source of risk,
    whatif.py), the perfect-foresight bound (bound.py) and the room for a unit buffer (`rooms`,
    room.py, measured on the deterministic plan), as a sentence and as numbers."""
    if not missed:
        return {}, {}
    if progress is not None:
        progress("what binds the targets not reached: the plan without each source of risk")
    wi = what_if(scenario, plan, seed, {t: conf[t] for t in missed}, workers=workers)
    if progress is not None:
        progress("perfect-foresight bound of the targets not reached")
    above = [h for h in conf if any(prio[h] < prio[t] for t in missed)]  # read by the premises
    probability, paths = simulate_premises(scenario, plan, above, seed, workers)
    # futures of their own: the plan was fitted to the planning futures (and `missed` chosen on them)
    own = draw_futures(scenario, all_built_uncertainty(scenario, plan), min(BOUND_FUTURES, fut.count),
                       fut.seed, base=BOUND_BLOCK_BASE)
    bounds = target_bounds(scenario, ix0, online0, own, missed, conf, prio, probability, paths)
    names = [f"{tg.customer} {tg.by}" for tg in plan.targets]
    binds = {t: "; ".join(b for b in (wi.sentence(t, conf[t], validated[t]),
                                      bound_text(bounds[t], conf[t], names),
                                      room_sentence(rooms.get(t), conf[t], plan.targets[t])) if b)
             for t in missed}
    numbers = {t: bound_json(bounds[t], conf[t]) for t in missed}
    for t, r in rooms.items():
        if t in numbers:
            numbers[t]["room"] = r.json()
    return binds, numbers


def _with_explanation(binds: str, det: PlanResult, customer: str, item: str, by: str) -> str:
    """The deterministic plan's 'why short' for the target, after `binds`, when it has one."""
    why = [e.text for e in det.explanations if (e.customer, e.item, e.by) == (customer, item, by)]
    return "; ".join([b for b in (binds, *why) if b])


def _result(scenario: Scenario, requested: list[float | None], det: PlanResult, plan: PlanResult,
            det_sim: SimulationResult | None, sim: SimulationResult | None,
            in_sample: dict[int, float], deficit: dict[int, int],
            futures: int, seed: int, paths: int, rounds: int, history: list[dict[str, object]],
            seconds: float, *, sampled: bool = True,
            binds: dict[int, str] | None = None,
            bounds: dict[int, dict[str, object]] | None = None) -> ConfidencePlan:
    rows = []
    for t, req in enumerate(requested):
        tp = plan.targets[t] if plan.targets else det.targets[t]
        val = None
        if sim is not None:
            r = sim.targets[t]
            val = Validated(r.probability, r.stderr, sim.paths, sim.seed)
        det_p = det_sim.targets[t].probability if det_sim is not None else None
        ok = req is None or (val is not None and val.probability >= req - val.stderr)
        rows.append(TargetConfidence(
            customer=tp.customer, item=tp.item, by=tp.by, units=tp.units, priority=tp.priority,
            requested=req, in_sample=in_sample.get(t),
            validated=val, deterministic_probability=det_p, reached=ok,
            deficit_futures=deficit.get(t, 0),
            binds="" if ok else _with_explanation((binds or {}).get(t, ""), det, tp.customer,
                                                  tp.item, tp.by),
            bound=None if ok else (bounds or {}).get(t),
        ))
    return ConfidencePlan(
        plan=plan, deterministic=det, targets=tuple(rows), futures=futures, seed=seed,
        validation_paths=paths, rounds=rounds, history=tuple(history),
        price=price_of_confidence(scenario, det, plan), seconds=round(seconds, 4),
        sampled=sampled,
    )
