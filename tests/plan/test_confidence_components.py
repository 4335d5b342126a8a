"""Component buffers (buffers.py): store floors of bought items, a first stage of the plan at a
confidence (issue 15, docs/method-confidence.md "Component buffers")."""

from __future__ import annotations

import pytest

from bastion.plan import solve_plan
from bastion.plan.confidence import plan_at_confidence
from bastion.plan.confidence.buffers import component_floors

from .conftest import scenario

PART_STOPS = """
bastion: 1
name: a bought part from a supplier that stops
horizon: {start: "2026-01", months: 12}
items:
  shell: {made: true, bom: {part: 1}}
  part: {holding_cost_per_month: 0.1}
suppliers:
  maker:
    country: LV
    supplies: {part: {price: 1, lead_time_months: 0, capacity_per_month: 150}}
    disruption: {rate_per_year: 1, recovery_months: [1, 1, 1]}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 100, online: "2026-03"}}
customers:
  army: {country: LV, targets: [{item: shell, by: "2026-12", units: 1000}]}
"""


def test_floors_cover_months_of_peak_use_from_first_use_to_the_last_target() -> None:
    """The line makes 100 a month from March (month 2) to December (month 11), all of it needed:
    the deterministic plan uses 100 parts a month from month 2, so two months of cover is 200
    parts held from month 2 to two months before the target's month 11 (month 9: the plan
    draws them itself in months 10 and 11); a made item gets no floor."""
    sc = scenario(PART_STOPS)
    det = solve_plan(sc, explain=False, sensitivity=False)
    assert component_floors(sc, det, 2.0) == (("plant", "part", 2, 9, 200.0),)
    assert component_floors(sc, det, 1.5) == (("plant", "part", 2, 9, 150.0),)
    assert component_floors(sc, det, 0.0) == ()


def test_a_floor_costs_its_holding_only() -> None:
    """With 200 parts held at the end of months 2 to 9: month 2 needs 300 parts at hand (100
    used, 200 left), the supplier ships at most 150 a month, so the least-cost plan buys 150
    in month 1 (held a month: 15) and 150 in month 2, then 100 a month to month 9, nothing in
    months 10 and 11 (it draws the 200: 100 held at the end of month 10). Purchases unchanged
    (1,000 parts), holding 15 + 8 months x 200 x 0.1 + 10 = 185; production unchanged."""
    sc = scenario(PART_STOPS)
    det = solve_plan(sc, explain=False, sensitivity=False)
    buf = solve_plan(sc, explain=False, sensitivity=False,
                     floors=component_floors(sc, det, 2.0))
    assert det.cost is not None and buf.cost is not None
    assert buf.cost.purchases - det.cost.purchases == pytest.approx(0.0, abs=1e-4)
    assert buf.cost.holding - det.cost.holding == pytest.approx(185.0, abs=1e-4)
    assert buf.cost.production == pytest.approx(det.cost.production, abs=1e-6)
    assert all(t.met for t in buf.targets)
    assert buf.tables is not None
    part = [r for r in buf.tables.stores.records() if r["item"] == "part"]
    assert min(float(r["closing"]) for r in part[2:10]) == pytest.approx(200.0, abs=1e-6)
    assert [round(float(r["closing"]), 6) for r in part[10:]] == [100.0, 0.0]


def test_an_unheld_floor_is_an_error() -> None:
    sc = scenario(PART_STOPS)
    with pytest.raises(ValueError, match="does not store"):
        solve_plan(sc, explain=False, sensitivity=False,
                   floors=(("plant", "nothing-stored", 0, 11, 1.0),))


def test_the_buffer_lets_the_line_run_through_the_supplier_stops() -> None:
    """The plan is exactly tight (1,000 in 10 months of a 100-a-month line): just in time,
    any month-long stop of the part's supplier idles the line for good (about exp(-11/12) =
    0.40 of years have none in months 1-11). Two months of parts in store carry the line
    through two stops (the backlog refills the store at 50 a month; the plan orders nothing in
    the last two months, which draw the buffer); only three or more stops in the 11 months
    (1 - e^-0.92 (1 + 0.92 + 0.92^2 / 2) = 0.066) or two close together before a refill miss:
    at P = 0.9 the plan with the buffer validates at 0.9 or more, at a holding cost only."""
    sc = scenario(PART_STOPS)
    r = plan_at_confidence(sc, 0.9, method="buffer", futures=40, paths=4096, cover=2.0)
    t = r.targets[0]
    assert t.deterministic_probability is not None and t.deterministic_probability < 0.6
    assert t.validated is not None and t.validated.probability >= 0.9 - t.validated.stderr
    assert r.price.by_kind["purchases"] == pytest.approx(0.0, abs=1e-3)
    assert r.price.by_kind["holding"] > 0


def test_the_cover_is_chosen_on_the_planning_futures() -> None:
    """Without a cover given, 0, 1, 2, 3, 4 and 6 months are tried: 4 and 6 are dropped (400
    or 600 parts held at the end of month 2, plus the 100 used then, exceed the 3 x 150 the
    supplier can ship by then: no plan holds them); of the others, two months already meet
    the target in its goal of futures (36 of 40) and three months no more, so two is kept
    (ties go to the smaller cover). Without the buffer (cover 0) the margins cannot help: the
    line is exactly tight, and the plan stays at its deterministic probability."""
    sc = scenario(PART_STOPS)
    r = plan_at_confidence(sc, 0.9, method="buffer", futures=40, paths=4096)
    first = r.history[0]
    assert first["cover_months"] == 2.0
    tried = first["cover_tried"]
    assert isinstance(tried, dict)
    assert set(tried) == {"0.0", "1.0", "2.0", "3.0"} and tried["2.0"] == 36
    none = plan_at_confidence(sc, 0.9, method="buffer", futures=40, paths=4096, cover=0.0)
    t = none.targets[0]
    assert t.validated is not None and t.validated.probability == t.deterministic_probability
    assert not t.reached
