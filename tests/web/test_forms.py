"""Section forms: the fields read from a scenario's text, and a change written back into its line."""

from __future__ import annotations

import difflib

import pytest

from bastion.scenario.errors import ScenarioError
from bastion.server.scenario_input import from_text
from bastion.server.web import forms
from bastion.server.web.routes_scenarios import starter_text

TEXT = starter_text("small-plant")
CAPACITY = ("suppliers", "parts-maker", "supplies", "part", "capacity_per_month")
UNITS = ("customers", "army", "targets", 0, "units")
BY = ("customers", "army", "targets", 0, "by")


def _changed(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm="")
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_fields_name_their_path_with_names_beside_codes() -> None:
    fields = {f.path: f for f in forms.fields("suppliers", TEXT)}
    assert fields[CAPACITY].value == "200"
    assert fields[CAPACITY].key == "suppliers.parts-maker.supplies.part.capacity_per_month"
    assert fields[CAPACITY].group == "Parts maker (parts-maker): Bought part (part)"
    targets = {f.path: f.value for f in forms.fields("customers", TEXT)}
    assert targets == {UNITS: "1000", BY: "2027-06"}


def test_a_change_rewrites_only_its_line_keeping_comments() -> None:
    after = forms.apply(TEXT, {CAPACITY: forms.scalar("1,500", "number"), BY: forms.scalar("2027-09", "month")})
    assert _changed(TEXT, after) == [
        "-      part: {price: 10, lead_time_months: 1, capacity_per_month: 200}",
        "+      part: {price: 10, lead_time_months: 1, capacity_per_month: 1500}",
        '-      - {item: product, by: "2027-06", units: 1000}',
        '+      - {item: product, by: "2027-09", units: 1000}',
    ]
    assert after.startswith("# A small starting scenario")
    scenario = from_text(after).scenario
    assert scenario.suppliers["parts-maker"].supplies["part"].capacity_per_month == 1500
    assert scenario.customers["army"].targets[0].by == "2027-09"


def test_input_cannot_change_the_files_structure() -> None:
    hostile = '1}\nitems: {}\n#'
    after = forms.apply(TEXT, {CAPACITY: forms.scalar(hostile, "number")})
    assert len(_changed(TEXT, after)) == 2  # one line out, one line in: the text is one quoted scalar
    with pytest.raises(ScenarioError) as error:
        from_text(after)
    paths = {p.path for p in error.value.problems}
    assert paths == {"suppliers.parts-maker.supplies.part.capacity_per_month"}


def test_ranges_and_a_negative_number_reach_the_loader_as_typed() -> None:
    assert forms.scalar(" 3, 6 ,12 ", "range") == "[3, 6, 12]"
    assert forms.scalar("[2]", "range") == "2"
    assert forms.scalar("three", "range") == '"three"'
    assert forms.scalar("-5", "number") == "-5"
    after = forms.apply(TEXT, {CAPACITY: "-5"})
    with pytest.raises(ScenarioError) as error:
        from_text(after)
    by_field, other = forms.field_errors(error.value, {forms.format_path(CAPACITY)})
    assert by_field == {"suppliers.parts-maker.supplies.part.capacity_per_month": ["must be >= 0, found -5"]}
    assert other == []


def test_a_value_not_on_its_own_line_rewrites_the_document() -> None:
    text = TEXT.replace("      part: {price: 10, lead_time_months: 1, capacity_per_month: 200}",
                        "      part:\n        price: 10\n        lead_time_months: 1\n        capacity_per_month:\n"
                        "          200")
    after = forms.apply(text, {CAPACITY: "150"})
    assert from_text(after).scenario.suppliers["parts-maker"].supplies["part"].capacity_per_month == 150
