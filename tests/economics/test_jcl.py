"""The joint confidence level on synthetic samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bastion.economics import goal_months, jcl, joint_probability


def test_independent_joint_is_the_product() -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    cost = rng.lognormal(5.0, 0.3, n)
    month = rng.integers(10, 40, n)
    res = jcl(cost, month, cost_grid=np.quantile(cost, [0.2, 0.5, 0.8]), month_grid=[15, 25, 35])
    for i, d in enumerate(res.month_grid):
        for j, c in enumerate(res.cost_grid):
            pd, pc = float((month <= d).mean()), float((cost <= c).mean())
            sigma = math.sqrt(pd * pc * (1 - pd * pc) / n)
            assert abs(res.surface[i, j] - pd * pc) < 5 * sigma + 1e-12
            assert res.surface[i, j] == pytest.approx(joint_probability(cost, month, d, c))
    # the 70 % point of independent marginals needs more than the marginal P70s
    assert res.month is not None and res.cost is not None
    assert res.probability is not None and res.probability >= 0.7
    assert res.marginal_cost is not None and res.cost > res.marginal_cost


def test_comonotone_joint_is_the_minimum() -> None:
    rng = np.random.default_rng(3)
    u = rng.random(50_000)
    cost = 1e6 * (1 + u)
    month = np.floor(30 * u).astype(int)  # late paths are the dear ones
    res = jcl(cost, month, month_grid=[5, 10, 20, 29], cost_grid=[1.1e6, 1.5e6, 1.9e6])
    for i, d in enumerate(res.month_grid):
        for j, c in enumerate(res.cost_grid):
            pd, pc = float((month <= d).mean()), float((cost <= c).mean())
            assert res.surface[i, j] == pytest.approx(min(pd, pc), abs=1e-12)
    # with full dependence the joint 70 % point is the pair of marginal P70s
    assert res.cost == pytest.approx(res.marginal_cost)
    assert res.month == res.marginal_month


HAND_COST = [100, 90, 120, 80, 110, 95, 130, 85, 105, 115]
HAND_MONTH = [3, 5, 2, 6, 4, 3, 7, -1, 5, 4]


def test_hand_made_sample() -> None:
    res = jcl(HAND_COST, HAND_MONTH, level=0.7)
    # done by month 5: 7 of 10 paths, costs 90 95 100 105 110 115 120 -> C* = 120
    assert res.month == 5 and res.cost == 120
    assert res.probability == pytest.approx(0.7)
    # later months buy lower cost: (6, 115); month 7 adds nothing cheaper
    assert res.frontier == ((5.0, 120.0), (6.0, 115.0))
    assert res.marginal_cost == 110 and res.marginal_month == 5
    assert joint_probability(HAND_COST, HAND_MONTH, 5, 110) == pytest.approx(0.5)
    assert joint_probability(HAND_COST, HAND_MONTH, 4, 1e9) == pytest.approx(0.5)  # earlier: never 0.7
    assert res.reached_share == pytest.approx(0.9)
    months, probs = res.schedule_curve
    assert months.tolist() == [2, 3, 4, 5, 6, 7] and probs[-1] == pytest.approx(0.9)
    costs, cprobs = res.cost_curve
    assert costs[0] == 80 and cprobs[-1] == 1.0


def test_never_reached_paths_and_goal_months() -> None:
    tm = np.array([[3, 8], [5, -1], [2, 4], [np.nan, 1]])
    assert np.array_equal(goal_months(tm), [8, np.nan, 4, np.nan], equal_nan=True)
    assert np.array_equal(goal_months(tm, target=0), [3, 5, 2, np.nan], equal_nan=True)
    res = jcl([1.0, 2.0, 3.0, 4.0], goal_months(tm), level=0.5)
    assert res.month == 8 and res.cost == 3.0
    short = jcl([1.0, 2.0, 3.0, 4.0], goal_months(tm), level=0.75)
    assert short.month is None and short.cost is None and short.frontier == ()


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError):
        jcl([1.0, 2.0], [1], level=0.7)
    with pytest.raises(ValueError):
        jcl([1.0], [1], level=1.0)
    with pytest.raises(ValueError):
        jcl([], [])


def test_continuous_times_count_in_their_month() -> None:
    res = jcl([1.0, 2.0, 3.0], [3.5, 3.2, 4.99], level=0.6)
    assert res.month == 3 and res.cost == 2.0
    assert res.month_grid.tolist() == [3.0, 4.0]
