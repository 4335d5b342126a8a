"""The buffer route for large scenarios: priority level by priority level, unit buffers sized on
the sampled futures, higher levels frozen (docs/method-confidence.md, "The buffer route").

The sample-average model of a large scenario is S copies of the plan model; this route keeps the
deterministic plan's size instead. Each target with a confidence may get a companion target at
its own `by` month and priority: its units plus a buffer `extra[t]` (margin.py,
`with_early_targets` with no months early), so the deterministic plan (`solve_plan`, every stage
as in docs/method-plan.md) builds, buys and makes the buffer as part of the target. The
simulator plays each plan in the S planning futures (`simulated_shortfall`: the same samplers,
the same policy as a simulation), which gives each target's shortfall there; a target met in
fewer than its goal of futures gets more buffer: the shortfall of the future it must still meet
(the k-th smallest, k its goal). Levels are processed in priority order; once a level is done its
buffers and its in-sample shares are frozen: a lower level's buffer that would lower a higher
level's share is not taken.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bastion.plan.confidence.futures import FloatArray, simulated_shortfall
from bastion.plan.confidence.margin import months_to, original_targets, with_early_targets
from bastion.plan.index import DeliveryHold, Floor, ProductionHold
from bastion.plan.result import PlanResult
from bastion.scenario.model import Scenario
from bastion.scenario.types import month_index

Step = Callable[[str], None]

CUSHION_ERRORS = 0.0
"""The in-sample goal is P plus this many standard errors of a share over S futures
(sqrt(P (1 - P) / S)). Zero: a cushion makes a higher level take more than its P from the
levels below; the validation's correction rounds raise a goal where P is not reached."""
TRIMS = 2
"""After a level's walk, its margins grown at that level are halved (towards the level's
start) up to this many times, kept while the level still meets what it met."""


HOLD = "floor"
"""Once a level is done, its customers' cumulative deliveries per route and month in the plan
kept are held in every later plan of the search: "floor" (at least those), "exact" (exactly
those) or "" (not held). A lower level's companion otherwise moves the higher levels'
deliveries within what their companions allow, and the simulator's catch-up policy is
sensitive to that timing."""


PRODUCTION_HOLD_FROM: int | None = None
"""None (the default): the rule decides the production hold per scenario and level (`HOLD_CHOICE`,
`prefer_hold`): at every level with a level done before all its targets, the level is walked
with and without the hold (the plan's cumulative production per line and item held exactly,
at the plan kept so far, up to the latest `by` of the levels done that comes before every
target of the level searched) and the better walk by the level's key is kept. An int is an
explicit option instead: the hold from that priority level on (0: never); 3 is what the
reference scenario was tuned to before the rule (docs/method-confidence.md)."""
HOLD_CHOICE = "walk"
"""How the rule decides: "walk" (the level's steps and trims walked both ways, the better walk
kept) or "first" (the level's first step taken both ways, then the level walked with the
better choice: about one plan more per level instead of one walk more)."""


def held_production(scenario: Scenario, plan: PlanResult, upto: int
                    ) -> tuple[ProductionHold, ...]:
    """The plan's cumulative production per (line, item) from month 0 to `upto`, as holds."""
    if plan.tables is None or upto < 0:
        return ()
    start = scenario.horizon.start
    per: dict[tuple[str, str], np.ndarray] = {}
    for row in plan.tables.production.records():
        m = month_index(str(row["month"]), start)
        key = (str(row["line"]), str(row["item"]))
        if m <= upto:
            per.setdefault(key, np.zeros(upto + 1))[max(0, m)] += float(row["units"])
    return tuple((ln, it, tuple(float(v) for v in np.cumsum(per[(ln, it)])))
                 for ln, it in sorted(per))


GIVE_BACK_STEPS = 2
"""At the end of a level (when the search validates), a target of the level validated above its
P by more than GIVE_BACK_ERRORS standard errors gives back: its margins are bisected towards
the level's start this many times, each candidate kept when every target of the level (and
of the levels done) still validates at its P (docs/method-confidence.md)."""
GIVE_BACK_ERRORS = 2.0


