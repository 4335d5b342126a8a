"""The perfect-foresight bound and the what-binds diagnosis of a target short of its confidence
(bound.py, whatif.py; issue 15): hand cases with exact answers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from bastion.online import line_online_months
from bastion.plan import solve_plan
from bastion.plan.confidence import plan_at_confidence
from bastion.plan.confidence.binomial import clopper_pearson_lower
from bastion.plan.confidence.bound import (
    ALPHA,
    Bound,
    Statement,
    bound_text,
    clopper_pearson_upper,
    foresight_sets,
    most_met_to_prove,
    premise_words,
    target_bounds,
)
from bastion.plan.confidence.futures import BOUND_BLOCK_BASE, Futures, all_built_uncertainty, draw_futures
from bastion.plan.confidence.premise import ALPHA_PREMISE, Held, candidates, eligible, held
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
        m = most_met_to_prove(20, p, slack, ALPHA / 2)
        assert clopper_pearson_upper(m, 20, ALPHA / 2) + slack < p
        assert clopper_pearson_upper(m + 1, 20, ALPHA / 2) + slack >= p
    assert most_met_to_prove(20, 0.9, 0.9, ALPHA / 2) == -1  # a slack of 0.9 proves nothing


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
    # first validated at 0.95 on 10,000 paths: its lower bound (0.94) is above 0.9, so the
    # objective keeps 0.9 for it and its misses add 0.1
    b = target_bounds(sc, ix, online, fut, [1], {0: 0.9, 1: 0.9}, [1, 2], {0: 0.95}, 10_000)[1]
    [joint_b] = b.statements
    # the joint set stops once it can prove nothing: what it solved is counted exactly
    k = joint_b.solved
    assert joint_b.met == int((lost[:k] <= 1 + 1e-9).sum())
    assert joint_b.higher == (0,) and joint_b.slack == pytest.approx(0.1)
    assert b.upper == pytest.approx(min(b.upper_alone, joint_b.upper))
    # Bonferroni: 0.01 for the one estimate, the other 0.04 over the two statements
    assert b.alpha == pytest.approx((ALPHA - ALPHA_PREMISE) / 2)
    assert b.estimates[0].lower == pytest.approx(clopper_pearson_lower(9500, 10_000, 0.01))


def test_bound_text_says_not_reachable_only_below_the_confidence() -> None:
    names = ["first 2026-06", "second 2026-12"]
    low = Bound(met_alone=5, solved_alone=20, count=20, alpha=ALPHA)
    assert low.upper == pytest.approx(clopper_pearson_upper(5, 20, ALPHA))
    assert "not reachable whatever the plan: at most 0.46 < 0.90" in bound_text(low, 0.9, names)
    assert "5 of 20 futures (bound 0.46)" in bound_text(low, 0.9, names)
    held = (Held(1, (0,), (0.9,), (0.9,), 0.0),)
    high = Bound(met_alone=20, solved_alone=20, count=20, alpha=0.02,
                 statements=(Statement((0,), held, met=4, solved=12, count=20, alpha=0.02),))
    # 8 futures not solved count as met: 12 of 20, plus the slack
    assert high.upper == pytest.approx(clopper_pearson_upper(12, 20, 0.02) + 0.1)
    text = bound_text(high, 0.9, names)
    assert "not proven unreachable" in text and "first 2026-06 keeps 0.90" in text
    assert "4 of the first 12 futures solved" in text
    assert f"the smallest bound, {high.upper:.2f}, is {high.upper - 0.9:.2f} above 0.90" in text
    proven = Bound(met_alone=20, solved_alone=20, count=20, alpha=0.02, statements=(
        Statement((0,), (Held(1, (0,), (0.9,), (0.75,), 0.0),), met=0, solved=20, count=20,
                  alpha=0.02),))
    assert proven.upper == pytest.approx(1 - 0.02 ** (1 / 20) + 0.25)
    assert ("not reachable while first 2026-06 keeps the 0.75 this plan gives it: with perfect "
            "foresight the two are met together in only 0 of 20 futures (bound 0.43 < 0.90"
            in bound_text(proven, 0.9, names))


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
    held at 0.9: P(second) <= F(both) + 0.1 < 0.9. The bound's 20 futures have streams of their
    own (not the planning futures); with seed 1 both are met in 10 of them (seeds 1 to 8 give 5
    to 12, about exp(-1) x 20 expected), bound ~0.84: a proof with 20 futures needs at most 10."""
    sc = scenario(TWO_PRIORITIES.replace("units: 600", "units: 650"))
    r = plan_at_confidence(sc, 0.9, method="buffer", futures=40, paths=4096, seed=1)
    first, second = r.targets
    assert first.reached and not second.reached and r.short
    assert second.bound is not None and second.bound["proven_unreachable"]
    assert second.bound["higher"] == [0] and len(second.bound["statements"]) == 1
    det = solve_plan(sc, explain=False, sensitivity=False)
    fut = draw_futures(sc, all_built_uncertainty(sc, det), 20, 1, base=BOUND_BLOCK_BASE)
    lost = (1.0 - fut.line_avail[:, 0, :]).sum(axis=1)
    assert second.bound["met_with_higher"] == int((lost <= 0.5 + 1e-9).sum())
    assert second.bound["solved_with_higher"] == 20
    assert second.bound["upper_alone"] >= 0.9 > second.bound["upper"]
    assert "not reachable while first 2026-06 keeps" in second.binds
    assert second.validated is not None and second.validated.probability < second.bound["upper"]


