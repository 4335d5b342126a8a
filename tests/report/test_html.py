"""The HTML page on the reference run: marking, headline, charts, readings, tables, no network."""

from __future__ import annotations

import re
from typing import Any

from tests.report.conftest import CHART_IDS
from tests.report.pagehtml import Page

from bastion.programme.analysis import critical_path_text
from bastion.report import render_html
from bastion.report.fmt import money, pct, pct_pm
from bastion.report.names import names


def test_marking_at_top_and_bottom(page: str, run: dict[str, Any]) -> None:
    doc = Page(page)
    marking = run["classification"]
    assert doc.body_children[0] == "marking-top"
    assert doc.body_children[-3:][0] == "marking-bottom"  # then the two scripts
    assert doc.text_of["marking-top"].strip() == marking
    assert doc.text_of["marking-bottom"].strip() == marking
    assert f"<title>{marking} |" in page


def test_every_chart_has_div_title_axes_and_reading(page: str) -> None:
    doc = Page(page)
    assert set(doc.charts) == set(CHART_IDS)
    for cid, spec in doc.charts.items():
        assert cid in doc.ids
        layout = spec["layout"]
        title = layout["title"]["text"]
        assert title and title.replace("<br>", " ") in page  # long titles wrap at spaces
        assert layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"], cid
        assert spec["data"], cid
    readings = re.findall(r'<figcaption class="reading">(.*?)</figcaption>', page, re.S)
    assert len(readings) == len(CHART_IDS)
    assert all(len(r.strip()) > 20 for r in readings)


def test_axis_titles_carry_units(page: str) -> None:
    doc = Page(page)
    for cid, spec in doc.charts.items():
        y = spec["layout"]["yaxis"]["title"]["text"]
        if cid not in ("chart-gantt", "chart-exposure-index", "chart-supplier-load"):  # category axes
            assert "(" in y and ")" in y, (cid, y)


def test_plotly_is_embedded_once_and_nothing_is_fetched(page: str) -> None:
    doc = Page(page)
    remote = [u for u in doc.urls if re.match(r"\s*(https?:)?//", u[2], re.I)]
    assert remote == []
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+stylesheet", page)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page)
    assert page.count("* plotly.js v") == 1
    assert page.count("Plotly.newPlot(") == 1  # one loop draws every chart


def test_headline_numbers_are_the_runs(page: str, run: dict[str, Any]) -> None:
    doc = Page(page)
    box = doc.text_of["headline"]
    fo = run["simulate"]["first_output"]
    assert fo["p50"] in box
    assert pct_pm(fo["p_within_24_months"], fo["stderr"]) in box
    customers = run["plan"]["catalogue"]["customers"]
    for t in run["simulate"]["targets"]:
        name = customers[t["customer"]]["name"]
        assert f"{name}: {t['units']:,.0f} Anti-tank mine, generic by {t['by']}" in box
        assert pct_pm(t["probability"], t["stderr"]) in box
    # every "met in plan" has its P(met) beside it, and one sentence says why they differ
    assert box.count("P(met) in simulated futures; met in plan (") == 6
    assert "no margin" in box
    assert money(run["economics"]["total_cost"], "EUR") in box
    assert money(run["plan"]["cost"]["capex"], "EUR") in box
    jcl = run["economics"]["jcl"]
    if jcl["p70_month"] is None:
        assert "not reached" in box and pct(jcl["reached_share"]) in box
    else:
        assert jcl["p70_month"] in box and money(jcl["p70_cost"], "EUR") in box
    assert "every target met" in box


def test_readings_are_computed_from_the_data(page: str, run: dict[str, Any]) -> None:
    t = run["simulate"]["targets"][0]
    name = run["plan"]["catalogue"]["customers"][t["customer"]]["name"]
    assert (f"{name} reaches {t['units']:,.0f} by {t['by']} in {pct(t['probability'])} of futures"
            in page)
    path = critical_path_text(run["schedule"]["critical_steps"])  # the wording of `bastion schedule`
    assert f"the critical path runs {path} (∥: side by side, both critical)" in page
    # the reference programme builds and procures side by side: never shown as a chain
    assert "(construction ∥ equipment-procurement)" in path
    assert "construction → equipment-procurement" not in page
    top = max(run["resilience"]["nodes"], key=lambda n: n["risk_exposure_index"])
    assert f"Most exposed: {names(run).node(top['node'])}" in page


def test_tables_are_present(page: str, run: dict[str, Any]) -> None:
    doc = Page(page)
    for tid in ("targets", "lines", "cost_breakdown", "resilience_nodes", "inputs"):
        assert f"table-{tid}" in doc.ids
    inputs = doc.text_of["table-inputs"]
    assert run["scenario_hash"] in inputs and run["scenario_file"] in inputs
    nodes = doc.text_of["table-resilience_nodes"]
    assert all(n["node"] in nodes for n in run["resilience"]["nodes"])
    assert "hold 13,900 Fill charge (bought complete) at Mine plant" in nodes  # the most exposed node's mitigation


def test_text_is_escaped(run: dict[str, Any], tables: dict[str, Any]) -> None:
    evil = "<script>alert('x')</script>"
    run["scenario"] = evil
    run["classification"] = "SECRET <b>&</b>"
    run["plan"]["targets"][0]["customer"] = evil
    run["simulate"]["fan_charts"][0]["customer"] = evil
    run["simulate"]["targets"][0]["customer"] = evil
    page = render_html(run, tables)
    assert evil not in page
    assert "&lt;script&gt;alert(" in page
    assert "SECRET &lt;b&gt;&amp;&lt;/b&gt;" in page
    doc = Page(page)  # the figure JSON still parses, with the name intact
    assert any(evil in str(spec) for spec in doc.charts.values())


def test_short_target_is_flagged(run: dict[str, Any], tables: dict[str, Any]) -> None:
    run["plan"]["targets"][1].update(met=False, shortfall=1234.0, met_month=None)
    run["status"] = "short"
    page = render_html(run, tables)
    box = Page(page).text_of["headline"]
    assert "1 target(s) short" in box and "SHORT in plan by 1,234" in box
    assert '<tr class="short">' in page


def test_jcl_point_when_reached(run: dict[str, Any], tables: dict[str, Any]) -> None:
    run["economics"]["jcl"].update(p70_month="2034-06", p70_cost=201_500_000.0, p70_probability=0.7)
    box = Page(render_html(run, tables)).text_of["headline"]
    assert "2034-06 at 201.5 M EUR" in box