def held_deliveries(scenario: Scenario, plan: PlanResult, customers: set[str], *,
                    exact: bool = False) -> tuple[DeliveryHold, ...]:
    """The plan's cumulative deliveries per route (site, customer, item) to `customers`, by
    month, as holds for the plan builder (`solve_plan(..., deliveries=)`)."""
    if plan.tables is None:
        return ()
    start, n = scenario.horizon.start, scenario.horizon.months
    per: dict[tuple[str, str, str], np.ndarray] = {}
    for row in plan.tables.deliveries.records():
        key = (str(row["site"]), str(row["customer"]), str(row["item"]))
        if key[1] not in customers:
            continue
        m = month_index(str(row["month"]), start)
        if 0 <= m < n:
            per.setdefault(key, np.zeros(n))[m] += float(row["units"])
    return tuple((s, c, i, tuple(float(v) for v in np.cumsum(per[(s, c, i)])), exact)
                 for s, c, i in sorted(per))


def goal(requested: float, futures: int, raise_by: float = 0.0) -> int:
    """Futures (of S) in which a target asked for `requested` must be met in-sample."""
    q = requested + raise_by + CUSHION_ERRORS * math.sqrt(requested * (1 - requested) / futures)
    return int(min(futures, math.ceil(min(1.0, q) * futures - 1e-9)))


@dataclass
class Searched:
    """A state of the search: the plan, its margins, its in-sample shortfalls."""

    plan: PlanResult
    early: dict[int, int]  # months before `by` the companion is held
    extra: dict[int, float]  # units the companion holds beyond the target's
    short: FloatArray  # (T, S) shortfall at `by` in each planning future
    held: dict[int, float] = field(default_factory=dict)  # companion's shortfall in the plan
    solves: int = 0
    history: list[dict[str, object]] = field(default_factory=list)

    def met(self, t: int, units: float) -> np.ndarray:
        """(S,) True where target t is met in the planning futures."""
        out: np.ndarray = self.short[t] <= 1e-6 * max(1.0, units)
        return out

    def count(self, t: int, units: float) -> int:
        """Planning futures in which target t is met."""
        return int(self.met(t, units).sum())

    def share(self, t: int, units: float) -> float:
        """In-sample share of target t."""
        return float(self.met(t, units).mean())


def solve_with_companions(scenario: Scenario, early: dict[int, int], extra: dict[int, float], *,
                          time_limit: float | None, gap: float, progress: Step | None,
                          floors: tuple[Floor, ...] = (), deliveries: tuple[DeliveryHold, ...] = (),
                          production: tuple[ProductionHold, ...] = (),
                          ) -> tuple[PlanResult, dict[int, float]]:
    """The deterministic plan with companions; the plan on the original targets and each
    companion's shortfall in it (by its owner's position)."""
    from bastion.plan import solve_plan

    by = months_to(scenario)
    with_comp, keep = with_early_targets(scenario, early, extra)
    full = solve_plan(with_comp, time_limit=time_limit, gap=gap, explain=False,
                      sensitivity=False, progress=progress, floors=floors,
                      deliveries=deliveries, production=production)
    owners = [t for t in range(len(by)) if (early.get(t, 0) > 0 or extra.get(t, 0.0) > 0)
              and by[t] - early.get(t, 0) >= 0]
    kept = set(keep)
    comps = [i for i in range(len(full.targets)) if i not in kept]
    short = {t: float(full.targets[i].shortfall) for t, i in zip(owners, comps, strict=False)}
    return original_targets(full, keep), short


def play_in_futures(scenario: Scenario, plan: PlanResult, futures: int, seed: int, n_targets: int
                    ) -> FloatArray:
    """Each target's shortfall (rows) in each of the planning futures (columns) when the simulator
    plays `plan` in them."""
    short = simulated_shortfall(scenario, plan, futures, seed)
    if short is None:  # the simulator cannot draw these futures for this plan (core.py checks
        # the deterministic plan first): the plan is counted as meeting nothing, never kept
        return np.full((n_targets, futures), np.inf)
    return short


def _months(need: int, count: int, futures: int) -> int:
    """A time step: a month per third of the share missing (at least one)."""
    return max(1, math.ceil(3 * (need - count) / futures))