def test_clopper_pearson_lower_bound_matches_its_closed_forms() -> None:
    # all met: p^n = alpha; one met: 1 - (1 - p)^n = alpha; none: 0
    assert clopper_pearson_lower(20, 20, 0.01) == pytest.approx(0.01 ** (1 / 20), abs=1e-9)
    assert clopper_pearson_lower(1, 20, 0.01) == pytest.approx(1 - 0.99 ** (1 / 20), abs=1e-9)
    assert clopper_pearson_lower(0, 20, 0.01) == 0.0
    # the lower bound of the hits is 1 - the upper bound of the misses
    assert clopper_pearson_lower(9_000, 10_000, 0.005) == pytest.approx(
        1 - clopper_pearson_upper(1_000, 10_000, 0.005), abs=1e-12)
    assert 0.89 < clopper_pearson_lower(9_000, 10_000, 0.005) < 0.9 - 2 * 0.003  # ~2.6 stderr


def test_the_objective_keeps_a_level_s_capped_sum_for_the_higher_targets() -> None:
    """Levels 1 (targets 0, 1), 2 (target 2) above target 3, all asked 0.9. This plan: target 0
    at 0.95 (lower bound), target 1 at 0.85: level 1 short, so level 2 is not guaranteed.
    Held alone, target 0 keeps 0.9 less what target 1 lacks (0.05): 0.85; with target 1,
    together 0.9 + 0.85 = 1.75 (misses 0.25). With level 1 full, level 2 joins."""
    req = {0: 0.9, 1: 0.9, 2: 0.9, 3: 0.9}
    prio, by = [1, 1, 2, 3], [5, 12, 8, 10]
    lower = {0: 0.95, 1: 0.85, 2: 0.7}
    assert eligible(3, req, prio, lower) == (0, 1)
    assert eligible(3, req, prio, {**lower, 1: 0.92}) == (0, 1, 2)
    assert eligible(3, {0: 0.9, 2: 0.9, 3: 0.9}, prio, lower) == ()  # 1 has no confidence
    [alone] = held((0,), req, prio, lower)
    assert (alone.keeps, alone.lack) == ((0.9,), pytest.approx(0.05))
    assert alone.total == pytest.approx(0.85) and alone.slack == pytest.approx(0.15)
    [both] = held((0, 1), req, prio, lower)
    assert both.total == pytest.approx(1.75) and both.slack == pytest.approx(0.25)
    # due by month 10: target 0; every eligible: 0 and 1
    tried = candidates(3, req, prio, by, lower)
    assert [tuple(h for g in c for h in g.targets) for c in tried] == [(0,), (0, 1)]
    deeper = candidates(3, req, prio, by, {**lower, 1: 0.92})
    assert [tuple(h for g in c for h in g.targets) for c in deeper] == [(0, 2), (0, 1, 2)]
    assert [g.priority for g in deeper[0]] == [1, 2]
    lacking = Statement((0,), (alone,), met=0, solved=20, count=20, alpha=0.02)
    assert premise_words(lacking, ["a", "b", "c", "d"]) == (
        "a keeps 0.85 (what this plan gives it, less the 0.05 the other targets of priority 1 "
        "lack)")
    assert premise_words(Statement((0, 1, 2), deeper[1], 0, 20, 20, 0.02), "abcd") == (
        "a and b keep 0.90 and c keeps the 0.70 this plan gives it")
    # a set whose misses alone reach the request proves nothing and is not tried
    assert candidates(3, req, prio, by, {0: 0.2, 1: 0.2}) == []


# Three priorities from one 100-a-month line (1,200 a year), outages of one month at one a year:
# first 400 by June, middle 700 by December, last 200 by December: 1,300 in all, so the three
# are never met together; first and last together need only 600.
THREE_PRIORITIES = """
bastion: 1
name: three priorities
horizon: {start: "2026-01", months: 12}
items: {shell: {made: true, holding_cost_per_month: 0.1}}
sites:
  plant:
    country: LV
    lines:
      line-1:
        makes: [shell]
        capacity_per_month: 100
        variable_cost_per_unit: 10
        outage: {rate_per_year: 1, recovery_months: [1, 1, 1]}
customers:
  first: {country: LV, priority: 1, targets: [{item: shell, by: "2026-06", units: 400}]}
  middle: {country: LV, priority: 2, targets: [{item: shell, by: "2026-12", units: 700}]}
  last: {country: LV, priority: 3, targets: [{item: shell, by: "2026-12", units: 200}]}
"""


