"""Room for a unit buffer (plan/confidence/room.py): hand cases with exact answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bastion.plan import PlanResult, solve_plan
from bastion.plan.confidence.futures import all_built_uncertainty, draw_futures, simulated_shortfall
from bastion.plan.confidence.levels import Searched
from bastion.plan.confidence.room import (
    Room,
    Tried,
    needed_buffer,
    probe_scenario,
    raised_scenario,
    room_for,
    room_sentence,
    rooms_of,
)
from bastion.plan.confidence.roomstep import use_room
from bastion.simulate import SimulationResult, simulate

from .conftest import scenario
from .test_confidence_buffer import TWO_PRIORITIES

# 100 a month for 12 months (1,200); priority 1: 500 by June; priority 2: 650 by December.
TIGHT = TWO_PRIORITIES.replace("units: 600", "units: 650")


def test_needed_is_the_shortfall_a_share_p_of_futures_stays_within() -> None:
    short = np.array([200.0, 0.0, 100.0, 0.0, 0.0])
    assert needed_buffer(short, 0.6) == 0.0  # three of five futures are met already
    assert needed_buffer(short, 0.8) == 100.0  # the fourth smallest
    assert needed_buffer(short, 1.0) == 200.0
    assert needed_buffer(np.array([-1e-9, 0.0]), 0.9) == 0.0


def test_the_probe_is_below_every_priority_and_delivered_as_the_customer() -> None:
    sc = scenario(TIGHT)
    probed, pid = probe_scenario(sc, "second", "shell", "2026-12", 400.0)
    probe = probed.customers[pid]
    assert pid not in sc.customers and probe.priority == 3
    assert probe.delivery_months == sc.customers["second"].delivery_months
    assert [(t.item, t.by, t.units) for t in probe.targets] == [("shell", "2026-12", 400.0)]
    assert set(sc.customers) == {"first", "second"}  # the scenario itself is untouched


def test_room_is_what_the_capacity_leaves_after_every_target() -> None:
    """1,200 made in the year, 500 + 650 planned: room for 50 more by December (asked 400), and
    for all of 30 asked; by June only 600 - 500 = 100 can reach the second customer."""
    sc = scenario(TIGHT)
    det = solve_plan(sc, explain=False, sensitivity=False)
    assert room_for(sc, det, 1, 400.0, time_limit=None, gap=1e-6) == pytest.approx(50.0, abs=1e-4)
    assert room_for(sc, det, 1, 30.0, time_limit=None, gap=1e-6) == pytest.approx(30.0, abs=1e-4)


def test_a_short_target_with_too_little_room_says_so() -> None:
    """The deterministic plan's losses fall on priority 2; at 0.9 its unit buffer is the 36th
    smallest of 40 shortfalls, more than the 50 units of room."""
    sc = scenario(TIGHT)
    det = solve_plan(sc, explain=False, sensitivity=False)
    fut = draw_futures(sc, all_built_uncertainty(sc, det), 40, 3)
    short = simulated_shortfall(sc, det, 40, 3)
    assert short is not None
    need = float(np.sort(short[1])[35])
    assert need > 50.0
    rooms = rooms_of(sc, det, fut, [1], {0: 0.9, 1: 0.9}, time_limit=None, gap=1e-6, progress=None)
    r = rooms[1]
    assert r.needed == pytest.approx(need) and r.room == pytest.approx(50.0, abs=1e-4) and r.too_small
    text = room_sentence(r, 0.9, det.targets[1])
    assert f"about {need:,.0f} shell beyond the deterministic plan" in text
    assert "room for only 50 more for second" in text and "no unit buffer reaches it" in text
    assert r.json()["too_small"] is True
    roomy = Room(needed=40.0, room=40.0, futures=40)
    assert not roomy.too_small
    assert "has room for it while every other target is met" in room_sentence(roomy, 0.9, det.targets[1])


# 100 a month for 12 months (1,200); priority 1: 500 by June; priority 2: 500 by December.
BESIDE = TWO_PRIORITIES.replace("units: 600", "units: 500")


def test_room_beside_a_higher_buffer_is_what_is_left_once_it_is_held() -> None:
    """Raised by 80, the first customer holds 580 by June (600 made by then); the second's 500
    and the probe share the rest of the year's 1,200: 1,200 - 580 - 500 = 120. Raised by 150,
    the first can hold only 600 by June: 1,200 - 600 - 500 = 100."""
    sc = scenario(BESIDE)
    det = solve_plan(sc, explain=False, sensitivity=False)
    assert room_for(sc, det, 1, 1000.0, time_limit=None, gap=1e-6) == pytest.approx(200.0, abs=1e-4)
    for more, room in ((80.0, 120.0), (150.0, 100.0)):
        got = room_for(sc, det, 1, 1000.0, time_limit=None, gap=1e-6, raise_by={0: more})
        assert got == pytest.approx(room, abs=1e-4)
    raised = raised_scenario(sc, {0: 80.0})
    assert [t.units for c in raised.customers.values() for t in c.targets] == [580.0, 500.0]
    assert raised_scenario(sc, {}) is sc


def test_the_room_beside_the_higher_buffers_is_measured_and_said() -> None:
    """On 100 planning futures (seed 0) the first customer's buffer at 0.9 is more than the 100
    units spare by June, so beside it the first holds all 600 made by then and the probe gets
    1,200 - 600 - 500 = 100; the second's own need is just over 100: the room before the
    buffers (200) is enough, the room beside them is not."""
    sc = scenario(BESIDE)
    det = solve_plan(sc, explain=False, sensitivity=False)
    fut = draw_futures(sc, all_built_uncertainty(sc, det), 100, 0)
    short = simulated_shortfall(sc, det, 100, 0)
    assert short is not None
    need0, need1 = (float(np.sort(short[t])[89]) for t in (0, 1))
    assert need0 > 100.5 and 100.5 < need1 < 200.0
    rooms = rooms_of(sc, det, fut, [1], {0: 0.9, 1: 0.9}, time_limit=None, gap=1e-6, progress=None)
    r = rooms[1]
    assert r.needed == pytest.approx(need1) and r.room == pytest.approx(need1, abs=1e-4)
    assert not r.too_small and r.too_small_beside
    assert r.beside == pytest.approx(100.0, abs=1e-4)
    assert r.higher == (("first 2026-06", pytest.approx(need0)),)
    js = r.json()
    assert js["room_beside_higher"] == pytest.approx(100.0) and js["too_small_beside_higher"] is True
    assert js["higher_buffers"] == [{"target": "first 2026-06", "units": round(need0, 1)}]
    assert js["too_small"] is False and js["room"] == round(need1, 1) and js["tried"] == []
    text = room_sentence(r, 0.9, det.targets[1])
    assert "has room for it while every other target is met" in text
    assert (f"beside the higher priorities' own buffers ({need0:,.0f} units: first 2026-06 "
            f"{need0:,.0f}) only for 100 more: no unit buffer reaches it while they hold theirs") in text
    assert f"at least about {need1 - 100:,.0f} more units of capacity or supply before 2026-12" in text


def test_a_target_with_room_beside_the_higher_buffers_says_what_the_room_step_found() -> None:
    """Every clause is a number measured: no higher buffer, room beside it, and each outcome of
    the room step (roomstep.py)."""
    det = solve_plan(scenario(BESIDE), explain=False, sensitivity=False)
    target = det.targets[1]
    alone = Room(needed=40.0, room=40.0, futures=40, beside=40.0)
    assert "no higher priority needs a buffer of its own there; the search did not find" in \
        room_sentence(alone, 0.9, target)
    fits = Room(needed=40.0, room=40.0, futures=40, beside=40.0, higher=(("first 2026-06", 30.0),))
    assert not fits.too_small_beside
    assert ("and beside the higher priorities' own buffers (30 units: first 2026-06 30) too; the "
            "search did not find a plan that uses that room") in room_sentence(fits, 0.9, target)
    same = Tried(hold=True, units=40.0, held=40.0, base=25.0, met=30, met_before=31, met_same=30,
                 before=0.75)
    text = room_sentence(dataclasses.replace(fits, tried=(same,)), 0.9, target)
    assert ("put on top of the plan at 0.90 (which holds 25 more for it already), 40 more units: "
            "with the higher priorities' deliveries held as planned, they meet it in 30 of the 40 "
            "planning futures, against 30 for the same plan without them (31 the plan kept); so no "
            "unit buffer on top of this plan carried it to 0.90 while the higher priorities keep "
            "what they have") in text
    fewer = dataclasses.replace(same, held=31.0)
    free = dataclasses.replace(same, hold=False, met=34, met_same=33, fell=(("first 2026-06", 30, 36),))
    text = room_sentence(dataclasses.replace(fits, tried=(fewer, free)), 0.9, target)
    assert ("held as planned (the plan can hold only 31), they meet it in 30 of the 40 planning "
            "futures, against 30 for the same plan without them (31 the plan kept); without that "
            "hold, in 34 against 33 (first 2026-06 then in only 30, its goal 36); so no unit buffer") in text
    worse = dataclasses.replace(same, met=33, validated=0.74)
    assert "they meet it in 33 of the 40 planning futures, against 30 for the same plan without them " \
        "(31 the plan kept); validated at 0.740 (0.750 the plan kept): not better by priority level, " \
        "not kept" in room_sentence(dataclasses.replace(fits, tried=(worse,)), 0.9, target)
    kept = dataclasses.replace(same, met=35, validated=0.85, kept=True)
    text = room_sentence(dataclasses.replace(fits, tried=(kept,)), 0.9, target)
    assert text.endswith("in 35 of the 40 planning futures, against 30 for the same plan without them "
                         "(31 the plan kept); validated at 0.850 (0.750 the plan kept): kept")
    assert dataclasses.replace(fits, tried=(free,)).json()["tried"] == [{
        "hold": False, "units": 40.0, "held": 40.0, "base": 25.0, "met": 34, "met_before": 31,
        "met_same": 33, "fell": [{"target": "first 2026-06", "met": 30, "goal": 36}],
        "validated": None, "before": 0.75, "kept": False}]


def test_the_room_step_puts_the_buffer_on_top_and_keeps_it_when_it_validates_better() -> None:
    """Second customer at 300 by December (room 400 by then, 300 beside the first's buffer): the
    step raises its companion by its need (100 on 40 futures, seed 3) with the first's deliveries
    held as planned; the plan then holds 400 for it by December, meets it in more planning
    futures and validates better, so it is kept (and the second candidate is not tried)."""
    sc = scenario(TWO_PRIORITIES.replace("units: 600", "units: 300"))
    det = solve_plan(sc, explain=False, sensitivity=False)
    fut = draw_futures(sc, all_built_uncertainty(sc, det), 40, 3)
    conf, prio, units = {0: 0.9, 1: 0.9}, [1, 2], [500.0, 300.0]
    rooms = rooms_of(sc, det, fut, [1], conf, time_limit=None, gap=1e-6, progress=None)
    r = rooms[1]
    assert r.needed == pytest.approx(100.0, abs=1e-3) and not r.too_small_beside

    def validate(plan: PlanResult) -> SimulationResult:
        return simulate(sc, plan, paths=2000, seed=1)

    short = simulated_shortfall(sc, det, 40, fut.seed)
    assert short is not None
    found = Searched(det, {}, {}, short)
    sim = validate(det)
    got, gsim, grooms, history = use_room(sc, found, sim, dict(rooms), conf, prio, units,
                                          futures=40, seed=fut.seed, floors=(), time_limit=None,
                                          gap=1e-6, progress=None, simulate_plan=validate)
    (tried,) = grooms[1].tried
    assert tried.hold and tried.kept and tried.units == 100.0 and tried.held == pytest.approx(100.0)
    assert tried.met > tried.met_before == tried.met_same == found.count(1, 300.0)
    assert got.extra == {1: 100.0} and got.plan.targets[1].planned_units == pytest.approx(400.0, abs=1e-3)
    assert gsim.targets[1].probability > sim.targets[1].probability
    assert gsim.targets[0].probability == pytest.approx(sim.targets[0].probability, abs=0.02)
    assert [(h["room_step"], h["hold"], h["kept"]) for h in history] == [(1, True, True)]
