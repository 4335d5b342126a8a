"""The state at M does not depend on which optimal plan the solver returns (preplan.py)."""

from __future__ import annotations

import pytest
from tests.resilience.cases import line, scenario, supplier

from bastion.resilience import ResilienceResult, resilience
from bastion.scenario import Scenario, load_text


def _tie_case(*, reverse: bool = False, holding: float = 0.0) -> Scenario:
    """Two fuze sources of equal price, two lines: many cost-optimal plans before M."""
    items = [f"  atm: {{made: true, bom: {{fuze: 1, case: 1}}, holding_cost_per_month: {holding}}}",
             f"  fuze: {{made: false, holding_cost_per_month: {holding}}}",
             f"  case: {{made: false, holding_cost_per_month: {holding}}}"]
    sups = ["""  sup-a:
    country: LV
    supplies: {fuze: {price: 1, capacity_per_month: 150}}
    disruption: {rate_per_year: 0.1, recovery_months: [1, 2, 3]}""",
            """  sup-b:
    country: LV
    supplies: {fuze: {price: 1, capacity_per_month: 150}}
    disruption: {rate_per_year: 0.1, recovery_months: [1, 2, 3]}""",
            """  sup-c:
    country: LV
    supplies: {case: {price: 1, capacity_per_month: 200}}
    disruption: {rate_per_year: 0.1, recovery_months: [1, 4, 5]}"""]
    lines = ["""      line-1:
        makes: [atm]
        capacity_per_month: 60
        outage: {rate_per_year: 0.1, recovery_months: [0.5, 1, 2]}""",
             """      line-2:
        makes: [atm]
        capacity_per_month: 60
        outage: {rate_per_year: 0.1, recovery_months: [0.5, 1, 2]}"""]
    if reverse:
        items, sups, lines = items[::-1], sups[::-1], lines[::-1]
    text = ("bastion: 1\nname: tie case\nhorizon: {start: \"2026-01\", months: 24}\nitems:\n"
            + "\n".join(items) + "\nsuppliers:\n" + "\n".join(sups)
            + "\nsites:\n  plant:\n    country: LV\n    lines:\n" + "\n".join(lines)
            + """
customers:
  army:
    country: LV
    consumption: {atm: 100}
risks:
  - id: fuze-ban
    applies_to: {suppliers: [sup-a, sup-b]}
    rate_per_year: 0.05
    duration_months: [6, 8, 10]
""")
    return load_text(text)


def _key(r: ResilienceResult) -> dict[str, tuple[float | None, float, float | None, float]]:
    return {f"{n.kind}:{n.node}": (n.tts_months, round(n.lost_units, 3), n.tts_window_months,
                                   round(n.lost_units_in_window, 3)) for n in r.nodes}


def test_state_at_m_is_the_cost_optimal_plan_with_most_stock() -> None:
    # before M = month 3 the plan can buy up to 300 fuzes and 200 cases a month at
    # no extra cost (holding 0): the rule buys them all, so at M the store holds
    # 900 - 300 = 600 fuzes and 600 - 300 = 300 cases (atm are made as used: making
    # ahead would turn two units into one). Both fuze sources down for 8 months:
    # 600 fuzes last 6 months -> TTS 6, 200 lost; the case source down for 4: TTS 3.
    r = resilience(_tie_case(), at="2026-04")
    assert r.state_rule.startswith("cost-optimal plan holding the most units")
    got = {f"{n.kind}:{n.node}": n for n in r.nodes}
    assert got["risk:fuze-ban"].tts_months == pytest.approx(6.0)
    assert got["risk:fuze-ban"].lost_units == pytest.approx(200.0, abs=1e-3)
    assert got["supplier:sup-c"].tts_months == pytest.approx(3.0)
    assert got["supplier:sup-c"].lost_units == pytest.approx(100.0, abs=1e-3)
    assert got["supplier:sup-a"].tts_months is None


def test_permuted_file_order_gives_the_same_figures() -> None:
    assert _key(resilience(_tie_case(), at="2026-04")) == \
        _key(resilience(_tie_case(reverse=True), at="2026-04"))


def test_vanishing_holding_cost_gives_the_same_figures() -> None:
    assert _key(resilience(_tie_case(), at="2026-04")) == \
        _key(resilience(_tie_case(holding=1e-9), at="2026-04"))


def test_free_unlimited_item_keeps_the_plan_as_solved_and_says_so() -> None:
    # a fuze that costs nothing and has no capacity limit: "most stock at M" has no
    # maximum, so the plan is analysed as solved and the output says which rule held
    sc = scenario(supplier("sup-a", cap=None).replace("price: 1", "price: 0"), line("line-1"))
    r = resilience(sc, at="2026-04")
    assert r.state_rule == "the plan as solved (most-stock stage not solvable)"
    assert r.to_json()["state_rule"] == r.state_rule