def test_a_middle_target_short_of_its_confidence_still_binds_the_lowest() -> None:
    """First is reached (about 0.99); middle is not (met when the year loses at most one month,
    about 0.73); last alone, or with first, is met in nearly every future, so neither the
    statement alone nor the one holding only the targets reached proves anything. The
    objective keeps 0.9 for first and, first being full, middle's capped P(met) for middle:
    the three are never met together (1,300 > 1,200), so P(last) <= CP(0 of 20) + 0.1 +
    (1 - middle's lower bound) < 0.9."""
    sc = scenario(THREE_PRIORITIES)
    r = plan_at_confidence(sc, 0.9, method="buffer", futures=40, paths=4096, seed=2)
    first, middle, last = r.targets
    assert first.reached and not middle.reached and not last.reached and r.short
    assert middle.validated is not None and 0.6 < middle.validated.probability < 0.85
    b = last.bound
    assert b is not None and b["proven_unreachable"] and b["upper_alone"] >= 0.9
    [st] = b["statements"]  # due by December = every higher target: one set, tried once
    assert st["higher"] == [0, 1] and (st["met"], st["solved"]) == (0, 20)
    # Bonferroni: two estimates at 0.01 / 2 each, two statements at 0.04 / 2 each
    assert b["alpha_statement"] == pytest.approx(0.02) and b["alpha_estimates"] == 0.01
    est = b["estimates"]
    lower = {h: clopper_pearson_lower(round(e["probability"] * e["paths"]), e["paths"], 0.005)
             for h, e in ((int(k), v) for k, v in est.items())}
    assert est["0"]["paths"] == 10_000 and lower[0] >= 0.9 and lower[1] < 0.9
    assert st["premise"] == {"0": 0.9, "1": pytest.approx(lower[1], abs=1e-6)}
    assert st["upper"] == pytest.approx(1 - 0.02 ** (1 / 20) + 0.1 + 1 - lower[1], abs=1e-6)
    assert b["upper"] == st["upper"] < 0.9
    assert ("not reachable while first 2026-06 keeps 0.90 and middle 2026-12 keeps the "
            f"{lower[1]:.2f} this plan gives it: with perfect foresight the three are met "
            "together in only 0 of 20 futures") in last.binds
    # the statement with first alone (the targets reached, as before) proves nothing: first's
    # 400 by June and last's 200 need at most two months lost by June and six in the year
    fut, online = _futures(sc, 40, seed=2)
    ix = build_index(sc, online)
    lost = (1.0 - fut.line_avail[:20, 0, :]).sum(axis=1)
    lost_h1 = (1.0 - fut.line_avail[:20, 0, :6]).sum(axis=1)
    [(met, solved)] = foresight_sets(sc, ix, online, fut, [(2, 0)], 20)
    assert (met, solved) == (int(((lost_h1 <= 2 + 1e-9) & (lost <= 6 + 1e-9)).sum()), 20)
    assert clopper_pearson_upper(met, 20, ALPHA / 2) + 0.1 >= 0.9
    # middle: held with first (0.9) it proves nothing either (met when at most a month is lost)
    assert middle.bound is not None and not middle.bound["proven_unreachable"]
    assert middle.bound["higher"] == [0]


def test_any_plan_the_objective_ranks_as_high_gives_the_set_its_guarantee() -> None:
    """Property (the argument of premise.py, on one level): for random requests and a random
    plan pi0 (its P(met) as lower bounds), every plan pi whose capped sum V is at least pi0's
    gives each set H of the level at least `held(H).total` in all, and the guarantee is sharp
    (a pi with V(pi) = V(pi0) reaches it when the others sit at their requests)."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        k = int(rng.integers(1, 5))
        req = {t: float(rng.uniform(0.5, 0.99)) for t in range(k)}
        pi0 = {t: float(rng.uniform(0.0, 1.0)) for t in range(k)}
        v0 = sum(min(pi0[t], req[t]) for t in range(k))
        prio = [1] * k
        hs = tuple(t for t in range(k) if rng.random() < 0.6) or (0,)
        [g] = held(hs, req, prio, pi0)
        for _ in range(20):
            pi = {t: float(rng.uniform(0.0, 1.0)) for t in range(k)}
            if sum(min(pi[t], req[t]) for t in range(k)) >= v0:
                assert sum(pi[h] for h in hs) >= g.total - 1e-12
        others = [t for t in range(k) if t not in hs]
        if g.total > 0:  # the others at their requests and H at its guarantee: V(pi) = V(pi0)
            assert sum(req[o] for o in others) + g.total == pytest.approx(v0, abs=1e-9)
