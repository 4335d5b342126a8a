"""The perfect-foresight bound and the what-binds diagnosis of a target short of its confidence
(bound.py, whatif.py; issue 15): hand cases with exact answers."""

from __future__ import annotations

import itertools
import math

import pytest

from bastion.online import line_online_months
from bastion.plan import solve_plan
from bastion.plan.confidence import plan_at_confidence
from bastion.plan.confidence.bound import (
    ALPHA,
    Bound,
    bound_text,
    clopper_pearson_upper,
    foresight_sets,
    most_met_to_prove,
    target_bounds,
)
from bastion.plan.confidence.futures import Futures, all_built_uncertainty, draw_futures
from bastion.plan.confidence.whatif import sources, what_if
from bastion.plan.index import build_index
from bastion.scenario import Scenario

from .conftest import scenario
from .test_confidence_buffer import TWO_PRIORITIES
from .test_confidence_hand import case

# One line of 100 a month for three months, outages so rare that none falls in the futures
# drawn; the customer consumes 10 a month from an empty stockpile.
STOCKOUT = """
bastion: 1
name: stockout rule
horizon: {start: "2026-01", months: 3}
items: {shell: {made: true}}
sites:
  plant:
    country: LV
    lines:
      line-1:
        makes: [shell]
        capacity_per_month: 100
        outage: {rate_per_year: 0.001, recovery_months: [1, 1, 1]}
customers:
  army:
    country: LV
    consumption: {shell: 10}
    targets: [{item: shell, by: "2026-03", units: UNITS}]
"""


def _futures(sc: Scenario, count: int, seed: int = 0) -> tuple[Futures, dict[str, int]]:
    det = solve_plan(sc, explain=False, sensitivity=False)
    return draw_futures(sc, all_built_uncertainty(sc, det), count, seed), line_online_months(sc)


def test_clopper_pearson_upper_bound_matches_its_closed_forms() -> None:
    # none met: P(X <= 0) = (1 - p)^n = alpha; all but one: 1 - p^n = alpha; all: 1
    assert clopper_pearson_upper(0, 20, 0.025) == pytest.approx(1 - 0.025 ** (1 / 20), abs=1e-9)
    assert clopper_pearson_upper(19, 20, 0.025) == pytest.approx(0.975 ** (1 / 20), abs=1e-9)
    assert clopper_pearson_upper(20, 20, 0.025) == 1.0
    ups = [clopper_pearson_upper(k, 20, 0.025) for k in range(21)]
    assert all(a < b for a, b in itertools.pairwise(ups))  # rises with the count met
    assert all(u > k / 20 for k, u in enumerate(ups[:20]))  # above the share seen


def test_most_met_to_prove_is_the_last_count_below_the_confidence() -> None:
    for p, slack in ((0.9, 0.0), (0.9, 0.2), (0.5, 0.1)):
        m = most_met_to_prove(20, p, slack)
        assert clopper_pearson_upper(m, 20, ALPHA / 2) + slack < p
        assert clopper_pearson_upper(m + 1, 20, ALPHA / 2) + slack >= p
    assert most_met_to_prove(20, 0.9, 0.9) == -1  # a slack of 0.9 proves nothing


def test_the_stockout_rule_leaves_consumption_unmet_only_from_an_empty_stockpile() -> None:
    """300 made by March. Consumption skipped at will would leave all 300 (295 met); the
    simulator draws it whenever the stockpile holds anything, so the best is to deliver all in
    March, the stockpile empty (consumption unmet) before: 300 - 10 = 290 at the end of March."""
    for units, met_with_rule in ((295, 0), (290, 10)):
        sc = scenario(STOCKOUT.replace("UNITS", str(units)))
        fut, online = _futures(sc, 10)
        assert (fut.line_avail == 1.0).all()  # no outage in these futures
        ix = build_index(sc, online)
        [(met, solved)] = foresight_sets(sc, ix, online, fut, [(0,)], 10)
        assert (met, solved) == (met_with_rule, 10)
        [(free, _)] = foresight_sets(sc, ix, online, fut, [(0,)], 10, served=False)
        assert free == 10  # without the rule both are met: the rule is what makes 295 fail


def test_perfect_foresight_meets_a_tight_target_only_without_outage() -> None:
    sc = scenario(case())
    fut, online = _futures(sc, 30)
    [(met, solved)] = foresight_sets(sc, build_index(sc, online), online, fut, [(0,)], 30)
    no_outage = int((fut.line_avail[:, 0, :] >= 1.0 - 1e-9).all(axis=1).sum())
    assert (met, solved) == (no_outage, 30)