def slack(requested: float, futures: int) -> int:
    """Futures a frozen level may lose to a lower one: one standard error of its share over S
    futures (sqrt(P (1 - P) S)), the noise of the in-sample count; the validation checks the
    level and a correction round restores it where it then falls below P."""
    return math.ceil(math.sqrt(requested * (1 - requested) * futures))


def _key(st: Searched, need: dict[int, int], priority: list[int], units: list[float]
         ) -> tuple[int, ...]:
    """Per priority level in order: futures met by its targets, each counted up to its need."""
    return tuple(sum(min(st.count(t, units[t]), need[t]) for t in need if priority[t] == q)
                 for q in sorted({priority[t] for t in need}))


def prefer_hold(free: Searched, tied: Searched, need: dict[int, int], priority: list[int],
                units: list[float]) -> bool:
    """True when the walk with the production hold (`tied`) is kept over the one without
    (`free`): its key (`_key`: per priority level in order, the futures met up to the need) is
    higher; on equal keys, when its futures met per level in order, without the cap, are more;
    a full tie keeps the walk without (no rows the plan does not need)."""
    a, b = _key(free, need, priority, units), _key(tied, need, priority, units)
    if a != b:
        return b > a
    every = dict.fromkeys(need, int(free.short.shape[1]))
    return _key(tied, every, priority, units) > _key(free, every, priority, units)


