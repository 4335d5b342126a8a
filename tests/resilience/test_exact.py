"""Issue 14's cases: exact TTS in continuous time, horizon and window measures, pipelines."""

from __future__ import annotations

import pytest
from tests.resilience.cases import HEAD, line, scenario, supplier

from bastion.resilience import NodeResilience, ResilienceResult, resilience
from bastion.scenario import load_text


def node(result: ResilienceResult, kind: str, nid: str) -> NodeResilience:
    return next(n for n in result.nodes if n.kind == kind and n.node == nid)


def _slack_case(months: int) -> ResilienceResult:
    # one line of 90 a month, 100 consumed a month, 240 in the stockpile, the line
    # down for TTR 4 from month 0 (its only source of atm)
    return resilience(scenario(supplier("sup-a", cap=None, ttr=None),
                               line("line-1", cap=90, ttr=4), pile=240, months=months))


def test_window_measure_is_the_published_one() -> None:
    # inside the window: 240 last 2.4 months; 4 x 100 due, 240 held -> 160 lost
    n = node(_slack_case(24), "line", "line-1")
    assert n.tts_window_months == pytest.approx(2.4)
    assert n.lost_units_in_window == pytest.approx(160.0, abs=1e-4)
    assert n.lost_in_window == {"atm": pytest.approx(160.0, abs=1e-4)}


def test_horizon_measure_without_slack_loses_all_missed_output() -> None:
    # 24 months: 240 + 24 x 90 = 2400 = 24 x 100, no slack: any outage loses units
    # at the end (TTS 0) and the 4 x 90 never made are lost (360)
    n = node(_slack_case(24), "line", "line-1")
    assert n.tts_months == pytest.approx(0.0)
    assert n.lost_units == pytest.approx(360.0, abs=1e-4)
    assert n.lost == {"atm": pytest.approx(360.0, abs=1e-4)}


def test_horizon_measure_with_slack() -> None:
    # 12 months: 240 + 12 x 90 - 1200 = 120 of slack: TTS 120 / 90 = 1.33 (to the
    # hundredth below); down 4 months: 360 - 120 = 240 lost
    n = node(_slack_case(12), "line", "line-1")
    assert n.tts_months == pytest.approx(1.33)
    assert n.lost_units == pytest.approx(240.0, abs=1e-4)
    assert n.tts_window_months == pytest.approx(2.4)
    assert n.lost_units_in_window == pytest.approx(160.0, abs=1e-4)


def test_single_source_ttr_3() -> None:
    # 250 fuzes, 100 used a month: TTS 2.5; down 3 months: 300 due, 250 held -> 50
    n = node(resilience(scenario(supplier("sup-a", ttr=3), line("line-1"), store=250)),
             "supplier", "sup-a")
    assert n.tts_months == pytest.approx(2.5) and n.tts_window_months == pytest.approx(2.5)
    assert n.lost_units == pytest.approx(50.0, abs=1e-4)
    assert n.lost_units_in_window == pytest.approx(50.0, abs=1e-4)


def test_partial_month_output_cannot_serve_the_month_before_it() -> None:
    # the single source down for 2.75 months (mode of [1, 2.75, 3]): the 250 run out
    # at 2.5; the source's deliveries of [2.75, 3) come too late for [2.5, 2.75):
    # 25 lost (a month's even share would have said 0)
    n = node(resilience(scenario(supplier("sup-a", ttr=2.75), line("line-1", cap=200),
                                 store=250)), "supplier", "sup-a")
    assert n.tts_months == pytest.approx(2.5)
    assert n.lost_units == pytest.approx(25.0, abs=1e-4)
    assert n.lost_units_in_window == pytest.approx(25.0, abs=1e-4)


def test_shipments_on_the_way_arrive_and_orders_wait_for_the_end() -> None:
    # lead time 2, 100 a month = the line's use; at M = 2026-04 the orders of
    # February and March (200) are on the way and arrive in April and May. Down for
    # TTR 3 (April-June): orders of April-June ship from July, so June, July and
    # August lack 100 each. Window (April-June): TTS 2, 100 lost; horizon: capacity
    # equals use, so no outage is free (TTS 0) and 300 are lost.
    sup = """  sup-a:
    country: LV
    supplies:
      fuze: {price: 1, lead_time_months: 2, capacity_per_month: 100}
    disruption: {rate_per_year: 0.1, recovery_months: [1, 3, 4]}
"""
    n = node(resilience(scenario(sup, line("line-1"), store=200), at="2026-04"),
             "supplier", "sup-a")
    assert n.tts_window_months == pytest.approx(2.0)
    assert n.lost_units_in_window == pytest.approx(100.0, abs=1e-4)
    assert n.tts_months == pytest.approx(0.0)
    assert n.lost_units == pytest.approx(300.0, abs=1e-4)


