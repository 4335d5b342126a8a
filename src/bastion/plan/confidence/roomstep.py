"""The room step: where the room beside the higher priorities' own buffers is enough for a short
target's unit buffer (room.py), one more candidate of the buffer route puts that buffer on top of
the plan kept (docs/method-confidence.md, "Room for a unit buffer").

The candidate is the kept search state with target A's companion raised by A's `needed` units
(the buffer the probe got), the higher priorities' deliveries held at the kept plan's (at
least those, as the search holds a level done), the same component buffers. It is solved and
played in the planning futures like the search's candidates; only when it meets A in more of
them is it validated, and it is kept only when it validates better by priority level in order
(rounds.py, `better`) and every higher target that validated at its P still does.

Pure: no printing, no files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from bastion.plan.confidence.levels import Searched, _play, _solve, held_deliveries
from bastion.plan.confidence.room import Room, Tried
from bastion.plan.confidence.rounds import better
from bastion.plan.index import Floor
from bastion.plan.result import PlanResult
from bastion.scenario.model import Scenario
from bastion.simulate.result import SimulationResult

Step = Callable[[str], None]


def reached(sim: SimulationResult, conf: dict[int, float], t: int) -> bool:
    """Target t validates at its P (within one standard error, as the result reports it)."""
    return sim.targets[t].probability >= conf[t] - sim.targets[t].stderr


def use_room(scenario: Scenario, found: Searched, sim: SimulationResult, rooms: dict[int, Room],
             conf: dict[int, float], prio: list[int], units: list[float], *, futures: int,
             seed: int, floors: tuple[Floor, ...], time_limit: float | None, gap: float,
             progress: Step | None, simulate_plan: Callable[[PlanResult], SimulationResult],
             ) -> tuple[Searched, SimulationResult, dict[int, Room], list[dict[str, object]]]:
    """The room step for each short target (priority order) whose room beside the higher
    buffers is enough: the state and validation kept, the rooms with what was tried, and the
    history entries."""
    names = [c for c, cust in scenario.customers.items() for _ in cust.targets]
    history: list[dict[str, object]] = []
    for t in sorted(rooms, key=lambda t: (prio[t], t)):
        r = rooms[t]
        if r.beside is None or r.too_small_beside or reached(sim, conf, t):
            continue
        if progress is not None:
            progress(f"room step: target {t + 1} +{r.needed:,.0f} units on top of the plan kept")
        extra = {**found.extra, t: min(units[t], found.extra.get(t, 0.0) + float(round(r.needed)))}
        higher = {names[h] for h in conf if prio[h] < prio[t]}
        holds = held_deliveries(scenario, found.plan, higher)
        plan, held = _solve(scenario, found.early, extra, time_limit=time_limit, gap=gap,
                            progress=progress, floors=floors, deliveries=holds)
        entry: dict[str, object] = {"room_step": t, "extra_units": {str(k): v for k, v in extra.items()},
                                    "base_extra": found.extra.get(t, 0.0)}
        if not plan.status.has_solution:
            history.append({**entry, "no_solution": plan.status.value})
            continue
        st = Searched(plan, found.early, extra, _play(scenario, plan, futures, seed, len(units)), held)
        met, met0 = st.count(t, units[t]), found.count(t, units[t])
        entry |= {"in_sample": {str(k): round(st.share(k, units[k]), 4) for k in conf},
                  "held_short": round(held.get(t, 0.0), 1)}
        cand: SimulationResult | None = None
        keep = False
        if met > met0:
            cand = simulate_plan(st.plan)
            keep = better(cand, sim, conf, prio) and all(
                reached(cand, conf, h) for h in conf if prio[h] < prio[t] and reached(sim, conf, h))
            entry |= {"validated": {str(k): round(cand.targets[k].probability, 4) for k in conf},
                      "kept": keep}
        history.append(entry)
        rooms[t] = dataclasses.replace(r, tried=Tried(
            units=extra[t] - found.extra.get(t, 0.0), base=found.extra.get(t, 0.0), met=met,
            met_before=met0, validated=None if cand is None else cand.targets[t].probability,
            before=sim.targets[t].probability, kept=keep))
        if keep and cand is not None:
            found, sim = st, cand
    return found, sim, rooms, history
