"""Room for a unit buffer: could a buffer of finished units reach a short target at all?

For a target A short of its confidence P (docs/method-confidence.md, "Room for a buffer"):

- **needed**: the deterministic plan, played by the simulator in the S planning futures, misses
  A by some shortfall in each; a unit buffer of `needed` units (the ceil(P x S)-th smallest of
  those shortfalls) on top of the deterministic plan is what meeting A in a share P of those
  futures takes, if the extra units arrive whatever happens (the policy delivers a buffer as
  planned; it does not shrink the losses).
- **room**: the most A's customer could receive of A's item by A's month beyond the
  deterministic plan, with every other target and consumption planned as before. It is measured
  by the plan itself (`solve_plan`, the same builder and lexicographic order): a *probe*, a
  customer with A's delivery time, no stock and no consumption, placed below every priority, asks
  for `needed` units by A's month; its planned units are the room (the lexicographic objective
  serves every real customer first, so the probe gets only what they leave). It is measured
  before the other targets' own buffers for their confidences.
- **room beside the higher buffers** (only when the room is enough): the same probe on the
  scenario with every target of a strictly higher priority (a lower number) that asks for a
  confidence raised by its own needed unit buffer (counted the same way, on the same planning
  futures: 0 for one met there in its share already). Targets of A's own priority are not
  raised: the lexicographic objective weighs a level's targets together, so which of them a
  level's capacity goes to first is the plan's choice, not a precedence over A; the lower
  priorities are not raised either (A comes before them).

When the room (or the room beside the higher buffers) < needed, no unit buffer on A can reach
P (beside those buffers): the capacity or supply before A's month lacks at least about
needed - room units. That is a reason in a planner's words, not a proof that no plan reaches P
(a plan could lose less than the deterministic one, e.g. by holding components).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bastion.plan.confidence.futures import Futures, simulated_shortfall
from bastion.plan.result import PlanResult, TargetPlan
from bastion.plan.variant import Step
from bastion.scenario.model import Customer, Scenario, Target
from bastion.scenario.types import MAX_PRIORITY

PROBE_ID = "room-probe"


@dataclass(frozen=True)
class Tried:
    """One candidate of the room step (roomstep.py): the short target's buffer on top of the plan
    kept, with the higher priorities' deliveries held as in it (`hold`) or not."""

    hold: bool  # the higher priorities' cumulative deliveries held at least as in the plan kept
    units: float  # units added to the target's companion
    held: float  # ... of which the plan holds (the companion's shortfall in the plan is the rest)
    base: float  # the companion's units beyond the target in the plan kept, before
    met: int  # planning futures meeting the target with them
    met_before: int  # ... in the plan kept
    met_same: int  # ... by the plan solved with the same hold and no units added
    fell: tuple[tuple[str, int, int], ...] = ()  # (higher target, futures met, its goal): below both
    validated: float | None = None  # its validated probability (None: not validated, no gain in-sample)
    before: float = 0.0  # ... in the plan kept
    kept: bool = False  # the candidate was kept (it validated better)

    def json(self) -> dict[str, object]:
        return {"hold": self.hold, "units": round(self.units, 1), "held": round(self.held, 1),
                "base": round(self.base, 1), "met": self.met, "met_before": self.met_before,
                "met_same": self.met_same, "fell": [{"target": n, "met": m, "goal": g} for n, m, g in self.fell],
                "validated": None if self.validated is None else round(self.validated, 4),
                "before": round(self.before, 4), "kept": self.kept}


@dataclass(frozen=True)
class Room:
    """A short target's unit buffer needed for its confidence, and the room the plan has for it."""

    needed: float  # units beyond the deterministic plan's, for the share P of the planning futures
    room: float | None  # units the plan could add by the target's month (None: not solved)
    futures: int  # planning futures the shortfalls were counted on
    beside: float | None = None  # the room with the higher priorities' own buffers (None: not measured)
    higher: tuple[tuple[str, float], ...] = ()  # ("customer by", its needed buffer) of each raised
    tried: tuple[Tried, ...] = ()  # the room step's candidates, where it was taken

    @property
    def too_small(self) -> bool:
        return self.room is not None and self.room < self.needed - 0.5

    @property
    def too_small_beside(self) -> bool:
        """True when the room beside the higher priorities' own buffers is short of the need."""
        return self.beside is not None and self.beside < self.needed - 0.5

    def json(self) -> dict[str, object]:
        return {"needed": round(self.needed, 1), "room": None if self.room is None else round(self.room, 1),
                "futures": self.futures, "too_small": self.too_small,
                "room_beside_higher": None if self.beside is None else round(self.beside, 1),
                "too_small_beside_higher": self.too_small_beside,
                "higher_buffers": [{"target": n, "units": round(u, 1)} for n, u in self.higher],
                "tried": [c.json() for c in self.tried]}


