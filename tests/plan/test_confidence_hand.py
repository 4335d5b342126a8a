"""The confidence plan on hand cases with known answers (issue 15)."""

from __future__ import annotations

import math

import pytest

from bastion.plan.confidence import plan_at_confidence

from .conftest import scenario

LINE_1 = """
      line-1:
        makes: [shell]
        capacity_per_month: {cap}
        variable_cost_per_unit: {vc}
        outage: {{rate_per_year: 1, recovery_months: [1, 1, 1]}}"""

LINE_2 = """
      line-2:
        makes: [shell]
        capacity_per_month: 100
        variable_cost_per_unit: 10
        optional: true
        capex: 50000"""


def case(cap: int = 100, vc: int = 10, holding: float = 0.0, optional: bool = False) -> str:
    return f"""
bastion: 1
name: hand case
horizon: {{start: "2026-01", months: 12}}
items: {{shell: {{made: true, holding_cost_per_month: {holding}}}}}
sites:
  plant:
    country: LV
    lines:{LINE_1.format(cap=cap, vc=vc)}{LINE_2 if optional else ""}
customers:
  army: {{country: LV, targets: [{{item: shell, by: "2026-12", units: 1200}}]}}
"""


FAST = {"futures": 40, "paths": 4096}


def test_a_sized_exactly_meets_its_target_only_without_outage() -> None:
    r = plan_at_confidence(scenario(case()), 0.25, **FAST)  # type: ignore[arg-type]
    t = r.targets[0]
    assert t.deterministic_probability == pytest.approx(math.exp(-1), abs=3 * 0.0076)
    assert t.reached and not r.short


def test_a_optional_line_not_built_at_25_percent() -> None:
    r = plan_at_confidence(scenario(case(optional=True)), 0.25, **FAST)  # type: ignore[arg-type]
    assert [ln.built for ln in r.plan.lines] == [True, False]
    assert r.price.difference == pytest.approx(0.0, abs=1e-3)
    assert r.targets[0].reached


def test_a_optional_line_built_at_90_percent_and_validated() -> None:
    r = plan_at_confidence(scenario(case(optional=True)), 0.9, **FAST)  # type: ignore[arg-type]
    assert [ln.built for ln in r.plan.lines] == [True, True]
    t = r.targets[0]
    assert t.validated is not None and t.validated.probability >= 0.9
    assert r.price.by_kind["capex"] == pytest.approx(50_000.0)
    assert "line-2 built" in r.price.text and not r.short


def test_a_without_the_optional_line_90_percent_is_not_reachable() -> None:
    r = plan_at_confidence(scenario(case()), 0.9, **FAST)  # type: ignore[arg-type]
    t = r.targets[0]
    assert r.short and not t.reached
    assert t.validated is not None
    assert t.validated.probability == pytest.approx(math.exp(-1), abs=0.03)
    assert r.to_json()["confidence"]["targets"][0]["best_reachable"] == pytest.approx(
        t.validated.probability)


def test_b_spare_capacity_buys_confidence_with_holding_only() -> None:
    sc = scenario(case(cap=150, vc=100, holding=1.0))
    # 20 futures, not FAST's 40: the sample-average MIP's cost stage is the time here (4 s a
    # round at 40); at 20 the first round's plan still falls short and a correction round meets it
    r = plan_at_confidence(sc, 0.9, futures=20, paths=FAST["paths"])
    t = r.targets[0]
    # just in time: the last 8 months at full rate, met when no outage touches them
    assert t.deterministic_probability == pytest.approx(0.47, abs=0.03)
    assert t.validated is not None and t.reached
    assert t.validated.probability >= 0.9 - t.validated.stderr
    kinds = r.price.by_kind
    assert kinds["holding"] > 0
    assert abs(kinds["production"]) < 1e-3 and kinds["capex"] == 0 and kinds["purchases"] == 0


def test_same_seed_same_plan() -> None:
    sc = scenario(case(optional=True))
    a = plan_at_confidence(sc, 0.9, futures=20, paths=2048, seed=3)
    b = plan_at_confidence(sc, 0.9, futures=20, paths=2048, seed=3)
    ja, jb = a.to_json(), b.to_json()
    for j in (ja, jb):
        j.pop("seconds")
        j["confidence"].pop("seconds")
    assert ja == jb


def test_no_uncertainty_gives_the_deterministic_plan() -> None:
    text = case(optional=True).replace("outage: {rate_per_year: 1, recovery_months: [1, 1, 1]}",
                                       "outage: {rate_per_year: 0, recovery_months: [1, 1, 1]}")
    r = plan_at_confidence(scenario(text), 0.9, **FAST)  # type: ignore[arg-type]
    assert not r.sampled
    assert r.plan is r.deterministic
    assert r.targets[0].validated is not None and r.targets[0].validated.probability == 1.0


def test_a_target_confidence_wins_over_the_flag() -> None:
    text = case(optional=True).replace("units: 1200}", "units: 1200, confidence: 0.25}")
    r = plan_at_confidence(scenario(text), 0.9, **FAST)  # type: ignore[arg-type]
    assert r.targets[0].requested == 0.25
    assert [ln.built for ln in r.plan.lines] == [True, False]


def test_a_by_rounding_builds_the_line_and_validates() -> None:
    sc = scenario(case(optional=True))
    low = plan_at_confidence(sc, 0.25, method="rounding", **FAST)  # type: ignore[arg-type]
    high = plan_at_confidence(sc, 0.9, method="rounding", **FAST)  # type: ignore[arg-type]
    assert [ln.built for ln in low.plan.lines] == [True, False]
    assert [ln.built for ln in high.plan.lines] == [True, True]
    v_low, v_high = low.targets[0].validated, high.targets[0].validated
    assert v_low is not None and v_high is not None
    assert v_high.probability >= 0.9 and v_high.probability >= v_low.probability
    assert high.price.cost is not None and low.price.cost is not None
    assert high.price.cost >= low.price.cost  # cost does not fall as P rises


@pytest.mark.parametrize("optional", [True, False])
def test_margin_route_on_case_a(optional: bool) -> None:
    r = plan_at_confidence(scenario(case(optional=optional)), 0.9, method="margin",
                           **FAST)  # type: ignore[arg-type]
    t = r.targets[0]
    assert t.validated is not None
    if optional:  # early stock needs the second line, which then absorbs line-1's outages
        assert [ln.built for ln in r.plan.lines] == [True, True]
        assert t.reached and t.validated.probability >= 0.9
    else:
        assert r.short and not t.reached
        assert t.validated.probability == pytest.approx(math.exp(-1), abs=0.03)


def test_margin_route_on_case_b_buffers_with_holding_only() -> None:
    r = plan_at_confidence(scenario(case(cap=150, vc=100, holding=1.0)), 0.9, method="margin",
                           **FAST)  # type: ignore[arg-type]
    t = r.targets[0]
    assert t.reached and t.validated is not None and t.validated.probability >= 0.9
    kinds = r.price.by_kind
    assert kinds["holding"] > 0 and abs(kinds["production"]) < 1e-3
