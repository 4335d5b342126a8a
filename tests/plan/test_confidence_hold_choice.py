"""The production hold decided per scenario and level (levels.py `prefer_hold`, `HOLD_CHOICE`,
docs/method-confidence.md "Holding the levels done's production"): each level with a level done
before it is walked with and without the hold, and the better walk by the level's key is kept."""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import pytest

from bastion.plan.confidence import levels, plan_at_confidence
from bastion.plan.confidence.levels import Searched, prefer_hold
from bastion.plan.result import PlanResult

from .conftest import scenario
from .test_confidence_buffer import TWO_PRIORITIES

PRIO = [1, 2]
UNITS = [100.0, 100.0]
NEED = {0: 2, 1: 2}  # each target must be met in 2 of the 3 futures


def _walked(*met: int) -> Searched:
    """A state meeting target t in its first met[t] of 3 futures (shortfall 0, else 50)."""
    short = np.array([[0.0 if s < m else 50.0 for s in range(3)] for m in met])
    return Searched(cast(PlanResult, None), {}, {}, short)


@pytest.mark.parametrize(("free", "tied", "held"), [
    ((3, 1), (2, 2), True),  # keys (2, 1) < (2, 2): the hold lifts priority 2
    ((3, 0), (1, 3), False),  # (2, 0) > (1, 2): priority 1 decides first, whatever 2 gains
    ((2, 2), (3, 2), True),  # keys tie at (2, 2); met without the cap (2, 2) < (3, 2)
    ((3, 2), (3, 2), False),  # a full tie: the walk without the hold (no rows not needed)
    ((2, 3), (3, 2), True),  # keys tie; uncapped (2, 3) < (3, 2): priority 1 first
])
def test_the_better_walk_by_the_level_key_is_kept(free: tuple[int, int], tied: tuple[int, int],
                                                  held: bool) -> None:
    assert prefer_hold(_walked(*free), _walked(*tied), NEED, PRIO, UNITS) is held


@pytest.mark.parametrize("choice", ["walk", "first"])
def test_the_choice_is_recorded_per_level_with_a_level_done_before_it(
        monkeypatch: pytest.MonkeyPatch, choice: str) -> None:
    """Two priorities: priority 1's `by` (2026-06) comes before priority 2's, so level 2 is
    walked both ways and the choice recorded once per round; both walks' steps are tagged.
    The answer does not move: priority 1 at its 0.9, priority 2 at 2/e (hand-solved in
    test_confidence_buffer.py)."""
    monkeypatch.setattr(levels, "HOLD_CHOICE", choice)
    r = plan_at_confidence(scenario(TWO_PRIORITIES), 0.9, method="buffer", futures=100,
                           paths=4096)
    choices = [h for h in r.history if "production_hold_choice" in h]
    assert choices and all(h["priority"] == 2 for h in choices)
    rounds = {h["round"] for h in r.history if "validated" in h}
    assert {h["round"] for h in choices} == rounds
    for h in choices:
        c = h["production_hold_choice"]
        assert isinstance(c, dict) and set(c) == {"without", "with", "held"}
        assert len(c["without"]) == len(c["with"]) == 2
    tags = {h["production_hold"] for h in r.history if h.get("priority") == 2
            and "in_sample" in h and "production_hold" in h}
    assert tags == {False, True}
    first, second = r.targets
    assert first.validated is not None and second.validated is not None
    assert first.reached and first.validated.probability >= 0.9
    assert second.validated.probability == pytest.approx(2 / math.e, abs=0.025)


def test_a_fixed_level_is_an_explicit_option(monkeypatch: pytest.MonkeyPatch) -> None:
    """PRODUCTION_HOLD_FROM = 0: never held, nothing to choose, no step held."""
    monkeypatch.setattr(levels, "PRODUCTION_HOLD_FROM", 0)
    r = plan_at_confidence(scenario(TWO_PRIORITIES), 0.9, method="buffer", futures=60,
                           paths=2048)
    assert not [h for h in r.history if "production_hold_choice" in h]
    assert not [h for h in r.history if h.get("production_hold")]