def needed_buffer(shortfall: np.ndarray, requested: float) -> float:
    """The ceil(P x S)-th smallest of a target's S shortfalls: the unit buffer that meets it in a
    share P of those futures (0 when it is already met there)."""
    s = np.sort(np.asarray(shortfall, dtype=float))
    k = min(len(s), max(1, math.ceil(requested * len(s) - 1e-9)))
    return float(max(s[k - 1], 0.0))


def probe_scenario(scenario: Scenario, customer: str, item: str, by: str, units: float) -> tuple[Scenario, str]:
    """`scenario` with a probe customer below every priority asking for `units` of `item` by `by`,
    delivered as `customer` is; and the probe's id."""
    probe_id = PROBE_ID
    while probe_id in scenario.customers:
        probe_id += "-x"
    lowest = max(c.priority for c in scenario.customers.values())
    real = scenario.customers[customer]
    probe = Customer(name="room probe", country=real.country, priority=min(MAX_PRIORITY, lowest + 1),
                     delivery_months=real.delivery_months,
                     targets=[Target(item=item, by=by, units=units)])
    return scenario.model_copy(update={"customers": {**scenario.customers, probe_id: probe}}), probe_id


def raised_scenario(scenario: Scenario, extra: dict[int, float]) -> Scenario:
    """`scenario` with target t (scenario order: customers, then their targets) asking for
    `extra[t]` more units."""
    if not any(v > 0 for v in extra.values()):
        return scenario
    customers, t = {}, 0
    for cid, c in scenario.customers.items():
        targets = []
        for tg in c.targets:
            more = extra.get(t, 0.0)
            targets.append(tg.model_copy(update={"units": tg.units + more}) if more > 0 else tg)
            t += 1
        customers[cid] = c.model_copy(update={"targets": targets})
    return scenario.model_copy(update={"customers": customers})


def room_for(scenario: Scenario, det: PlanResult, target: int, needed: float, *,
             time_limit: float | None, gap: float, raise_by: dict[int, float] | None = None,
             ) -> float | None:
    """The units target `target`'s customer could receive beyond the deterministic plan by its
    month (the probe's planned units), or None when the probe's plan has no solution or no
    priority is left below every customer (one already has the lowest, MAX_PRIORITY).
    raise_by: units added to other targets first (by position), e.g. their own buffers."""
    from bastion.plan import solve_plan

    tp = det.targets[target]
    if max(c.priority for c in scenario.customers.values()) >= MAX_PRIORITY:
        return None  # no priority below every customer: the probe would compete with some of them
    scenario = raised_scenario(scenario, raise_by or {})
    probed, probe_id = probe_scenario(scenario, tp.customer, tp.item, tp.by, needed)
    plan = solve_plan(probed, time_limit=time_limit, gap=gap, explain=False, sensitivity=False)
    got = [t.planned_units for t in plan.targets if t.customer == probe_id]
    if not plan.status.has_solution or not got or got[0] is None:
        return None
    return float(min(max(got[0], 0.0), needed))


