"""The room step: where the room beside the higher priorities' own buffers is enough for a short
target's unit buffer (room.py), the buffer route tries that buffer on top of the plan kept
(docs/method-confidence.md, "Room for a unit buffer").

Two candidates, in order: the kept search state with target A's companion raised by A's `needed`
units (the buffer the probe got), the same component buffers, and (1) the higher priorities'
cumulative deliveries held at least as in the plan kept (as the search holds a level done),
(2) without that hold (as the probe had none). Each is solved and played in the planning futures
like the search's candidates (and, to tell what the units added do, the same plan with the same
hold and no units added, `met_same`); it is validated only when it meets A in more of them and no
higher target falls below both its goal and what it met before (the search's in-sample rule),
and kept only when it validates better by priority level in order (rounds.py, `better`) and
every higher target that validated at its P still does. The second is not tried once the first
is kept.

Pure: no printing, no files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from bastion.plan.confidence.levels import Searched, goal, held_deliveries, play_in_futures, solve_with_companions
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
        base = found.extra.get(t, 0.0)
        extra = {**found.extra, t: min(units[t], base + float(round(r.needed)))}
        higher = [h for h in conf if prio[h] < prio[t]]
        tried: list[Tried] = []
        for hold in (True, False):
            if progress is not None:
                progress(f"room step: target {t + 1} +{extra[t] - base:,.0f} units on top of the "
                         f"plan kept ({'higher deliveries held' if hold else 'no hold'})")
            holds = held_deliveries(scenario, found.plan, {names[h] for h in higher}) if hold else ()
            plan, held = solve_with_companions(scenario, found.early, extra, time_limit=time_limit, gap=gap,
                                progress=progress, floors=floors, deliveries=holds)
            same, _ = solve_with_companions(scenario, found.early, found.extra, time_limit=time_limit, gap=gap,
                             progress=progress, floors=floors, deliveries=holds)
            entry: dict[str, object] = {"room_step": t, "hold": hold,
                                        "extra_units": {str(k): v for k, v in extra.items()}}
            if not plan.status.has_solution or not same.status.has_solution:
                history.append({**entry, "no_solution": plan.status.value})
                continue
            st = Searched(plan, found.early, extra, play_in_futures(scenario, plan, futures, seed, len(units)),
                          held)
            met, met0 = st.count(t, units[t]), found.count(t, units[t])
            met_same = int((play_in_futures(scenario, same, futures, seed, len(units))[t]
                            <= 1e-6 * max(1.0, units[t])).sum())
            fell = tuple((f"{plan.targets[h].customer} {plan.targets[h].by}", st.count(h, units[h]),
                          goal(conf[h], futures)) for h in higher
                         if st.count(h, units[h]) < min(goal(conf[h], futures),
                                                        found.count(h, units[h])))
            entry |= {"in_sample": {str(k): round(st.share(k, units[k]), 4) for k in conf},
                      "held_short": round(held.get(t, 0.0), 1), "met_same": met_same}
            cand: SimulationResult | None = None
            keep = False
            if met > met0 and not fell:
                cand = simulate_plan(st.plan)
                keep = better(cand, sim, conf, prio) and all(
                    reached(cand, conf, h) for h in higher if reached(sim, conf, h))
                entry |= {"validated": {str(k): round(cand.targets[k].probability, 4)
                                        for k in conf}, "kept": keep}
            history.append(entry)
            more = extra[t] - base
            tried.append(Tried(hold=hold, units=more, held=max(0.0, more - held.get(t, 0.0)),
                               base=base, met=met, met_before=met0, met_same=met_same, fell=fell,
                               validated=None if cand is None else cand.targets[t].probability,
                               before=sim.targets[t].probability, kept=keep))
            if keep and cand is not None:
                found, sim = st, cand
                break
        rooms[t] = dataclasses.replace(r, tried=tuple(tried))
    return found, sim, rooms, history
