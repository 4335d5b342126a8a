"""The unit-cost learning curve against hand-computed values and brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bastion.economics import cumulative_average, learning_exponent, lot_sum, partial_sum, unit_cost
from bastion.economics.learning import EXACT_UNTIL, learn_line


def test_85_percent_by_hand() -> None:
    assert unit_cost(1, 100.0, 0.85) == pytest.approx(100.0)
    assert unit_cost(2, 100.0, 0.85) == pytest.approx(85.0, rel=1e-12)
    assert unit_cost(4, 100.0, 0.85) == pytest.approx(72.25, rel=1e-12)
    assert unit_cost(8, 100.0, 0.85) == pytest.approx(61.4125, rel=1e-12)
    b = learning_exponent(0.85)
    assert b == pytest.approx(math.log(0.85) / math.log(2))
    assert lot_sum(1, 1, b) == pytest.approx(0.85, rel=1e-12)  # unit 2
    assert lot_sum(3, 1, b) == pytest.approx(0.7225, rel=1e-12)  # unit 4
    # cumulative average of 4 units = (1 + 0.85 + 3^b + 0.7225) / 4
    expected = 100.0 * (1 + 0.85 + 3**b + 0.7225) / 4
    assert cumulative_average(4, 100.0, 0.85) == pytest.approx(expected, rel=1e-12)
    assert cumulative_average(1, 100.0, 0.85) == pytest.approx(100.0)


def test_no_learning_is_linear() -> None:
    assert learning_exponent(1.0) == 0.0
    assert partial_sum(1234.5, 0.0) == 1234.5
    assert lot_sum(10.0, 7.25, 0.0) == 7.25
    assert cumulative_average(1000, 60.0, 1.0) == pytest.approx(60.0)


@pytest.mark.parametrize("rate", [0.5, 0.75, 0.85, 0.88, 0.9, 0.95, 0.99])
def test_partial_sum_against_brute_force(rate: float) -> None:
    b = learning_exponent(rate)
    k = np.arange(1, 10**6 + 1, dtype=float)
    brute = np.cumsum(k**b)
    checks = sorted({*range(1, 200), *np.unique(np.logspace(2, 6, 60).astype(int)).tolist()})
    for n in checks:
        assert partial_sum(float(n), b) == pytest.approx(brute[n - 1], rel=1e-9), n
    assert partial_sum(10**6, b) == pytest.approx(math.fsum((k**b).tolist()), rel=1e-12)


def test_fractional_units_extend_the_sum() -> None:
    b = learning_exponent(0.8)
    for x in (1.25, 1.5, 7.5, EXACT_UNTIL - 0.3, EXACT_UNTIL + 0.3, 999.75, 123456.5):
        # H(x) - H(x - 1) = x^b, also off the integers (generalised harmonic numbers)
        assert partial_sum(x, b) - partial_sum(x - 1, b) == pytest.approx(x**b, rel=1e-9)
    xs = np.linspace(0, 50, 501)
    hs = [partial_sum(float(x), b) for x in xs]
    assert all(np.diff(hs) > 0)
    assert partial_sum(0.0, b) == 0.0


def test_lots_add_up() -> None:
    b = learning_exponent(0.85)
    for before, q1, q2 in ((0.0, 3.5, 10.25), (20.0, 30.0, 5.5), (1e5, 0.3, 2000.7)):
        whole = lot_sum(before, q1 + q2, b)
        parts = lot_sum(before, q1, b) + lot_sum(before + q1, q2, b)
        assert parts == pytest.approx(whole, rel=1e-12)
    # a tiny lot far down the curve costs about one unit's factor, without cancellation
    assert lot_sum(1e6, 1e-3, b) == pytest.approx(1e-3 * (1e6 + 5e-4) ** b, rel=1e-6)


def test_learn_line_prices_lots_in_month_order() -> None:
    b = learning_exponent(0.85)
    ll = learn_line("l", 100.0, 0.85, np.array([0.0, 2.0, 0.0, 2.0]))
    assert ll.cost[0] == 0.0 and ll.cost[2] == 0.0
    assert ll.cost[1] == pytest.approx(100 * (1 + 0.85))
    assert ll.cost[3] == pytest.approx(100 * (3**b + 0.7225))
    assert ll.cumulative_cost[-1] == pytest.approx(100 * partial_sum(4, b))
    assert ll.marginal_unit_cost()[-1] == pytest.approx(72.25)
    flat = learn_line("l", 60.0, 1.0, np.array([1.5, 0.0, 7.25]))
    assert flat.cost.tolist() == [90.0, 0.0, 435.0]


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError):
        learning_exponent(1.2)
    with pytest.raises(ValueError):
        partial_sum(-1.0, -0.2)
    with pytest.raises(ValueError):
        cumulative_average(0, 1.0, 0.9)
