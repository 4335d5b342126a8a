"""Losses per end item, never added across items without a weight (issue 14, item 4)."""

from __future__ import annotations

import pytest

from bastion.resilience import NodeResilience, ResilienceResult, resilience
from bastion.resilience.weights import unit_costs
from bastion.scenario import Scenario, load_text

TWO_ITEMS = """
bastion: 1
name: two end items
horizon: {start: "2026-01", months: 12}
items:
  mine-a: {made: true, bom: {fuze: 1}}
  mine-b: {made: true, bom: {fuze: 1}, scrap_rate: 0.5}
  fuze: {made: false}
suppliers:
  fuze-works:
    country: LV
    supplies: {fuze: {price: FUZE_PRICE}}
sites:
  plant:
    country: LV
    lines:
      line-a:
        makes: [mine-a]
        capacity_per_month: 10
        variable_cost_per_unit: 10
        outage: {rate_per_year: 0.1, recovery_months: [1, 2, 3]}
      line-b:
        makes: [mine-b]
        capacity_per_month: 10
        variable_cost_per_unit: 30
        outage: {rate_per_year: 0.1, recovery_months: [1, 2, 3]}
customers:
  army:
    country: LV
    consumption: {mine-a: 10, mine-b: 10}
risks:
  - id: both-lines
    applies_to: {lines: [line-a, line-b]}
    rate_per_year: 0.05
    duration_months: [1, 2, 3]
"""


def _case(fuze_price: float = 1.0) -> Scenario:
    return load_text(TWO_ITEMS.replace("FUZE_PRICE", str(fuze_price)))


def _node(r: ResilienceResult, nid: str) -> NodeResilience:
    return next(n for n in r.nodes if n.node == nid)


def test_unit_cost_includes_components_and_scrap() -> None:
    # mine-a: 10 + 1 fuze x 1; mine-b: 30 + 1 fuze / (1 - 0.5) x 1
    assert unit_costs(_case()) == {"mine-a": 11.0, "mine-b": 32.0, "fuze": 1.0}


def test_losses_per_item_and_weighted_total() -> None:
    r = resilience(_case())
    assert r.loss_weight == "unit cost (EUR)"
    a, b, both = _node(r, "line-a"), _node(r, "line-b"), _node(r, "both-lines")
    # each line alone: 2 months x 10 of its own item, a plain count of that item
    assert a.lost == {"mine-a": pytest.approx(20.0)} and a.lost_units == pytest.approx(20.0)
    assert b.lost == {"mine-b": pytest.approx(20.0)} and b.lost_units == pytest.approx(20.0)
    # both lines: two items lost, so lost_units is the weighted total 20 x 11 + 20 x 32
    assert both.lost == {"mine-a": pytest.approx(20.0), "mine-b": pytest.approx(20.0)}
    assert both.lost_units == pytest.approx(860.0)
    assert both.lost_weighted == pytest.approx(860.0)
    # exposure ranks by weighted loss: equal units, but mine-b costs more
    assert both.risk_exposure_index == pytest.approx(1.0)
    assert b.risk_exposure_index == pytest.approx(640.0 / 860.0)
    assert a.risk_exposure_index == pytest.approx(220.0 / 860.0)
    order = [n.node for n in r.nodes]
    assert order.index("both-lines") < order.index("line-b") < order.index("line-a")
    obj = next(n for n in r.to_json()["nodes"] if n["node"] == "both-lines")
    assert obj["lost_by_item"] == {"mine-a": 20.0, "mine-b": 20.0}
    assert r.to_json()["loss_weight"] == "unit cost (EUR)"


def test_free_items_fall_back_to_units_and_say_so() -> None:
    r = resilience(_case(fuze_price=0.0))
    assert r.loss_weight == "unit cost (EUR)"  # the lines' costs still price both mines
    free = load_text(TWO_ITEMS.replace("FUZE_PRICE", "0").replace(
        "variable_cost_per_unit: 10", "variable_cost_per_unit: 0"))
    r = resilience(free)
    assert r.loss_weight == "units"
    both = _node(r, "both-lines")
    assert both.lost_units == pytest.approx(40.0)  # weight 1 each: a plain count, stated
