"""The buffer route (levels.py): margins level by level on the planning futures (issue 15).

The reference scenario's sample-average model is too large to solve in time, so `auto` takes
this route there; these hand cases check it against answers worked out by hand.
"""

from __future__ import annotations

import itertools
import math

import pytest

from bastion.plan.confidence import plan_at_confidence
from bastion.plan.confidence.levels import goal

from .conftest import scenario
from .test_confidence_hand import FAST, case

TWO_PRIORITIES = """
bastion: 1
name: lexicographic freeze
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
  first: {country: LV, priority: 1, targets: [{item: shell, by: "2026-06", units: 500}]}
  second: {country: LV, priority: 2, targets: [{item: shell, by: "2026-12", units: 600}]}
"""


def test_the_goal_is_the_share_of_the_planning_futures() -> None:
    assert goal(0.9, 200) == 180
    assert goal(0.9, 40) == 36
    assert goal(0.9, 200, raise_by=0.02) == 184
    assert goal(0.99, 10) == 10 and goal(0.9, 10, raise_by=0.5) == 10


@pytest.mark.parametrize("optional", [True, False])
def test_case_a_builds_the_line_or_reports_the_foresight_bound(optional: bool) -> None:
    r = plan_at_confidence(scenario(case(optional=optional)), 0.9, method="buffer",
                           **FAST)  # type: ignore[arg-type]
    t = r.targets[0]
    assert t.validated is not None
    if optional:
        assert [ln.built for ln in r.plan.lines] == [True, True]
        assert t.reached and t.validated.probability >= 0.9
    else:  # exactly tight: only a year without an outage meets it, whatever the plan
        assert r.short and not t.reached
        assert t.validated.probability == pytest.approx(math.exp(-1), abs=0.03)
        assert "perfect foresight" in t.binds and "not reachable" in t.binds


def test_case_b_buffers_in_time_at_a_holding_cost_only() -> None:
    r = plan_at_confidence(scenario(case(cap=150, vc=100, holding=1.0)), 0.9, method="buffer",
                           **FAST)  # type: ignore[arg-type]
    t = r.targets[0]
    assert t.reached and t.validated is not None and t.validated.probability >= 0.9
    kinds = r.price.by_kind
    assert kinds["holding"] > 0 and abs(kinds["production"]) < 1e-3


def test_a_lower_priority_keeps_its_best_reachable_probability() -> None:
    """Priority 1 needs 500 by June from a 100-a-month line (one month of outage a year on
    average), priority 2 600 by December: 1,100 of the year's 1,200. Priority 1 reaches 0.9
    by holding its 500 a month early (May: every unit the line makes until then); priority 2
    then has the year's 100 units of slack, so it is met exactly when at most one outage
    happens in the year: P = 2/e = 0.736, and no plan does better (two outages lose 200).
    The old margin route, which grew every level's margins together and kept the round best
    for priority 1, left priority 2 at 0.68 on the same paths."""
    r = plan_at_confidence(scenario(TWO_PRIORITIES), 0.9, method="buffer", futures=100,
                           paths=4096)
    first, second = r.targets
    assert first.validated is not None and second.validated is not None
    assert first.reached and first.validated.probability >= 0.9
    assert second.validated.probability == pytest.approx(2 / math.e, abs=0.025)
    assert not second.reached and second.binds


def test_cost_and_probability_do_not_fall_as_the_confidence_rises() -> None:
    sc = scenario(TWO_PRIORITIES)
    runs = [plan_at_confidence(sc, p, method="buffer", futures=100, paths=4096)
            for p in (0.5, 0.7, 0.9)]
    costs = [r.price.cost for r in runs]
    assert all(c is not None for c in costs)
    assert costs == sorted(costs)  # type: ignore[type-var]
    first = [r.targets[0].validated.probability for r in runs]  # type: ignore[union-attr]
    assert all(b >= a - 0.01 for a, b in itertools.pairwise(first))


def test_same_seed_same_plan_on_the_buffer_route() -> None:
    sc = scenario(TWO_PRIORITIES)
    a = plan_at_confidence(sc, 0.9, method="buffer", futures=60, paths=2048, seed=5)
    b = plan_at_confidence(sc, 0.9, method="buffer", futures=60, paths=2048, seed=5)
    assert a.history == b.history and a.plan.tables == b.plan.tables
    assert a.price.cost == b.price.cost


def test_a_plan_is_validated_once_however_often_the_search_asks(monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    """The search asks for a plan's validation at a level's end (give-back), at the next level's
    start and at the round's end, often the same plan: it is simulated once on the validation
    paths, and the result is the one simulating it anew gives."""
    import bastion.simulate as sim_mod

    real = sim_mod.simulate
    asked: list[int] = []

    def counting(scenario, plan, **kw):  # type: ignore[no-untyped-def]
        if kw.get("paths") == 2048:  # the validation's paths (not the bound's or what-ifs')
            asked.append(id(plan))
        return real(scenario, plan, **kw)

    monkeypatch.setattr(sim_mod, "simulate", counting)
    sc = scenario(TWO_PRIORITIES)
    r = plan_at_confidence(sc, 0.9, method="buffer", futures=60, paths=2048, seed=5)
    assert asked and len(asked) == len(set(asked))
    monkeypatch.setattr(sim_mod, "simulate", real)
    again = real(sc, r.plan, paths=2048, seed=5 + 1)
    assert [t.probability for t in again.targets] == [
        t.validated.probability for t in r.targets if t.validated is not None]
