"""compare: what changed in the scenario, and how the headline numbers moved."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

from bastion.store import RunRecord, compare, diff_values, line_changes, scenario_diff, scenario_hash

MakeRecord = Callable[..., RunRecord]

REFERENCE = Path(__file__).resolve().parents[2] / "src/bastion/scenario/examples/baltic-atm-plant.yaml"
CAPACITY_LINE = "      body-casting: {price: 46, lead_time_months: 2, capacity_per_month: 1200}\n"


def with_text(record: RunRecord, text: str) -> RunRecord:
    return dataclasses.replace(record, scenario_text=text, scenario_hash=scenario_hash(text))


def test_a_supplier_capacity_change_shows_in_the_diff_and_its_effect_in_the_headline(
    make_record: MakeRecord,
) -> None:
    text = REFERENCE.read_text("utf-8")
    assert CAPACITY_LINE in text
    changed = text.replace(CAPACITY_LINE, CAPACITY_LINE.replace("1200", "600"))
    a = with_text(make_record("run-a"), text)
    b_headline = {
        "first_output": {"p50": "2027-12", "p_within_24_months": 0.64},
        "targets": [{"customer": "army", "item": "155mm", "by": "2028-12", "probability": 0.75}],
        "cost": {"total": 1.31e9, "capex": 4.1e8},
    }
    b = with_text(make_record("run-b", minutes=5, headline=b_headline, status="short"), changed)

    result = compare(a, b)

    scenario = result["scenario"]
    assert scenario["changed"] and scenario["added"] == 1 and scenario["removed"] == 1
    assert (
        "-      body-casting: {price: 46, lead_time_months: 2, capacity_per_month: 1200}" in scenario["diff"]
    )
    assert (
        "+      body-casting: {price: 46, lead_time_months: 2, capacity_per_month: 600}" in scenario["diff"]
    )
    assert scenario["changes"] == [
        {
            "where": "suppliers.steel-works-lv.supplies.body-casting",
            "kind": "changed",
            "line_a": 136,
            "a": CAPACITY_LINE.rstrip("\n"),
            "line_b": 136,
            "b": CAPACITY_LINE.rstrip("\n").replace("1200", "600"),
        }
    ]
    assert scenario["diff"].startswith("--- run-a/examples/baltic-atm-plant.yaml\n+++ run-b/")

    headline = {entry["key"]: entry for entry in result["headline"]}
    assert headline["first_output.p50"]["delta_months"] == 3
    assert headline["first_output.p_within_24_months"]["delta"] == 0.64 - 0.82
    probability = headline["targets[army/155mm/2028-12].probability"]
    assert (probability["a"], probability["b"]) == (0.91, 0.75)
    assert headline["cost.total"]["delta"] == 1.31e9 - 1.25e9
    assert headline["cost.total"]["relative"] == (1.31e9 - 1.25e9) / 1.25e9
    assert headline["cost.capex"]["changed"] is False and headline["cost.capex"]["delta"] == 0
    assert result["settings"]["status"] == {"a": "ok", "b": "short", "changed": True}
    assert result["settings"]["seed"]["changed"] is False
    json.dumps(result, allow_nan=False)  # JSON-able as it is


def test_identical_runs_compare_as_unchanged(make_record: MakeRecord) -> None:
    a, b = make_record("a"), make_record("b")
    result = compare(a, b)
    assert result["scenario"] == {
        "changed": False,
        "hash_a": a.scenario_hash,
        "hash_b": a.scenario_hash,
        "diff": "",
        "added": 0,
        "removed": 0,
        "changes": [],
    }
    assert result["versions"] == {}
    assert not any(entry["changed"] for entry in result["headline"])
    assert scenario_diff(a, b) == ""


def test_version_changes_are_listed(make_record: MakeRecord) -> None:
    a = make_record("a")
    b = make_record("b", versions={**a.versions, "numpy": "2.2.0", "jax": "0.4.30"})
    assert compare(a, b)["versions"] == {
        "jax": {"a": None, "b": "0.4.30"},
        "numpy": {"a": "2.1.0", "b": "2.2.0"},
    }


def test_list_elements_are_matched_by_their_names_not_their_positions() -> None:
    a = {
        "targets": [
            {"customer": "army", "item": "155mm", "p": 0.9},
            {"customer": "navy", "item": "155mm", "p": 0.5},
        ]
    }
    b = {
        "targets": [
            {"customer": "navy", "item": "155mm", "p": 0.6},
            {"customer": "army", "item": "155mm", "p": 0.9},
        ]
    }
    entries = {entry["key"]: entry for entry in diff_values(a, b, changed_only=True)}
    assert list(entries) == ["targets[navy/155mm].p"]
    assert round(entries["targets[navy/155mm].p"]["delta"], 12) == 0.1


def test_unnamed_lists_fall_back_to_positions_and_missing_keys_show_as_none() -> None:
    entries = diff_values({"xs": [1, 2], "gone": True, "zero": 0}, {"xs": [1, 3, 4], "new": "x", "zero": 5})
    by_key = {entry["key"]: entry for entry in entries}
    assert by_key["xs[1]"]["delta"] == 1
    assert by_key["xs[2]"] == {"key": "xs[2]", "a": None, "b": 4, "changed": True, "only_in": "b"}
    assert by_key["gone"] == {"key": "gone", "a": True, "b": None, "changed": True, "only_in": "a"}
    assert by_key["new"]["a"] is None
    assert by_key["zero"]["relative"] is None  # no relative change from zero
    assert "delta" not in by_key["gone"]  # booleans are not numbers here


def test_line_changes_name_the_keys_above_each_line() -> None:
    a = (
        "plant:\n  lines:\n    - id: L1\n      rate: 10\n    - id: L2\n      rate: 5\n"
        "  # note\n  site: riga\nend: 2030-12\nitems:\n- id: '155'\n  stock:\n    min: 1\n"
    )
    b = (
        "plant:\n  lines:\n    - id: L1\n      rate: 12\n    - id: L2\n      rate: 5\n    - id: L3\n"
        "  site: riga\nend: 2031-06\nitems:\n- id: '155'\n  stock:\n    min: 2\n"
    )
    changes = line_changes(a, b)
    assert [(c["where"], c["kind"], c["a"], c["b"]) for c in changes] == [
        ("plant.lines[L1].rate", "changed", "      rate: 10", "      rate: 12"),
        ("plant.lines[L3].id", "added", None, "    - id: L3"),  # not paired with an unrelated line
        ("plant", "removed", "  # note", None),
        ("end", "changed", "end: 2030-12", "end: 2031-06"),
        ("items[155].stock.min", "changed", "    min: 1", "    min: 2"),
    ]


def test_a_new_flow_style_list_item_is_named_by_its_values_and_shown_as_added() -> None:
    """Issue 13: `customers.pl-af.targets[atm-1, by: "2034-12", units: 10000}].{item` was shown."""
    a = "customers:\n  pl-af:\n    targets:\n      - {item: atm-1, by: \"2030-12\", units: 500}\n"
    b = a + "      - {item: atm-1, by: \"2034-12\", units: 10000}   # new\n"
    assert line_changes(a, b) == [
        {"where": "customers.pl-af.targets[atm-1/2034-12]", "kind": "added", "line_a": None, "a": None,
         "line_b": 5, "b": "      - {item: atm-1, by: \"2034-12\", units: 10000}   # new"},
    ]
    c = a.replace("units: 500", "units: 600")
    assert [(x["where"], x["kind"]) for x in line_changes(a, c)] == [
        ("customers.pl-af.targets[atm-1/2030-12]", "changed")]


def test_a_text_without_a_final_newline_still_diffs_line_by_line(make_record: MakeRecord) -> None:
    a = with_text(make_record("a"), "x: 1")
    b = with_text(make_record("b"), "x: 2")
    assert scenario_diff(a, b).splitlines()[-2:] == ["-x: 1", "+x: 2"]


def test_the_confidence_a_run_planned_at_is_a_compared_setting(make_record: MakeRecord) -> None:
    def at(levels: list[float | None]) -> dict[str, object]:
        return {"confidence": {"futures": 200, "targets": [{"requested": p} for p in levels]}}

    deterministic = make_record("a")
    flag = dataclasses.replace(make_record("b"), results=at([0.9, 0.9]))
    mixed = dataclasses.replace(make_record("c"), results=at([0.9, 0.95, None]))

    first = compare(deterministic, flag)["settings"]
    assert first["confidence"] == {"a": None, "b": 0.9, "changed": True}
    assert first["futures"] == {"a": None, "b": 200, "changed": True}
    second = compare(flag, mixed)["settings"]
    assert second["confidence"] == {"a": 0.9, "b": "0.9, 0.95", "changed": True}
    assert second["futures"]["changed"] is False
    assert compare(flag, flag)["settings"]["confidence"]["changed"] is False
