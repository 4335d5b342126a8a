"""Issue 21 on the resilience engine: values at the edges of their ranges solve, with the
hand-worked answers (docs/method-resilience.md, "Numbers at the edges of their ranges").

Two causes, one test each, on the hand case of issue 14 (one source of fuzes, 250 in
store, a line using 100 a month, TTR 4: TTS 2.5, 150 lost) written in other units:
- loss weights near 1e15 (a price at the top of its range, 9.99e14): before the fix the warm-started
  outage LP stopped with HiGHS status "Not Set"/"Unknown";
- quantities of 1e14 (counts near the top of their range): levels whose double spacing
  is far above HiGHS's absolute tolerance 1e-7.
The answers must be the hand-worked ones, in the new units.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from tests.resilience.cases import HEAD
from typer.testing import CliRunner

from bastion.cli import app
from bastion.plan.solve import HighsSolver, SolveOutcome, SolveStatus
from bastion.resilience import NodeResilience, ResilienceResult, resilience, run_nodes
from bastion.resilience.lpsolver import (
    QUANTITY_MAX,
    WEIGHT_MAX,
    OutageSolver,
    power_of_two_above,
)
from bastion.resilience.nodes import list_nodes
from bastion.resilience.outage import OutageError, OutageModel
from bastion.resilience.preplan import RULE_MOST_STOCK
from bastion.scenario import Scenario, load_scenario, load_text

P = 999e12  # the largest price of the format (below 1e15)


def node(result: ResilienceResult, kind: str, nid: str) -> NodeResilience:
    return next(n for n in result.nodes if n.kind == kind and n.node == nid)


def hand_case(q: float = 1.0, price: float = 1.0) -> Scenario:
    """One fuze source (lead time 1, TTR 2.37), 250 fuzes in store, a line using 100 a
    month, a target of 300 by 2026-09 on top of the consumption (the plan's own loss, out
    of reach with or without the outage: nothing is left over); every count x q.

    Down over [0, 2.37): the store lasts to 2.5, while an order placed at 2.37 arrives at
    3.37 (in month 3, only 63 arrive, over its last 0.63 months): 87 lost, TTS 2.5 - 1 = 1.5
    over the horizon; inside the window [0, t) nothing is lost until t = 2.5.
    """
    return load_text(HEAD + case_tail(q, price))


def case_tail(q: float = 1.0, price: float = 1.0) -> str:
    """`hand_case` after the items."""
    return f"""suppliers:
  sup-a:
    country: LV
    supplies:
      fuze: {{price: {price:.0f}, lead_time_months: 1, capacity_per_month: {100 * q:.0f}}}
    disruption: {{rate_per_year: 0.1, recovery_months: [0.5, 2.37, 6]}}
sites:
  plant:
    country: LV
    initial_store: {{fuze: {250 * q:.0f}}}
    lines:
      line-1: {{makes: [atm], capacity_per_month: {100 * q:.0f}}}