def test_the_joint_bound_counts_futures_meeting_both_priorities() -> None:
    """Priority 1: 500 by June, priority 2: 600 by December, from 100 a month (1,200 a year).
    Both are met in a future exactly when its outages cost at most one month of output; the
    lower one alone whenever they cost at most six."""
    sc = scenario(TWO_PRIORITIES)
    fut, online = _futures(sc, 20, seed=3)
    ix = build_index(sc, online)
    lost = (1.0 - fut.line_avail[:, 0, :]).sum(axis=1)
    [(alone, n1), (joint, n2)] = foresight_sets(sc, ix, online, fut, [(1,), (1, 0)], 20)
    assert (n1, n2) == (20, 20)
    assert alone == int((lost <= 6 + 1e-9).sum())
    assert joint == int((lost <= 1 + 1e-9).sum())
    b = target_bounds(sc, ix, online, fut, [1], {0: 0.9, 1: 0.9}, {1: (0,)})[1]
    # the joint set stops once it can prove nothing: what it solved is counted exactly
    k = b.solved_joint
    assert b.met_joint == int((lost[:k] <= 1 + 1e-9).sum())
    assert b.higher == (0,) and b.slack == pytest.approx(0.1)
    assert b.upper == pytest.approx(min(b.upper_alone, b.upper_joint))


def test_bound_text_says_not_reachable_only_below_the_confidence() -> None:
    names = ["first 2026-06", "second 2026-12"]
    low = Bound(met_alone=5, solved_alone=20, met_joint=5, solved_joint=20, count=20,
                higher=(), slack=0.0)
    assert low.upper == pytest.approx(clopper_pearson_upper(5, 20, ALPHA / 2))
    assert "not reachable whatever the plan: at most 0.49 < 0.90" in bound_text(low, 0.9, names)
    high = Bound(met_alone=20, solved_alone=20, met_joint=4, solved_joint=12, count=20,
                 higher=(0,), slack=0.1)
    # 8 futures not solved count as met: 12 of 20, plus the slack
    assert high.upper_joint == pytest.approx(clopper_pearson_upper(12, 20, ALPHA / 2) + 0.1)
    text = bound_text(high, 0.9, names)
    assert "not proven unreachable" in text and "first 2026-06" in text
    assert "4 of the first 12 futures solved" in text
    assert "5 of 20 futures (95 % bound" in bound_text(low, 0.9, names)


def test_what_if_names_the_only_source_of_risk() -> None:
    """Case (a) without the second line: outages are the only risk; without them the
    deterministic plan meets the target on every path."""
    sc = scenario(case())
    assert [w for w, _f in sources(sc)] == ["line and site events"]
    det = solve_plan(sc, explain=False, sensitivity=False)
    wi = what_if(sc, det, seed=1, short={0: 0.9})
    [(_words, probs)] = wi.rows
    assert probs == (1.0,)
    assert wi.sentence(0, 0.9, math.exp(-1)).startswith("what binds: line and site events")


def test_a_lower_priority_is_proven_unreachable_while_the_higher_holds() -> None:
    """Priority 1: 500 by June, priority 2: 650 by December, from 100 a month with outages of
    one month at one a year. Both together need 1,150 of the year's 1,200: met only when the
    outages cost at most half a month (about exp(-1) of futures); priority 2 alone needs 6.5
    months of output (nearly always). So the bound proves nothing alone, but with priority 1
    held at 0.9: P(second) <= F(both) + 0.1 < 0.9."""
    sc = scenario(TWO_PRIORITIES.replace("units: 600", "units: 650"))
    r = plan_at_confidence(sc, 0.9, method="buffer", futures=40, paths=4096, seed=2)
    first, second = r.targets
    assert first.reached and not second.reached and r.short
    assert second.bound is not None and second.bound["proven_unreachable"]
    assert second.bound["higher"] == [0]
    fut, _online = _futures(sc, 40, seed=2)
    lost = (1.0 - fut.line_avail[:20, 0, :]).sum(axis=1)
    assert second.bound["met_with_higher"] == int((lost <= 0.5 + 1e-9).sum())
    assert second.bound["solved_with_higher"] == 20
    assert second.bound["upper_alone"] >= 0.9 > second.bound["upper"]
    assert "not reachable while first 2026-06 holds its confidence" in second.binds
    assert second.validated is not None and second.validated.probability < second.bound["upper"]