def test_unbounded_tts_is_null_in_both_measures() -> None:
    r = resilience(scenario(supplier("sup-a") + supplier("sup-b"), line("line-1")))
    n = node(r, "supplier", "sup-a")
    assert n.tts_months is None and n.tts_window_months is None
    obj = next(o for o in r.to_json()["nodes"] if o["node"] == "sup-a")
    assert obj["tts_months"] is None and obj["tts_window_months"] is None
    assert obj["lost_by_item"] == {} and obj["lost_units"] == 0.0


@pytest.mark.parametrize(("ttr", "lost"), [(1.75, 25.0), (2.0, 50.0)])
def test_site_event_stops_both_lines(ttr: float, lost: float) -> None:
    # issue 14's site case: two lines of 100, 150 in the stockpile, 100 used a month,
    # spare capacity after the outage. Both lines stop: the stock runs out at 1.5,
    # so TTS 1.5 (not 1.75); down for 1.75, [1.5, 1.75) is lost: 25 (down for 2: 50)
    sc = scenario(supplier("sup-a", cap=None, ttr=None),
                  line("line-1", ttr=2) + line("line-2", ttr=2), pile=150, site_ttr=ttr)
    r = resilience(sc)
    site = node(r, "site", "plant")
    assert site.ttr_months == ttr
    assert site.tts_months == pytest.approx(1.5) and site.tts_window_months == pytest.approx(1.5)
    assert site.lost == {"atm": pytest.approx(lost, abs=1e-4)}
    assert site.lost_units_in_window == pytest.approx(lost, abs=1e-4)
    assert site.risk_exposure_index == pytest.approx(1.0)
    assert site.mitigation is not None
    for lid in ("line-1", "line-2"):  # one line alone: the other's 100 suffices
        n = node(r, "line", lid)
        assert n.tts_months is None and n.lost_units == 0.0


def test_a_target_counts_in_the_window_once_due() -> None:
    # no consumption; a target of 300 atm by the end of March (time 3); one line of
    # 100 a month, no slack. Horizon: any outage misses the target (TTS 0); down 1.5
    # months, 150 short. Window: the target falls due at 3, at or after the end of any
    # outage shorter than 3, so nothing is lost inside the window; from 3 on it is
    # inside: TTS 2.99 (the last hundredth before it), and TTR 1.5 loses nothing there
    sc = load_text(HEAD + "suppliers:\n" + supplier("sup-a", cap=None, ttr=None) + """
sites:
  plant:
    country: LV
    lines:
""" + line("line-1", ttr=1.5) + """
customers:
  army:
    country: LV
    targets: [{item: atm, by: "2026-03", units: 300}]
""")
    n = node(resilience(sc), "line", "line-1")
    assert n.tts_months == pytest.approx(0.0)
    assert n.lost == {"atm": pytest.approx(150.0, abs=1e-4)}
    assert n.tts_window_months == pytest.approx(2.99)
    assert n.lost_units_in_window == 0.0


def test_late_output_stays_late_through_acceptance() -> None:
    # one line of 200 a month whose output is usable a month later (acceptance 1);
    # 150 in the stockpile, 100 used a month. Down over [0, t): month 0's output is
    # made in [t, 1) and usable in [1 + t, 2), at 200 a month, while the stockpile
    # runs out at 1.5: it must arrive by then, so TTS = 0.5 (a month's even share
    # would say 0.75). Down for 1 month: month 1 gets nothing, 50 lost, all after
    # the window [0, 1): inside it nothing is lost, and inside any window the
    # stockpile lasts to 1.5 (window TTS 1.5).
    sc = scenario(supplier("sup-a", cap=None, ttr=None),
                  line("line-1", cap=200, ttr=1).replace(
                      "capacity_per_month: 200", "capacity_per_month: 200\n        acceptance_months: 1"),
                  pile=150)
    n = node(resilience(sc), "line", "line-1")
    assert n.tts_months == pytest.approx(0.5)
    assert n.lost == {"atm": pytest.approx(50.0, abs=1e-4)}
    assert n.tts_window_months == pytest.approx(1.5)
    assert n.lost_units_in_window == 0.0