customers:
  army:
    country: LV
    consumption: {{atm: {100 * q:.0f}}}
    targets: [{{item: atm, by: 2026-09, units: {300 * q:.0f}}}]"""



def run(sc: Scenario, monkeypatch: pytest.MonkeyPatch) -> tuple[ResilienceResult, OutageModel]:
    """The analysis, and the outage model it built."""
    made: list[OutageModel] = []

    def keep(*args: Any, **kwargs: Any) -> OutageModel:
        made.append(OutageModel(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(run_nodes, "OutageModel", keep)  # where the analysis builds it
    return resilience(sc), made[0]


def test_power_of_two_above() -> None:
    assert power_of_two_above(541.0, WEIGHT_MAX) == 1.0  # the reference scenario: untouched
    assert power_of_two_above(QUANTITY_MAX, QUANTITY_MAX) == 1.0
    c = power_of_two_above(1e15, QUANTITY_MAX)
    assert math.log2(c).is_integer() and 1e15 / c <= QUANTITY_MAX < 2e15 / c


SECOND = 100.0 - 250.0 / 3.37  # a second source keeping 250 + 3.37 (c - 100) >= 0


def check(a: NodeResilience, q: float) -> None:
    """The hand answers of `hand_case`, in units of q."""
    assert a.tts_months == pytest.approx(1.5)
    assert a.tts_window_months == pytest.approx(2.5)
    assert a.lost["atm"] == pytest.approx(87.0 * q, rel=1e-9)
    assert a.lost_in_window == {}
    assert a.mitigation is not None
    (m,) = a.mitigation.items
    assert (m.item, m.buffer_months) == ("fuze", 0.87)
    assert m.buffer_units == pytest.approx(87.0 * q, rel=1e-6)
    assert m.second_source_per_month == pytest.approx(SECOND * q, rel=1e-6, abs=1e-4)  # 4 decimals, up


def test_loss_weights_near_1e15_give_the_hand_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    # before the fix: "outage LP: the solver stopped: Not Set"
    r, om = run(hand_case(price=P), monkeypatch)
    a = node(r, "supplier", "sup-a")
    check(a, 1.0)
    # weighted by the unit cost (P a fuze, one fuze an atm), in the scenario's money
    assert a.lost_weighted == pytest.approx(87.0 * P, rel=1e-9)
    # the weights handed to HiGHS are at most WEIGHT_MAX; the reported ones are not
    assert om.weight.max() == pytest.approx(P) and om.weight_unit > 1.0
    assert (om.weight / om.weight_unit).max() <= WEIGHT_MAX
    assert om.unit == 1.0


def test_quantities_near_1e14_give_the_hand_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    # before the fix: "outage LP: the solver stopped: Unknown"
    q = 1e12
    r, om = run(hand_case(q), monkeypatch)
    check(node(r, "supplier", "sup-a"), q)
    assert om.unit > 1.0 and math.log2(om.unit).is_integer()
    assert 300.0 * q / om.unit <= QUANTITY_MAX
    assert om.weight_unit == 1.0


def test_normal_scenarios_are_handed_over_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    r, om = run(hand_case(), monkeypatch)
    assert (om.unit, om.weight_unit) == (1.0, 1.0)
    check(node(r, "supplier", "sup-a"), 1.0)


def test_a_numerical_stop_is_solved_again_from_scratch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Third cause (tests/data/bounds/bounds-quantities.yaml: counts of 1e15 and of 1e9
    linked by a bom of 1e6): the simplex warm-started from the last basis stops with
    "Unknown" even in scaled units; the same LP solved from scratch is optimal."""
    r0, om = run(hand_case(), monkeypatch)
    base = om.plan_loss().units
    real = HighsSolver.solve
    calls: list[str] = []

    def flaky(self: HighsSolver, **kwargs: Any) -> SolveOutcome:
        calls.append("solve")
        if len(calls) == 1:
            return SolveOutcome(SolveStatus.ERROR, None, None, None, None,
                                "the solver stopped: Unknown", 0.0)
        return real(self, **kwargs)

    def clear(self: HighsSolver) -> None:
        calls.append("clear")
        self._h.clearSolver()

    monkeypatch.setattr(HighsSolver, "solve", flaky)
    monkeypatch.setattr(HighsSolver, "clear_start", clear)
    sup = next(n for n in list_nodes(hand_case()) if n.id == "sup-a")
    lost = om.loss(sup, 2.37).units - base
    assert calls == ["solve", "clear", "solve"]
    assert lost[om.ix.items.index("atm")] == pytest.approx(87.0, abs=1e-6)
    assert node(r0, "supplier", "sup-a").lost["atm"] == pytest.approx(87.0, abs=1e-6)


def test_the_state_rule_holds_with_prices_near_1e15() -> None:
    """Fourth cause: the most-stock stage (preplan.py) holds the cost in a row whose
    coefficients are prices; at 1e15 the stage stopped ("unbounded or infeasible") and
    the plan was analysed as solved. The row is now handed over divided by a power of two."""
    sc = load_scenario(Path(__file__).resolve().parents[1] / "data" / "bounds" / "bounds-money.yaml")
    r = resilience(sc)
    assert r.reference_month != "2026-01"  # M > 0: the stage runs
    assert r.state_rule == RULE_MOST_STOCK


def test_a_solve_that_fails_twice_names_the_node(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    """Should a solve fail from scratch too, the command says which node, exit 1."""
    real = OutageSolver.solve
    built: list[bool] = []

    def failing(self: OutageSolver, **kwargs: Any) -> SolveOutcome:
        if len(built) < 2:  # the settled past and the plan's own loss solve
            built.append(True)
            return real(self, **kwargs)
        return SolveOutcome(SolveStatus.ERROR, None, None, None, None,
                            "the solver stopped: Unknown", 0.0)

    monkeypatch.setattr(OutageSolver, "solve", failing)
    with pytest.raises(OutageError, match=r"^(supplier sup-a|line line-1|site plant): outage LP: "
                                          r"the solver stopped: Unknown$"):
        resilience(hand_case())
    f = tmp_path / "case.yaml"
    f.write_text(HEAD + case_tail(), encoding="utf-8")
    built.clear()
    res = CliRunner().invoke(app, ["resilience", str(f), "--json"])
    assert res.exit_code == 1
    assert "the resilience analysis failed: " in res.output and "outage LP" in res.output
    assert res.stdout.strip() == ""
