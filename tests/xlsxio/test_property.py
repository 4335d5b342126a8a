"""Property: any valid scenario survives YAML -> workbook -> scenario unchanged (ids, order, values)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsx_helpers import scenario_of

from bastion.scenario import Scenario, dump_scenario, load_text, model
from bastion.scenario.types import month_name
from bastion.xlsxio import build_workbook
from bastion.xlsxio.layout import Bound, field_bounds

TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs")), max_size=20),
    st.sampled_from(["=1+1", "-5", "+cmd", "@SUM(A1)", "line one\nline two", "ÅÄÖ – ünïcode", "1,200", "2028-03",
                     "TRUE", "NO"]),
)


def _sixteen_digits(x: float) -> bool:
    """Workbooks keep 16 significant digits (openpyxl writes "%.16g"; Excel itself computes with 15)."""
    return float(f"{x:.16g}") == x


def within(bounds: tuple[Bound | None, Bound | None], whole: bool = False) -> st.SearchStrategy[Any]:
    """Numbers inside the loader's documented range (read from the pydantic constraints, as the
    workbook's limits are), integers and floats alike, each limit included where the range includes it."""
    (low, low_in), (high, high_in) = (b if b is not None else (math.inf, True) for b in bounds)
    first = math.ceil(low) if low_in or not low.is_integer() else int(low) + 1
    last = math.floor(high) if high_in or not high.is_integer() else int(high) - 1
    ints = st.integers(first, last) if first <= last else st.nothing()
    if whole:
        return ints
    floats = st.floats(low, high, exclude_min=not low_in, exclude_max=not high_in, allow_nan=False)
    return st.one_of(ints, floats.filter(_sixteen_digits))


AMOUNT = within(field_bounds(model.Item, "holding_cost_per_month"))  # every NonNeg: 0 <= x < 1e15
BOM = within(field_bounds(model.Item, "bom", 1))
SCRAP = within(field_bounds(model.Item, "scrap_rate"))
RATE = within(field_bounds(model.Disruption, "rate_per_year"))
MONTHS = within(field_bounds(model.Line, "ramp_months"))
LEARNING = within(field_bounds(model.Line, "learning_rate"))
FACTOR = within(field_bounds(model.Surge, "factor"))
RESOURCE = within(field_bounds(model.Programme, "resources", 1), whole=True)
PRIORITY = within(field_bounds(model.Customer, "priority"), whole=True)
DISCOUNT = within(field_bounds(model.EconomicsSettings, "discount_rate"))
CONFIDENCE = within(field_bounds(model.EconomicsSettings, "confidence_level"))


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
        items[iid] = {"made": True, "bom": {c: draw(BOM) for c in comps}, "scrap_rate": draw(SCRAP)}
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
            supply: dict[str, Any] = {"price": draw(AMOUNT), "lead_time_months": draw(st.integers(0, months))}
            if draw(st.booleans()):
                supply["capacity_per_month"] = draw(AMOUNT)
            sup["supplies"][iid] = supply
        if draw(st.booleans()):
            sup["disruption"] = {"rate_per_year": draw(RATE), "recovery_months": draw(ranges())}
        suppliers[next(ids)] = sup
    if suppliers:
        data["suppliers"] = suppliers
    tasks = [next(ids) for _ in range(draw(st.integers(0, 3)))]
    resources = [next(ids) for _ in range(draw(st.integers(0, 2)))]
    if tasks or resources:
        capacity = {r: draw(RESOURCE) for r in resources}
        programme: dict[str, Any] = {"resources": capacity, "tasks": {}}
        for k, tid in enumerate(tasks):
            task: dict[str, Any] = {"duration_months": draw(ranges())}
            if k and draw(st.booleans()):
                task["after"] = draw(st.lists(st.sampled_from(tasks[:k]), unique=True, min_size=1))
            if resources and draw(st.booleans()):
                task["uses"] = {r: draw(st.integers(0, capacity[r]))  # a task holds at most the capacity
                                for r in draw(st.lists(st.sampled_from(resources), unique=True, min_size=1))}
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
                                    "learning_rate": draw(LEARNING),
                                    "optional": draw(st.booleans())}
            online = draw(st.sampled_from(["none", "month", "milestone"] if tasks else ["none", "month"]))
            if online == "month":
                line["online"] = month_name(draw(st.integers(0, months - 1)), start)
            elif online == "milestone":
                line["online"] = {"milestone": draw(st.sampled_from(tasks))}
            if draw(st.booleans()):
                line["outage"] = {"rate_per_year": draw(RATE), "recovery_months": draw(ranges())}
            lines[next(ids)] = line
        site: dict[str, Any] = {"country": "LV", "lines": lines}
        if draw(st.booleans()):
            site["initial_store"] = {i: draw(AMOUNT) for i in draw(st.lists(st.sampled_from(list(items)), unique=True))}
        sites[next(ids)] = site
    data["sites"] = sites
    customers: dict[str, Any] = {}
    for _ in range(draw(st.integers(1, 2))):
        cust: dict[str, Any] = {"country": "EE", "priority": draw(PRIORITY)}
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
            cust["surge"] = {"rate_per_year": draw(RATE), "duration_months": draw(ranges()), "factor": draw(FACTOR)}
        customers[next(ids)] = cust
    data["customers"] = customers
    if draw(st.booleans()):
        data["budget"] = {"capex_per_year": {int(start[:4]) + k: draw(AMOUNT) for k in range(draw(st.integers(1, 3)))}}
    if suppliers and draw(st.booleans()):
        data["risks"] = [{"id": next(ids), "applies_to": {"suppliers": list(suppliers)[:1]},
                          "duration_months": draw(ranges())}]
    if draw(st.booleans()):
        data["economics"] = {"discount_rate": draw(DISCOUNT), "confidence_level": draw(CONFIDENCE)}
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
