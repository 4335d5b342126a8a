"""Validated plans compared by priority level (rounds.py `better`, `validated_key`): the buffer
route keeps the best of its rounds and of the covers it searches (issue 15,
docs/method-confidence.md "Validation and correction")."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from bastion.plan.confidence.rounds import better, validated_key
from bastion.simulate.result import SimulationResult

CONF = {0: 0.9, 1: 0.9, 2: 0.9}
PRIO = [1, 2, 3]


def _sim(*probs: tuple[float, float]) -> SimulationResult:
    """A stand-in validation: (probability, stderr) per target."""
    return cast(SimulationResult, SimpleNamespace(targets=tuple(
        SimpleNamespace(probability=p, stderr=e) for p, e in probs)))


def test_a_target_that_validates_counts_its_p() -> None:
    """min(P, p + stderr) per target: 0.898 + 0.003 counts 0.9, 0.80 + 0.004 counts 0.804."""
    key = validated_key(_sim((0.898, 0.003), (0.80, 0.004), (0.95, 0.002)), CONF, PRIO)
    assert key == (0.9, 0.804, 0.9)


def test_a_difference_within_two_errors_is_a_tie_and_the_next_level_decides() -> None:
    """Priority 2 at 0.818 against 0.811 (errors 0.0039 each: the difference 0.007 is under
    2 x sqrt(2) x 0.0039 = 0.011): a tie; priority 3 at 0.325 against 0.689 decides."""
    low3 = _sim((0.915, 0.0028), (0.818, 0.0039), (0.325, 0.0047))
    high3 = _sim((0.900, 0.0030), (0.811, 0.0039), (0.689, 0.0046))
    assert better(high3, low3, CONF, PRIO)
    assert not better(low3, high3, CONF, PRIO)


def test_a_higher_level_decides_first() -> None:
    """Priority 2 at 0.835 against 0.773 (well beyond its errors) decides, whatever priority 3
    does; every level tied: neither is better."""
    a = _sim((0.901, 0.003), (0.835, 0.0037), (0.334, 0.0047))
    b = _sim((0.901, 0.003), (0.773, 0.0042), (0.900, 0.003))
    assert better(a, b, CONF, PRIO)
    assert not better(b, a, CONF, PRIO)
    assert not better(a, a, CONF, PRIO)
