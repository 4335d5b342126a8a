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
  serves every real customer first, so the probe gets only what they leave). The other targets'
  own buffers for their confidences are not counted, so the room for A is at most this.

When room < needed, no unit buffer on A can reach P: the capacity or supply before A's month
lacks at least about needed - room units (more beside the other targets' own buffers). That is
a reason in a planner's words, not a proof that no plan reaches P (a plan could lose less than the
deterministic one, e.g. by holding components).
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
class Room:
    """A short target's unit buffer needed for its confidence, and the room the plan has for it."""

    needed: float  # units beyond the deterministic plan's, for the share P of the planning futures
    room: float | None  # units the plan could add by the target's month (None: not solved)
    futures: int  # planning futures the shortfalls were counted on

    @property
    def too_small(self) -> bool:
        return self.room is not None and self.room < self.needed - 0.5

    def json(self) -> dict[str, object]:
        return {"needed": round(self.needed, 1), "room": None if self.room is None else round(self.room, 1),
                "futures": self.futures, "too_small": self.too_small}


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


def room_for(scenario: Scenario, det: PlanResult, target: int, needed: float, *,
             time_limit: float | None, gap: float) -> float | None:
    """The units target `target`'s customer could receive beyond the deterministic plan by its
    month (the probe's planned units), or None when the probe's plan has no solution or no
    priority is left below every customer (one already has the lowest, MAX_PRIORITY)."""
    from bastion.plan import solve_plan

    tp = det.targets[target]
    if max(c.priority for c in scenario.customers.values()) >= MAX_PRIORITY:
        return None  # no priority below every customer: the probe would compete with some of them
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
    planning futures `fut` (the deterministic plan played by the simulator in them)."""
    short = simulated_shortfall(scenario, det, fut.count, fut.seed) if det.status.has_solution else None
    if short is None:
        return {}
    out = {}
    for t in missed:
        need = needed_buffer(short[t], conf[t])
        if need <= 0.5:
            continue
        if progress is not None:
            progress(f"room for a buffer: {det.targets[t].customer} {det.targets[t].by}")
        out[t] = Room(need, room_for(scenario, det, t, need, time_limit=time_limit, gap=gap), fut.count)
    return out


def room_sentence(r: Room | None, requested: float, tp: TargetPlan) -> str:
    """The planner's sentence for target `tp` (empty when nothing was measured)."""
    if r is None or r.needed <= 0.5 or r.room is None:
        return ""
    item, by, customer = tp.item, tp.by, tp.customer
    head = (f"a unit buffer for {requested:.2f} would be about {r.needed:,.0f} {item} beyond the "
            f"deterministic plan (what it misses by in {requested:.0%} of {r.futures} planning futures)")
    if r.too_small:
        return (f"{head}, but by {by} the plan has room for only {r.room:,.0f} more for {customer} while "
                f"every other target is met (before their own buffers): no unit buffer reaches it; "
                f"at least about {r.needed - r.room:,.0f} more units of capacity or supply before {by} "
                f"would be needed (more beside the higher priorities' own buffers)")
    return (f"{head}; by {by} the plan has room for it while every other target is met, but not "
            f"beside the higher priorities' own buffers, which the search holds first")
