"""The screen (screen.py, run_nodes.py) and the pooled plan (pooled.py) change no figure.

- every supplier the screen declares safe has, by the outage LP of the plain route, an
  unbounded TTS and no loss in both measures; every other figure is the plain route's
  (the merged outage models are the same LP);
- a plan solved pooled (plan/pool.py) gives the same state, so the same figures.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.resilience.cases import line, scenario, supplier

from bastion.plan import pool, variant
from bastion.resilience import ResilienceResult, preplan, resilience
from bastion.resilience import pooled as pooled_mod
from bastion.resilience import run_nodes as run_nodes
from bastion.scenario import Scenario, load_text


def _key(r: ResilienceResult) -> dict[str, tuple[float | None, float, float | None, float]]:
    return {f"{n.kind}:{n.node}": (n.tts_months, round(n.lost_weighted, 3), n.tts_window_months,
                                   round(n.lost_weighted_in_window, 3)) for n in r.nodes}


def _screened(monkeypatch: pytest.MonkeyPatch, sc: Scenario) -> tuple[ResilienceResult, set[str]]:
    """The screened route's result and the suppliers its screen declared safe."""
    seen: set[str] = set()
    real = run_nodes.screen_suppliers

    def spy(*args: Any, **kw: Any) -> tuple[set[str], int]:
        safe, solves = real(*args, **kw)
        seen.update(safe)
        return safe, solves

    monkeypatch.setattr(run_nodes, "screen_suppliers", spy)
    try:
        return resilience(sc, screen=True), seen
    finally:
        monkeypatch.setattr(run_nodes, "screen_suppliers", real)


def test_spare_capacity_hand_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two fuze sources of 100 a month, 100 fuzes used a month, 50 in store: either one can
    take all the other's orders, so neither outage loses anything (TTS unbounded)."""
    sc = scenario(supplier("s1", 100, 3) + supplier("s2", 100, 3), line("l1", 100, 1), store=50)
    got, safe = _screened(monkeypatch, sc)
    assert safe == {"s1", "s2"}
    plain = resilience(sc, screen=False)
    assert _key(got) == _key(plain)
    for n in plain.nodes:
        if n.kind == "supplier":
            assert n.tts_months is None and n.tts_window_months is None
            assert n.lost_units == 0 and n.lost_units_in_window == 0
    # the line is not screened: down for 1 month from month 0, with no atm in stock, the
    # month's 100 atm are lost
    ln = next(n for n in got.nodes if n.node == "l1")
    assert ln.tts_window_months == 0.0 and ln.lost_units_in_window == pytest.approx(100)


