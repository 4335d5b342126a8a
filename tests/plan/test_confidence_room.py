"""Room for a unit buffer (plan/confidence/room.py): hand cases with exact answers."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.plan import solve_plan
from bastion.plan.confidence.futures import all_built_uncertainty, draw_futures, simulated_shortfall
from bastion.plan.confidence.room import Room, needed_buffer, probe_scenario, room_for, room_sentence, rooms_of

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
