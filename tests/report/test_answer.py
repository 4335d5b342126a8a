"""The first page's answers: will we meet the targets, how sure, why not, what fixes it, what it costs."""

from __future__ import annotations

import re
from typing import Any

from bastion.report import render_html
from bastion.report.answer import MARGIN, answers, fix_text, why_clauses
from bastion.report.names import names


def _by_id(run: dict[str, Any]) -> dict[str, Any]:
    return {a.id: a for a in answers(run)}


def test_short_run_answers_with_names_and_numbers(short_run: dict[str, Any]) -> None:
    a = _by_id(short_run)
    assert list(a) == ["will", "sure", "why", "fix", "cost"]
    assert a["will"].lead == "No: 1 of 6 targets is short in the plan."
    assert a["will"].points == ["Lithuanian armed forces (illustrative): 36,000 Anti-tank mine, generic by "
                                "2032-12: 35,578 in the plan, 422 short."]
    why = a["why"].points[0]
    assert why.startswith("Lithuanian armed forces (illustrative): Anti-tank mine, generic by 2032-12, 422 short:")
    assert "line-1 at Mine plant (LV), illustrative runs at full capacity from 2028-01." in why
    fix = a["fix"].points[0]
    assert "+20 units a month of capacity on line-1 at Mine plant (LV), illustrative from 2028-01 " \
           "(now 2,400 a month, then 2,420)" in fix
    assert "online in 2027-12, 1 month earlier" in fix
    for text in (p for ans in a.values() for p in [ans.lead, *ans.points]):
        assert "unlimited" not in text and "ten times" not in text and "weighted" not in text
        assert "priority 1" not in text
    assert a["cost"].lead.startswith("184.8 M EUR over the horizon")


def test_met_in_plan_shows_its_probability_and_why_they_differ(run: dict[str, Any]) -> None:
    a = _by_id(run)
    assert a["will"].lead == "Yes, in the plan: all 6 targets are met on time."
    sure = a["sure"]
    assert MARGIN in sure.lead
    lines = [p for p in sure.points if "met in the plan" in p]
    assert len(lines) == 6
    assert all(re.search(r"met in the plan, P\(met\) \d+% ± \d+\.\d% of futures", p) for p in lines)
    assert any(p.startswith("Latvian armed forces (illustrative): 20,000 Anti-tank mine, generic by 2030-12: "
                            "met in the plan, P(met) 72%") for p in lines)


def test_first_page_order_in_the_html(short_run: dict[str, Any], short_tables: dict[str, Any]) -> None:
    page = render_html(short_run, short_tables)
    order = [page.index(f'id="answer-{k}"') for k in ("will", "sure", "why", "fix", "cost")]
    assert order == sorted(order)
    assert order[-1] < page.index('id="headline"') < page.index('id="section-stockpiles"')


def test_fix_text_for_each_kind() -> None:
    nm = names({"plan": {"catalogue": {
        "items": {"fz": {"name": "Fuze assembly"}},
        "suppliers": {"fw": {"name": "Fuze works (DE)"}},
        "sites": {"p": {"name": "Plant"}},
        "lines": {"l1": {"site": "p"}}}}})
    assert fix_text({"kind": "supplier_capacity", "node": "fw", "item": "fz", "change": 300.0, "current": 1000.0,
                     "from_month": "2029-03"}, nm) == (
        "+300 Fuze assembly a month from Fuze works (DE) from 2029-03 (now 1,000 a month, then 1,300)")
    assert fix_text({"kind": "line_online", "node": "l1", "change": 3.0, "current": 10.0,
                     "from_month": "2026-08"}, nm) == "l1 at Plant online in 2026-08, 3 months earlier"
    assert why_clauses("x: fw capacity for fz binds from 2029-03; l1 is not built; other", nm) == [
        "Fuze works (DE) delivers all the Fuze assembly it can from 2029-03.", "l1 at Plant is not built in the plan."]


def test_run_without_plan_or_simulation_still_answers(run: dict[str, Any]) -> None:
    for key in ("plan", "simulate", "economics", "resilience"):
        del run[key]
    a = _by_id(run)
    assert a["will"].lead == "No plan and no simulation in this run."
    assert a["cost"].lead == "Not computed in this run."
    assert a["fix"].lead == "Not known: this run has no plan."