def _give_back(best: Searched, start: Searched, mine: list[int], higher: list[int],
               requested: dict[int, float],
               validate: Callable[[PlanResult], list[tuple[float, float]]],
               state: Callable[[dict[int, int], dict[int, float]], Searched | None]
               ) -> Searched:
    """A level's targets validated above P + GIVE_BACK_ERRORS errors give back margin: theirs
    are bisected between the level's start (`start`) and `best`, GIVE_BACK_STEPS times; a
    candidate is kept when every target of the level and of the levels done (`higher`) that
    validated at its P still does (p >= P; a higher one: p >= P - stderr)."""
    v = validate(best.plan)
    over = [t for t in mine if v[t][0] > requested[t] + GIVE_BACK_ERRORS * v[t][1]]
    if not over:
        return best
    ok_mine = [t for t in mine if v[t][0] >= requested[t]]
    ok_high = [t for t in higher if v[t][0] >= requested[t] - v[t][1]]
    lo_e = {t: start.early[t] for t in over}
    lo_x = {t: start.extra[t] for t in over}
    for _step in range(GIVE_BACK_STEPS):
        early = {**best.early, **{t: (lo_e[t] + best.early[t]) // 2 for t in over}}
        extra = {**best.extra, **{t: float(math.floor((lo_x[t] + best.extra[t]) / 2))
                                  for t in over}}
        if early == best.early and extra == best.extra:
            break
        cand = state(early, extra)
        if cand is None:
            break
        w = validate(cand.plan)
        if all(w[t][0] >= requested[t] for t in ok_mine) and \
                all(w[t][0] >= requested[t] - w[t][1] for t in ok_high):
            best = cand
        else:
            lo_e, lo_x = {t: early[t] for t in over}, {t: extra[t] for t in over}
    return best


def search_levels(scenario: Scenario, det: PlanResult, requested: dict[int, float],
                  priority: list[int], units: list[float], *, futures: int, seed: int,
                  rounds: int, start: tuple[dict[int, int], dict[int, float]] | None = None,
                  raise_by: dict[int, float] | None = None, time_limit: float | None,
                  gap: float, progress: Step | None,
                  validate: Callable[[PlanResult], list[tuple[float, float]]] | None = None,
                  floors: tuple[Floor, ...] = ()) -> Searched:
    """Margins per target, level by level (see the module's text).

    requested: target position -> P; priority, units: per target position; rounds: steps
    per level; start: (months early, extra units) to start from (a correction round goes on
    from the last ones: margins only grow); raise_by: per target, share added to its goal;
    validate: the plan's (probability, stderr) per target out of sample: at the start of a
    level, a target that already validates at its P keeps what it has (no margin for it);
    floors: the component buffers (buffers.py) every plan of the search holds; `det` is then
    the plan with them and no margins.
    """
    raise_by = raise_by or {}
    by = months_to(scenario)
    early = {t: int((start or ({}, {}))[0].get(t, 0)) for t in requested}
    extra = {t: float((start or ({}, {}))[1].get(t, 0.0)) for t in requested}
    solves = 0
    if any(early.values()) or any(v > 0 for v in extra.values()):
        plan, held = solve_with_companions(scenario, early, extra, time_limit=time_limit, gap=gap,
                            progress=progress, floors=floors)
        solves = 1
    else:
        plan, held = det, {}
    cur = Searched(plan, early, extra, play_in_futures(scenario, plan, futures, seed, len(units)), held)
    history: list[dict[str, object]] = []
    frozen: dict[int, int] = {}  # target -> futures it must keep (its level done)
    holds: tuple[DeliveryHold, ...] = ()  # the levels done: their deliveries (HOLD)
    names = [c for c, cust in scenario.customers.items() for _ in cust.targets]

    def _try(early: dict[int, int], extra: dict[int, float], p: int,
             made: tuple[ProductionHold, ...], **kind: bool) -> Searched | None:
        """The plan with these margins (the levels done held, production held by `made`),
        solved and played in the planning futures, recorded in the history with `kind` (a
        step: none; `trim` or `give_back`); None where the solver found no plan (recorded)."""
        nonlocal solves
        plan, held = solve_with_companions(scenario, early, extra, time_limit=time_limit, gap=gap,
                            progress=progress, floors=floors, deliveries=holds,
                            production=made)
        solves += 1
        if not plan.status.has_solution:  # recorded: a hold the solver refused, not a level done
            history.append({"priority": p, **kind, "production_hold": bool(made),
                            "no_solution": plan.status.value})
            return None
        st = Searched(plan, early, extra, play_in_futures(scenario, plan, futures, seed, len(units)), held)
        history.append({"priority": p, **kind, "production_hold": bool(made),
                        "early_months": {str(t): k for t, k in early.items()},
                        "extra_units": {str(t): v for t, v in extra.items()},
                        "in_sample": {str(t): round(st.share(t, units[t]), 4)
                                      for t in requested}})
        return st

    def _walk(cur: Searched, p: int, need: dict[int, int], made: tuple[ProductionHold, ...],
              steps: int, trims: int) -> Searched:
        """Level p's walk from `cur`: up to `steps` margin steps, then up to `trims` trims;
        every plan with the production hold `made`; the best state by the level's key."""

        def key(st: Searched) -> tuple[int, ...]:
            return _key(st, need, priority, units)

        tag = " (production held)" if made else ""
        best, walk = cur, cur
        nxt_early, nxt_extra = dict(cur.early), dict(cur.extra)
        by_units = {t for t in need if by[t] - nxt_early[t] <= 0}  # time first, then units
        stuck: set[int] = set()  # the plan cannot hold more for them
        most = {t: by[t] for t in need}  # months early not yet found too many for the plan
        for _step in range(steps):
            grow_e: dict[int, int] = {}
            grow_x: dict[int, float] = {}
            for t in sorted(need):
                n = walk.count(t, units[t])
                if n >= need[t] or t in stuck:
                    continue
                k = min(most[t], nxt_early[t] + _months(need[t], n, futures))
                if t not in by_units and k > nxt_early[t]:
                    grow_e[t] = k
                elif nxt_extra[t] < units[t]:
                    d = float(np.sort(walk.short[t])[need[t] - 1])
                    if math.isfinite(d):
                        grow_x[t] = float(min(units[t], nxt_extra[t] + max(1, math.ceil(d))))
            if not grow_e and not grow_x:
                break
            early, extra = {**nxt_early, **grow_e}, {**nxt_extra, **grow_x}
            if progress is not None:
                progress(f"margins at priority {p}{tag}: " + ", ".join(
                    [f"target {t + 1} {k} months early" for t, k in sorted(grow_e.items())]
                    + [f"target {t + 1} +{v:,.0f} units" for t, v in sorted(grow_x.items())]))
            got = _try(early, extra, p, made)
            if got is None:
                break
            prev, walk, held = walk, got, got.held
            nxt_early, nxt_extra = dict(early), dict(extra)
            for t in grow_e:  # time that the plan cannot hold (fewer months next), or that
                # meets no more futures (units from now on)
                if held.get(t, 0.0) > 0.5:
                    nxt_early[t], most[t] = prev.early[t], grow_e[t] - 1
                    if most[t] <= prev.early[t]:
                        by_units.add(t)
                elif walk.count(t, units[t]) <= prev.count(t, units[t]):
                    nxt_early[t] = prev.early[t]
                    by_units.add(t)
                elif 3 * (walk.count(t, units[t]) - prev.count(t, units[t])) \
                        < need[t] - prev.count(t, units[t]):
                    by_units.add(t)  # time helps, but too slowly: units from now on
            for t in grow_x:  # units the plan cannot hold: keep what it holds, no more
                if held.get(t, 0.0) > 0.5:
                    nxt_extra[t] = float(max(prev.extra[t], math.floor(extra[t] - held[t])))
                    stuck.add(t)
            if key(walk) > key(best):  # lexicographic: higher levels first
                best = walk
        for _trim in range(trims if best is not cur else 0):
            early = {t: cur.early[t] + (best.early[t] - cur.early[t]) // 2 for t in requested}
            extra = {t: float(cur.extra[t] + math.floor((best.extra[t] - cur.extra[t]) / 2))
                     for t in requested}
            if early == best.early and extra == best.extra:
                break
            if progress is not None:
                progress(f"margins at priority {p}{tag}: trimmed")
            cand = _try(early, extra, p, made, trim=True)
            if cand is None:
                break
            if key(cand) < key(best):
                break
            best = cand
        return best

    for p in sorted({priority[t] for t in requested}):
        mine = [t for t in sorted(requested) if priority[t] == p]
        need = {**frozen, **{t: goal(requested[t], futures, raise_by.get(t, 0.0)) for t in mine}}
        if validate is not None and any(cur.count(t, units[t]) < need[t] for t in mine):
            checked = validate(cur.plan)
            for t in mine:
                if checked[t][0] >= requested[t] - checked[t][1]:
                    need[t] = min(need[t], cur.count(t, units[t]))

        done = [by[t] for t in requested if priority[t] < p and by[t] < min(by[t] for t in mine)]
        hold = held_production(scenario, cur.plan, max(done)) if done else ()
        if PRODUCTION_HOLD_FROM is not None:  # the explicit option: a fixed level
            made = hold if PRODUCTION_HOLD_FROM and p >= PRODUCTION_HOLD_FROM else ()
            best = _walk(cur, p, need, made, rounds, TRIMS)
        elif not hold:
            made, best = (), _walk(cur, p, need, (), rounds, TRIMS)
        else:  # the rule: the level walked with and without the hold, the better kept
            probe = rounds if HOLD_CHOICE == "walk" else 1
            trims = TRIMS if HOLD_CHOICE == "walk" else 0
            free = _walk(cur, p, need, (), probe, trims)
            tied = _walk(cur, p, need, hold, probe, trims)
            keep = prefer_hold(free, tied, need, priority, units)
            history.append({"priority": p, "production_hold_choice": {
                "without": list(_key(free, need, priority, units)),
                "with": list(_key(tied, need, priority, units)), "held": keep}})
            made = hold if keep else ()
            best = (tied if keep else free) if HOLD_CHOICE == "walk" \
                else _walk(cur, p, need, made, rounds, TRIMS)
        if validate is not None and GIVE_BACK_STEPS:
            best = _give_back(best, cur, mine, [t for t in requested if priority[t] < p],
                              requested, validate,
                              functools.partial(_try, p=p, made=made, give_back=True))
        cur = best
        if HOLD:
            holds = held_deliveries(scenario, cur.plan, {names[t] for t in requested
                                                         if priority[t] <= p},
                                    exact=HOLD == "exact")
        frozen.update({t: max(0, min(need[t], cur.count(t, units[t]))
                              - slack(requested[t], futures)) for t in mine})
    cur.solves, cur.history = solves, history
    return cur
