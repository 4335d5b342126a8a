"""Runs that lack engines still render: each missing part is left out with a one-line note."""

from __future__ import annotations

from typing import Any

import pytest
from tests.report.pagehtml import Page

from bastion.report import build_xlsx, render_html
from bastion.report.content import MISSING


def test_without_simulate_and_resilience(run: dict[str, Any], tables: dict[str, Any]) -> None:
    del run["simulate"], run["resilience"]
    page = render_html(run, tables)
    doc = Page(page)
    notes = doc.text_of["notes"]
    assert MISSING["simulate"] in notes and MISSING["resilience"] in notes
    assert not any(c.startswith("chart-fan") or c.startswith("chart-exposure") for c in doc.charts)
    assert {"chart-production-ramp", "chart-first-output", "chart-gantt", "chart-cash-by-year",
            "chart-unit-cost"} <= set(doc.charts)
    assert "Left out: the stockpile fan charts need the simulation." in page
    # the first output falls back on the schedule's risk analysis
    box = doc.text_of["headline"]
    assert run["schedule"]["risk"]["first_output"]["p50"] in box and "schedule risk" in box
    assert "met in plan" in box


def test_without_schedule(run: dict[str, Any], tables: dict[str, Any]) -> None:
    del run["schedule"]
    page = render_html(run, tables)
    doc = Page(page)
    assert MISSING["schedule"] in doc.text_of["notes"]
    assert "chart-gantt" not in doc.charts and "chart-first-output" in doc.charts


@pytest.mark.parametrize("keep", [(), ("plan",), ("economics",), ("schedule",), ("resilience",)])
def test_only_some_engines(run: dict[str, Any], tables: dict[str, Any], keep: tuple[str, ...]) -> None:
    for name in ("schedule", "plan", "simulate", "resilience", "economics"):
        if name not in keep:
            run.pop(name, None)
    page = render_html(run, tables if "plan" in keep else {})
    doc = Page(page)
    assert doc.text_of["marking-top"].strip() == run["classification"]
    assert doc.text_of["marking-bottom"].strip() == run["classification"]
    assert len([n for n in MISSING if n not in keep]) == doc.text_of["notes"].count("in this run")
    book = build_xlsx(run, tables if "plan" in keep else {})
    assert book[:2] == b"PK"


def test_empty_run_dict() -> None:
    page = render_html({}, {})
    assert "UNCLASSIFIED" in page and Page(page).charts == {}


def test_plan_without_production_and_null_jcl(run: dict[str, Any], tables: dict[str, Any]) -> None:
    tables["production"] = []
    run["economics"]["jcl"] = None
    page = render_html(run, tables)
    doc = Page(page)
    assert "chart-production-ramp" not in doc.charts
    assert "Left out: the production ramp needs the plan" in page
    assert "70% joint confidence (JCL)" in doc.text_of["headline"]


def test_first_output_histogram_with_never(run: dict[str, Any], tables: dict[str, Any]) -> None:
    fo = run["simulate"]["first_output"]
    fo["histogram"]["never"] = 7
    fo["never"] = 7
    doc = Page(render_html(run, tables))
    xs = doc.charts["chart-first-output"]["data"][0]["x"]
    assert "never" not in xs and xs == [m for m in fo["histogram"] if m != "never"]
