"""The spread of the stock at M over items, stores and months is settled by the rule
(tiebreak.py), not by the vertex the solver returns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.resilience.cases import line, scenario, supplier

from bastion.online import line_online_months
from bastion.plan import solve as plan_solve
from bastion.plan.optimise import solve_model
from bastion.resilience import ResilienceResult, resilience
from bastion.resilience.nodes import Node
from bastion.resilience.outage import OutageModel
from bastion.resilience.preplan import RULE_MOST_STOCK, most_stock_at
from bastion.resilience.state import Key, PlanState
from bastion.resilience.tiebreak import state_terms
from bastion.scenario import Scenario, load_text


def _spread_case(*, reverse: bool = False, holding: float = 0.0) -> Scenario:
    """One line makes two items from one fuze each; before M = month 3 it has 20 a month to
    spare and the fuze source 120: the cost-optimal plans that hold the most (360 units at M)
    differ in how much of it is fuze and how much finished a or b."""
    h = f"holding_cost_per_month: {holding}"
    items = [f"  atm-a: {{made: true, bom: {{fuze: 1}}, {h}}}",
             f"  atm-b: {{made: true, bom: {{fuze: 1}}, {h}}}",
             f"  fuze: {{made: false, {h}}}"]
    sups = ["""  sup-f:
    country: LV
    supplies: {fuze: {price: 1, capacity_per_month: 200}}
    disruption: {rate_per_year: 0.1, recovery_months: [1, 6, 8]}""",
            """  sup-g:
    country: LV
    supplies: {fuze: {price: 1, capacity_per_month: 10}}
    disruption: {rate_per_year: 0.1, recovery_months: [1, 2, 3]}"""]
    lines = ["""      line-1:
        makes: [atm-a, atm-b]
        capacity_per_month: 100
        outage: {rate_per_year: 0.1, recovery_months: [0.5, 2, 3]}""",
             """      line-2:
        makes: [atm-b]
        capacity_per_month: 5
        outage: {rate_per_year: 0.1, recovery_months: [0.5, 1, 2]}"""]
    if reverse:
        items, sups, lines = items[::-1], sups[::-1], lines[::-1]
    consumption = ["atm-a: 40", "atm-b: 40"]
    if reverse:
        consumption = consumption[::-1]
    text = ("bastion: 1\nname: spread case\nhorizon: {start: \"2026-01\", months: 12}\nitems:\n"
            + "\n".join(items) + "\nsuppliers:\n" + "\n".join(sups)
            + "\nsites:\n  plant:\n    country: LV\n    disruption: {rate_per_year: 0.05, "
            + "recovery_months: [0.5, 1, 2]}\n    lines:\n" + "\n".join(lines)
            + "\ncustomers:\n  army:\n    country: LV\n    consumption: {"
            + ", ".join(consumption) + "}\n")
    return load_text(text)


def _key(r: ResilienceResult) -> dict[str, tuple[object, ...]]:
    return {f"{n.kind}:{n.node}": (
        n.tts_months, n.tts_window_months, round(n.lost_weighted, 4),
        round(n.lost_weighted_in_window, 4),
        tuple(sorted((k, round(v, 4)) for k, v in n.lost.items())),
        None if n.mitigation is None else n.mitigation.text()) for n in r.nodes}


@pytest.fixture
def dual_simplex(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every warm primal-simplex solve (the state stages) run with the dual simplex instead:
    another vertex of the same optimal face."""
    solve = plan_solve.HighsSolver.solve

    def dual(self: plan_solve.HighsSolver, **kw: object) -> plan_solve.SolveOutcome:
        if kw.get("method") == "primal":
            kw["method"] = "simplex"
        return solve(self, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(plan_solve.HighsSolver, "solve", dual)
    yield


@pytest.fixture(scope="module")
def primal() -> dict[str, tuple[object, ...]]:
    return _key(resilience(_spread_case(), at="2026-04"))


def test_dual_simplex_vertex_gives_the_same_figures(
        primal: dict[str, tuple[object, ...]], dual_simplex: None) -> None:
    assert _key(resilience(_spread_case(), at="2026-04")) == primal


def test_permuted_file_order_gives_the_same_figures(primal: dict[str, tuple[object, ...]]) -> None:
    assert _key(resilience(_spread_case(reverse=True), at="2026-04")) == primal


def test_vanishing_holding_cost_gives_the_same_figures(
        primal: dict[str, tuple[object, ...]]) -> None:
    assert _key(resilience(_spread_case(holding=1e-9), at="2026-04")) == primal


def test_a_past_level_just_below_zero_reads_as_zero() -> None:
    # a plan solved to the solver's tolerance can use 1e-5 more fuzes than it holds; a
    # solve with those flows fixed called the past infeasible (the 36-month generated
    # scenario stopped there); the level is read from the balance rows and is 0
    sc = scenario(supplier("sup-a", cap=100), line("line-1", ttr=2))
    flows: dict[str, dict[Key, float]] = {
        "Supplier-order": {("sup-a", "fuze", "plant", m): 100.0 for m in range(2)},
        "Line-production": {("line-1", "atm", 0): 100.00001, ("line-1", "atm", 1): 100.0},
        "Customer-delivery": {("army", "atm", "plant", m): 100.0 for m in range(2)},
        "Consumption-unmet": {},
    }
    om = OutageModel(sc, PlanState(flows, {"line-1": 0}), 2, 24, {"atm": 1.0, "fuze": 1.0})
    assert om.plan_loss().value == pytest.approx(0.0, abs=1e-6)
    # the line down for 2 months from M = 2 with nothing in stock: 200 atm lost
    assert om.loss(Node("line-1", "line", 2.0, lines=("line-1",)), 2.0).value == \
        pytest.approx(200.0, abs=1e-4)


def test_settled_state_by_hand() -> None:
    # at M = month 3: the fuze sources can bring 3 x 210 = 630 fuzes, 240 are used by
    # the 240 atm consumed, so at most 390 units are held (every plan buys the 960
    # fuzes it needs, at 1 each: cost is the same whenever). The rule takes the stores
    # at M by item id: atm-a first, as much as line-1 can make beyond need (100 - 40
    # atm-a - 35 atm-b, line-2 making the other 5 atm-b) = 25 a month, 75 in all; then
    # atm-b, none left to make; then fuze, 390 - 75 = 315; nothing is delivered ahead.
    sc = _spread_case()
    solved = solve_model(sc, line_online_months(sc), None, gap=1e-4, time_limit=None)
    x, rule = most_stock_at(solved, 3)
    assert rule == RULE_MOST_STOCK
    got = {t.key: float(t.coefs @ x[t.cols]) for t in state_terms(solved.ix, solved.model, 3)}
    assert got == pytest.approx({(3, 0, "plant", "atm-a"): 75.0, (3, 0, "plant", "atm-b"): 0.0,
                                 (3, 0, "plant", "fuze"): 315.0, (3, 1, "army", "atm-a"): 0.0,
                                 (3, 1, "army", "atm-b"): 0.0}, abs=1e-4)
