"""API details: reference month, given plan, concentration, JSON keys, errors."""

from __future__ import annotations

import json

import pytest
from tests.resilience.cases import line, scenario, supplier

from bastion.plan import solve_plan
from bastion.resilience import ResilienceError, resilience
from bastion.resilience.countries import EU, NATO, outside_eu_nato


def test_given_plan_matches_own_solve() -> None:
    sc = scenario(supplier("sup-a"), line("line-1"), store=250)
    own = resilience(sc)
    given = resilience(sc, solve_plan(sc, explain=False, sensitivity=False))
    assert [(n.node, n.tts_months, round(n.lost_units, 4)) for n in own.nodes] == \
        [(n.node, n.tts_months, round(n.lost_units, 4)) for n in given.nodes]


def test_at_later_month_uses_the_most_stocked_optimal_plan() -> None:
    # the source's 100 a month meets the line's 100 a month, so buying every month
    # before M costs no more than using the initial 250 first: among cost-optimal
    # plans the rule (preplan.py) takes the one holding the most at M, which still
    # holds the 250 at 2026-06: TTS 2.5 and, down for TTR 4, 150 lost.
    sc = scenario(supplier("sup-a"), line("line-1"), store=250)
    r = resilience(sc, at="2026-06")
    a = next(n for n in r.nodes if n.node == "sup-a")
    assert r.reference_month == "2026-06" and r.reference_rule == "given (--at)"
    assert a.tts_months == pytest.approx(2.5)
    assert a.lost_units == pytest.approx(150.0, abs=1e-4)


def test_at_outside_horizon_is_an_error() -> None:
    sc = scenario(supplier("sup-a"), line("line-1"))
    with pytest.raises(ResilienceError, match="outside the horizon"):
        resilience(sc, at="2030-01")
    with pytest.raises(ResilienceError, match="YYYY-MM"):
        resilience(sc, at="soon")


def test_concentration_hhi_and_non_eu_nato_share() -> None:
    sc = scenario(supplier("sup-a", cap=300) + supplier("sup-cn", cap=100, country="CN"),
                  line("line-1"))
    (c,) = resilience(sc).concentration
    assert c.sources == ("sup-a", "sup-cn") and not c.single_point
    assert c.hhi == pytest.approx(0.75**2 + 0.25**2)
    assert c.non_eu_nato_share == pytest.approx(0.25)
    single = resilience(scenario(supplier("sup-a"), line("line-1"))).concentration[0]
    assert single.single_point and single.hhi == pytest.approx(1.0)


def test_country_sets() -> None:
    assert len(EU) == 27 and len(NATO) == 32
    assert not outside_eu_nato("no") and not outside_eu_nato("US") and outside_eu_nato("CN")


def test_json_keys_and_csv() -> None:
    r = resilience(scenario(supplier("sup-a"), line("line-1"), store=250))
    obj = json.loads(json.dumps(r.to_json(), allow_nan=False))
    for n in obj["nodes"]:
        assert {"node", "kind", "ttr_months", "tts_months", "lost_units",
                "risk_exposure_index"} <= set(n)
        assert n["kind"] in {"supplier", "line", "site", "risk"}
    tables = r.csv_tables()
    assert tables["resilience-nodes.csv"].splitlines()[0].startswith("node,kind,ttr_months")
    assert "fuze" in tables["resilience-mitigations.csv"]
