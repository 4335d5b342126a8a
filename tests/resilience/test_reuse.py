"""Work shared or cut without changing a figure: the split's reach, the window reference."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.online import line_online_months
from bastion.plan.optimise import solve_model
from bastion.resilience.analysis import reference_month
from bastion.resilience.nodes import list_nodes
from bastion.resilience.outage import OutageModel
from bastion.resilience.preplan import most_stock_at
from bastion.resilience.split import bom_levels, lag_months
from bastion.resilience.state import PlanState
from bastion.resilience.weights import loss_weights
from bastion.scenario import Scenario, load_text

# a three-level chain: mat (bought, lead 2) -> sub (acceptance 1) -> atm (acceptance 1),
# and a second, unrelated material bought for nothing; 100 atm used a month
CHAIN = """
bastion: 1
name: chain
horizon: {start: "2026-01", months: 24}
items:
  atm: {made: true, bom: {sub: 1}}
  sub: {made: true, bom: {mat: 2}}
  mat: {made: false}
suppliers:
  sup-a:
    country: LV
    supplies: {mat: {price: 1, lead_time_months: 2, capacity_per_month: 260}}
    disruption: {rate_per_year: 0.1, recovery_months: [0.5, 2.5, 4]}
sites:
  plant:
    country: LV
    initial_store: {mat: 150, sub: 60}
    lines:
      line-s:
        makes: [sub]
        capacity_per_month: 130
        acceptance_months: 1
      line-a:
        makes: [atm]
        capacity_per_month: 130
        acceptance_months: 1
customers:
  army:
    country: LV
    initial_stock: {atm: 250}
    consumption: {atm: 100}
"""


def _outage_model(sc: Scenario) -> OutageModel:
    """The outage LP as `resilience` builds it (default M, whole horizon)."""
    solved = solve_model(sc, line_online_months(sc), None, time_limit=None, gap=1e-4)
    assert solved.sol is not None and solved.run.x is not None
    state = PlanState.from_solution(solved.ix, solved.model, solved.run.x, solved.sol.built)
    at, _rule = reference_month(sc, state, None)
    x, _rule = most_stock_at(solved, at)
    state = PlanState.from_solution(solved.ix, solved.model, x, solved.sol.built)
    weights, _basis = loss_weights(sc)
    return OutageModel(sc, state, at, sc.horizon.months, weights)


def test_bom_levels_is_the_longest_chain_of_made_items() -> None:
    assert bom_levels({}) == 0
    assert bom_levels({1: ((0, 1.0),)}) == 1
    # 3 from 2 and 0, 2 from 1, 1 from 0: the chain 3-2-1 has three made items
    assert bom_levels({3: ((2, 1.0), (0, 1.0)), 2: ((1, 1.0),), 1: ((0, 1.0),)}) == 3
    assert bom_levels({k: ((k - 1, 1.0),) for k in range(1, 3000)}) == 2999  # no recursion


def test_lag_counts_bom_levels_not_made_items() -> None:
    om = _outage_model(load_text(CHAIN))
    # lead 2 + acceptance 1 x (2 levels + 1) + delivery 0
    assert lag_months(om.ix) == 5
    assert om.split.lag == 5


@pytest.mark.parametrize("t", [0.5, 1.5, 2.25, 3.7])
@pytest.mark.parametrize("window", [False, True])
def test_split_to_the_bom_depth_loses_what_a_split_to_the_horizon_loses(
        t: float, window: bool) -> None:
    # splitting every month to the end of the horizon (the old reach) only adds months
    # whose flows can stay even: the least loss and the units per item are the same
    om = _outage_model(load_text(CHAIN))
    node = next(n for n in list_nodes(load_text(CHAIN)) if n.id == "sup-a")
    short = om.loss(node, t, window=window)
    om.split.lag = om.split.n_months
    long = om.loss(node, t, window=window)
    assert short.value == pytest.approx(long.value, abs=1e-6)
    assert short.units == pytest.approx(long.units, abs=1e-6)
    if not window and t > 1.0:
        assert long.value > 0  # the case bites: the outage costs units over the horizon


def test_window_reference_is_solved_once_per_length_and_matches_a_fresh_solve() -> None:
    om = _outage_model(load_text(CHAIN))
    first = om.window_reference(1.5)
    again = om.window_reference(1.5)
    assert again is first
    assert om.reference_solves == 1
    fresh = om.loss(None, 1.5, window=True)
    assert fresh.value == pytest.approx(first.value, abs=1e-9)
    assert np.allclose(fresh.units, first.units)
    om.window_reference(2.0)
    assert om.reference_solves == 2