def test_no_spare_capacity_is_left_to_the_lp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sources of 60 and 40 against 100 a month, 250 in store (issue 14's case): no spare
    capacity, so the screen proves nothing and the LP answers (each alone, TTR 3: the store
    covers 250 / 40 and 250 / 60 months of the gap)."""
    sc = scenario(supplier("s1", 60, 3) + supplier("s2", 40, 3), line("l1", 100), store=250)
    got, safe = _screened(monkeypatch, sc)
    assert safe == set()
    assert _key(got) == _key(resilience(sc, screen=False))
    s1 = next(n for n in got.nodes if n.node == "s1")
    assert s1.tts_window_months == pytest.approx(250 / 60, abs=0.01)


def test_a_shorter_lead_time_can_take_over_a_longer_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """100 fuzes used a month, 100 in store (month 0's): s-slow (lead 2) can be replaced by
    s-fast (lead 1, ordering a month later, arriving the same month); s-fast cannot: month 1's
    fuzes can only come from an order of month 0 with lead 1, so its outage loses units."""
    sups = supplier("s-fast", 100, 2).replace("lead_time_months: 0", "lead_time_months: 1") \
        + supplier("s-slow", 100, 2).replace("lead_time_months: 0", "lead_time_months: 2")
    sc = scenario(sups, line("l1", 100), store=100)
    got, safe = _screened(monkeypatch, sc)
    assert "s-slow" in safe and "s-fast" not in safe
    plain = resilience(sc, screen=False)
    assert _key(got) == _key(plain)
    fast = next(n for n in plain.nodes if n.node == "s-fast")
    assert fast.tts_window_months == 1.0 and fast.lost_units == pytest.approx(100)


SUP = """  {sid}:
    country: LV
    supplies:
{supplies}
    disruption: {{rate_per_year: 0.1, recovery_months: [0.5, {ttr}, {hi}]}}
"""


def _generated(data: st.DataObject) -> Scenario:
    n_sup = data.draw(st.integers(2, 5))
    sups = []
    for k in range(n_sup):
        items = data.draw(st.sampled_from([["fuze"], ["case"], ["fuze", "case"]]))
        lines = []
        for it in items:
            cap = data.draw(st.sampled_from([None, 30, 60, 100, 150]))
            c = "" if cap is None else f", capacity_per_month: {cap}"
            lines.append(f"      {it}: {{price: {data.draw(st.integers(1, 3))}, "
                         f"lead_time_months: {data.draw(st.integers(0, 2))}{c}}}")
        ttr = data.draw(st.sampled_from([1, 1.5, 2, 3]))
        sups.append(SUP.format(sid=f"s{k}", supplies="\n".join(lines), ttr=ttr, hi=ttr + 1))
    target = data.draw(st.sampled_from(["", "\n    targets: [{item: atm, by: \"2026-09\", units: 150}]"]))
    text = f"""bastion: 1
name: screen case
horizon: {{start: "2026-01", months: 12}}
items:
  atm: {{made: true, bom: {{fuze: 1, case: {data.draw(st.sampled_from([0.5, 1, 2]))}}}}}
  fuze: {{made: false, holding_cost_per_month: {data.draw(st.sampled_from([0, 0.01]))}}}
  case: {{made: false}}
suppliers:
{"".join(sups)}sites:
  plant:
    country: LV
    initial_store: {{fuze: {data.draw(st.sampled_from([0, 100, 300]))}, case: 100}}
    lines:
      line-1:
        makes: [atm]
        capacity_per_month: {data.draw(st.sampled_from([60, 100, 140]))}
        outage: {{rate_per_year: 0.1, recovery_months: [0.5, 1, 2]}}
customers:
  army:
    country: LV
    consumption: {{atm: {data.draw(st.sampled_from([40, 80, 120]))}}}{target}
"""
    return load_text(text)


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_screened_route_equals_the_lp(monkeypatch: pytest.MonkeyPatch, data: st.DataObject) -> None:
    sc = _generated(data)
    got, safe = _screened(monkeypatch, sc)
    plain = resilience(sc, screen=False)
    for n in plain.nodes:
        if n.kind == "supplier" and n.node in safe:
            assert n.tts_months is None and n.tts_window_months is None, n.node
            assert n.lost_weighted == 0 and n.lost_weighted_in_window == 0, n.node
    assert _key(got) == _key(plain)


def test_an_unlimited_source_is_replaced_by_spare_capacity(monkeypatch: pytest.MonkeyPatch) -> None:
    """a (150 a month), b (unlimited), c (60): the least plan orders 100 a month; whichever of
    them is down, the others' spare capacity takes its orders (b's 100 fit in a's 150)."""
    sups = supplier("a", 150, 2) + supplier("b", None, 2) + supplier("c", 60, 1.5)
    sc = scenario(sups, line("l1", 100, 1), store=100)
    got, safe = _screened(monkeypatch, sc)
    assert safe == {"a", "b", "c"}
    plain = resilience(sc, screen=False)
    assert _key(got) == _key(plain)
    assert all(n.tts_months is None for n in plain.nodes if n.kind == "supplier")


def test_pooled_plan_gives_the_same_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan solved pooled (forced: POOL_MIN_ORDERS 0; two tiers: a + c at price 1, b at
    price 2 with lead 1) gives the unpooled plan's state at M (2026-04), so the same TTS and
    losses (the screen off in both, to compare the plans). One line as fast as the demand:
    the surplus can only be held as fuzes, so the most stock at M is one state (with a
    second line it could be held as fuzes or as mines, a tie across items the state rule
    leaves to the solver)."""
    b = supplier("b", 40, 3).replace("price: 1, lead_time_months: 0", "price: 2, lead_time_months: 1")
    sc = scenario(supplier("a", 60, 2) + supplier("c", 20, 3) + b, line("l1", 100, 1), store=120)
    plain = resilience(sc, screen=False, at="2026-04")
    monkeypatch.setattr(variant, "POOL_MIN_ORDERS", 0)
    monkeypatch.setattr(pool, "POOL_MIN_ORDERS", 0)
    pooled = resilience(sc, screen=False, at="2026-04")
    assert _key(pooled) == _key(plain)
    assert plain.state_rule == preplan.RULE_MOST_STOCK  # the per-store tie stages (tiebreak.py)
    assert pooled.state_rule == preplan.RULE_POOLED  # the pooled route says it skips them
    tts = {n.node: (n.tts_months, n.tts_window_months) for n in pooled.nodes}
    assert tts["a"] == (3.5, 3.5) and tts["b"] == (8.0, 9.0) and tts["c"] == (None, None)
    # and the screened route on the pooled plan (the default at scale) agrees as well
    assert _key(resilience(sc, at="2026-04")) == _key(plain)


def test_pooled_plan_by_ipm_on_the_cost_face(monkeypatch: pytest.MonkeyPatch) -> None:
    """As above with every LP counted large (IPM_MIN_COLS 0) and a second customer of another
    priority (so the plan's tie-break holds the cost face too, as at scale): the most-stock
    stage holds the cost stage's optimal face (pooled.hold_cost_face), the same figures."""
    from bastion.plan import solve

    b = supplier("b", 40, 3).replace("price: 1, lead_time_months: 0", "price: 2, lead_time_months: 1")
    navy = "  navy:\n    country: LV\n    priority: 2\n    consumption: {atm: 5}\n"
    sc = scenario(supplier("a", 60, 2) + supplier("c", 20, 3) + b, line("l1", 105, 1), store=120,
                  risks=navy)  # appended to the customers
    plain = resilience(sc, screen=False, at="2026-04")
    monkeypatch.setattr(variant, "POOL_MIN_ORDERS", 0)
    monkeypatch.setattr(pool, "POOL_MIN_ORDERS", 0)
    monkeypatch.setattr(solve, "IPM_MIN_COLS", 0)
    held: list[bool] = []
    real = pooled_mod.hold_cost_face

    def spy(*args: Any) -> bool:
        held.append(real(*args))
        return held[-1]

    monkeypatch.setattr(preplan, "hold_cost_face", spy)
    got = resilience(sc, screen=False, at="2026-04")
    assert held == [True]
    assert _key(got) == _key(plain)