def rooms_of(scenario: Scenario, det: PlanResult, fut: Futures, missed: list[int],
             conf: dict[int, float], *, time_limit: float | None, gap: float,
             progress: Step | None) -> dict[int, Room]:
    """The room for a unit buffer of each short target in `missed`, its need counted on the
    planning futures `fut` (the deterministic plan played by the simulator in them); where the
    room is enough, the room beside the higher priorities' own buffers too (one solve more)."""
    short = simulated_shortfall(scenario, det, fut.count, fut.seed) \
        if det.status.has_solution and missed else None
    if short is None:
        return {}
    need = {t: needed_buffer(short[t], conf[t]) for t in conf}
    out = {}
    for t in missed:
        if need[t] <= 0.5:
            continue
        tp = det.targets[t]
        if progress is not None:
            progress(f"room for a buffer: {tp.customer} {tp.by}")
        room = room_for(scenario, det, t, need[t], time_limit=time_limit, gap=gap)
        higher = {h: need[h] for h in conf
                  if det.targets[h].priority < tp.priority and need[h] > 0.5}
        beside = None
        if room is not None and room >= need[t] - 0.5:
            if higher and progress is not None:
                progress(f"room for a buffer beside the higher priorities' own: {tp.customer} {tp.by}")
            beside = room if not higher else room_for(scenario, det, t, need[t], time_limit=time_limit,
                                                      gap=gap, raise_by=higher)
        names = () if beside is None else tuple(
            (f"{det.targets[h].customer} {det.targets[h].by}", u) for h, u in higher.items())
        out[t] = Room(need[t], room, fut.count, beside, names)
    return out


def room_sentence(r: Room | None, requested: float, tp: TargetPlan) -> str:
    """The planner's sentence for target `tp` (empty when nothing was measured): every clause
    is a number measured by `rooms_of`."""
    if r is None or r.needed <= 0.5 or r.room is None:
        return ""
    item, by, customer = tp.item, tp.by, tp.customer
    head = (f"a unit buffer for {requested:.2f} would be about {r.needed:,.0f} {item} beyond the "
            f"deterministic plan (what it misses by in {requested:.0%} of {r.futures} planning futures)")
    if r.too_small:
        return (f"{head}, but by {by} the plan has room for only {r.room:,.0f} more for {customer} while "
                f"every other target is met (before their own buffers): no unit buffer reaches it; "
                f"at least about {r.needed - r.room:,.0f} more units of capacity or supply before {by} "
                f"would be needed")
    fits = f"{head}; by {by} the plan has room for it while every other target is met"
    if r.beside is None:  # not measured (the probe beside the higher buffers had no solution)
        return f"{fits} (before their own buffers)"
    if not r.higher:
        fits = f"{fits}, and no higher priority needs a buffer of its own there"
    else:
        total = sum(u for _, u in r.higher)
        listed = ", ".join(f"{n} {u:,.0f}" for n, u in r.higher)
        buffers = f"the higher priorities' own buffers ({total:,.0f} units: {listed})"
        if r.too_small_beside:
            return (f"{fits}, but beside {buffers} only for {r.beside:,.0f} more: no unit buffer "
                    f"reaches it while they hold theirs; at least about {r.needed - r.beside:,.0f} "
                    f"more units of capacity or supply before {by} would be needed")
        fits = f"{fits}, and beside {buffers} too"
    return f"{fits}; {tried_clause(r.tried, requested, r.futures)}"


def tried_clause(tried: tuple[Tried, ...], requested: float, futures: int) -> str:
    """What the room step measured (roomstep.py), in a planner's words."""
    if not tried:
        return "the search did not find a plan that uses that room"
    first = tried[0]
    parts = []
    for k, tr in enumerate(tried):
        how = ("with the higher priorities' deliveries held as planned" if tr.hold
               else "without that hold" if first.hold else "without holds")
        part = "" if tr.held >= tr.units - 0.5 else f" (the plan can hold only {tr.held:,.0f})"
        text = (f"{how}{part}, they meet it in {tr.met} of the {futures} planning futures, against "
                f"{tr.met_same} for the same plan without them ({tr.met_before} the plan kept)"
                if k == 0 else f"{how}{part}, in {tr.met} against {tr.met_same}")
        if tr.fell:
            text += " (" + ", ".join(f"{n} then in only {m}, its goal {g}" for n, m, g in tr.fell) + ")"
        if tr.validated is not None:
            text += (f"; validated at {tr.validated:.3f} ({tr.before:.3f} the plan kept): "
                     + ("kept" if tr.kept else "not better by priority level, not kept"))
        parts.append(text)
    head = (f"put on top of the plan at {requested:.2f} (which holds {first.base:,.0f} more for it "
            f"already), {first.units:,.0f} more units: ")
    tail = "" if any(tr.kept for tr in tried) else (
        f"; so no unit buffer on top of this plan carried it to {requested:.2f} while the higher "
        f"priorities keep what they have")
    return head + "; ".join(parts) + tail
