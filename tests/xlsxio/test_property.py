"""Property: any valid scenario survives YAML -> workbook -> scenario unchanged (ids, order, values)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsx_helpers import scenario_of

from bastion.scenario import Scenario, dump_scenario, load_text
from bastion.scenario.types import month_name
from bastion.xlsxio import build_workbook

TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs")), max_size=20),
    st.sampled_from(["=1+1", "-5", "+cmd", "@SUM(A1)", "line one\nline two", "ÅÄÖ – ünïcode", "1,200", "2028-03",
                     "TRUE", "NO"]),
)


def _sixteen_digits(x: float) -> bool:
    """Workbooks keep 16 significant digits (openpyxl writes "%.16g"; Excel itself computes with 15)."""
    return float(f"{x:.16g}") == x


AMOUNT = st.one_of(st.integers(0, 10**9), st.floats(0, 1e9, allow_nan=False).filter(_sixteen_digits))
SHARE = st.floats(0, 0.99, allow_nan=False).filter(_sixteen_digits)
MONTHS = st.one_of(st.integers(0, 24), st.floats(0, 24, allow_nan=False).filter(_sixteen_digits))


@st.composite
def ranges(draw: st.DrawFn) -> list[float]:
    return sorted(draw(st.lists(MONTHS, min_size=3, max_size=3)))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 30))
    ids = iter(f"{draw(st.sampled_from(['a', 'b', 'x-', 'q.', 'z_']))}{k}" for k in range(n + 60))
    start = draw(st.sampled_from(["2026-01", "2027-06", "2030-12"]))
    months = draw(st.integers(12, 60))
    bought = [next(ids) for _ in range(draw(st.integers(1, 3)))]
    made = [next(ids) for _ in range(draw(st.integers(1, 3)))]
    items: dict[str, Any] = {}
    for iid in bought:
        items[iid] = {"name": draw(TEXT), "holding_cost_per_month": draw(AMOUNT)}
        if draw(st.booleans()):
            items[iid]["unit"] = draw(st.sampled_from(["kg", "each", "m"]))
    for k, iid in enumerate(made):
        comps = draw(st.lists(st.sampled_from(bought + made[:k]), unique=True, max_size=3))
        items[iid] = {"made": True, "bom": {c: draw(AMOUNT) for c in comps}, "scrap_rate": draw(SHARE)}
    data: dict[str, Any] = {"bastion": 1, "name": draw(TEXT.filter(bool)),
                            "horizon": {"start": start, "months": months}, "items": items}
    if draw(st.booleans()):
        data["description"] = draw(TEXT)
        data["classification"] = draw(TEXT)
        data["currency"] = draw(st.sampled_from(["EUR", "kEUR", "USD"]))
    suppliers: dict[str, Any] = {}
    for _ in range(draw(st.integers(0, 3))):
        sup: dict[str, Any] = {"country": draw(st.sampled_from(["LV", "NO", "DE"])), "supplies": {}}
        for iid in draw(st.lists(st.sampled_from(bought), unique=True, max_size=3)):
            supply: dict[str, Any] = {"price": draw(AMOUNT), "lead_time_months": draw(st.integers(0, 6))}
            if draw(st.booleans()):
                supply["capacity_per_month"] = draw(AMOUNT)
            sup["supplies"][iid] = supply
        if draw(st.booleans()):
            sup["disruption"] = {"rate_per_year": draw(SHARE), "recovery_months": draw(ranges())}
        suppliers[next(ids)] = sup
    if suppliers:
        data["suppliers"] = suppliers
    tasks = [next(ids) for _ in range(draw(st.integers(0, 3)))]
    resources = [next(ids) for _ in range(draw(st.integers(0, 2)))]
    if tasks or resources:
        programme: dict[str, Any] = {"resources": {r: draw(st.integers(1, 5)) for r in resources}, "tasks": {}}
        for k, tid in enumerate(tasks):
            task: dict[str, Any] = {"duration_months": draw(ranges())}
            if k and draw(st.booleans()):
                task["after"] = draw(st.lists(st.sampled_from(tasks[:k]), unique=True, min_size=1))
            if resources and draw(st.booleans()):
                task["uses"] = {r: 1 for r in draw(st.lists(st.sampled_from(resources), unique=True, min_size=1))}
            programme["tasks"][tid] = task
        if draw(st.booleans()):
            programme["start"] = start
        data["programme"] = programme
    sites: dict[str, Any] = {}
    for _ in range(draw(st.integers(1, 2))):
        lines: dict[str, Any] = {}
        for _ in range(draw(st.integers(1, 2))):
            line: dict[str, Any] = {"makes": draw(st.lists(st.sampled_from(made), unique=True, min_size=1)),
                                    "capacity_per_month": draw(AMOUNT), "ramp_months": draw(MONTHS),
                                    "learning_rate": draw(st.floats(0.5, 1).filter(_sixteen_digits)),
                                    "optional": draw(st.booleans())}
            online = draw(st.sampled_from(["none", "month", "milestone"] if tasks else ["none", "month"]))
            if online == "month":
                line["online"] = month_name(draw(st.integers(0, months - 1)), start)
            elif online == "milestone":
                line["online"] = {"milestone": draw(st.sampled_from(tasks))}
            if draw(st.booleans()):
                line["outage"] = {"rate_per_year": draw(SHARE), "recovery_months": draw(ranges())}
            lines[next(ids)] = line
        site: dict[str, Any] = {"country": "LV", "lines": lines}
        if draw(st.booleans()):
            site["initial_store"] = {i: draw(AMOUNT) for i in draw(st.lists(st.sampled_from(list(items)), unique=True))}
        sites[next(ids)] = site
    data["sites"] = sites
    customers: dict[str, Any] = {}
    for _ in range(draw(st.integers(1, 2))):
        cust: dict[str, Any] = {"country": "EE", "priority": draw(st.integers(1, 3))}
        consumption: dict[str, Any] = {}
        for iid in draw(st.lists(st.sampled_from(made), unique=True, max_size=2)):
            if draw(st.booleans()):
                consumption[iid] = draw(AMOUNT)
            else:
                at = sorted(draw(st.lists(st.integers(0, months - 1), unique=True, min_size=1, max_size=3)))
                consumption[iid] = {month_name(m, start): draw(AMOUNT) for m in at}
        cust["consumption"] = consumption
        cust["targets"] = [{"item": draw(st.sampled_from(made)), "by": month_name(draw(st.integers(0, months - 1)),
                                                                                    start), "units": draw(AMOUNT)}
                           for _ in range(draw(st.integers(0, 2)))]
        if draw(st.booleans()):
            cust["surge"] = {"rate_per_year": draw(SHARE), "duration_months": draw(ranges()), "factor": 2}
        customers[next(ids)] = cust
    data["customers"] = customers
    if draw(st.booleans()):
        data["budget"] = {"capex_per_year": {int(start[:4]) + k: draw(AMOUNT) for k in range(draw(st.integers(1, 3)))}}
    if suppliers and draw(st.booleans()):
        data["risks"] = [{"id": next(ids), "applies_to": {"suppliers": list(suppliers)[:1]},
                          "duration_months": draw(ranges())}]
    if draw(st.booleans()):
        level = draw(st.floats(0.01, 0.99).filter(_sixteen_digits))
        data["economics"] = {"discount_rate": draw(SHARE), "confidence_level": level}
    return data


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
def test_round_trip_of_generated_scenarios(data: dict[str, Any]) -> None:
    scenario = Scenario.model_validate(data)
    text = dump_scenario(scenario)
    assert load_text(text) == scenario  # a valid scenario, cross-references included
    again = scenario_of(build_workbook(scenario))
    expected = scenario.model_dump(mode="json")
    for key in ("name", "description", "classification"):  # a cell's surrounding spaces are not kept
        expected[key] = expected[key].strip() or Scenario.model_fields[key].default
    got = again.model_dump(mode="json")
    _strip_names(expected)
    assert json.dumps(got) == json.dumps(expected)


def _strip_names(node: Any) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("name"), str):
            node["name"] = node["name"].strip()
        for value in node.values():
            _strip_names(value)
    elif isinstance(node, list):
        for value in node:
            _strip_names(value)
