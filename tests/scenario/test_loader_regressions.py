"""Regression tests for loader bugs found by the first test pass (all fixed)."""

from __future__ import annotations

import json

import pytest
import yaml
from scenario_helpers import PROBLEM_RE, VALID_YAML, messages_of, problems_of

from bastion.scenario import ScenarioError, load_text


def edit(old: str, new: str) -> str:
    assert VALID_YAML.count(old) == 1, old
    return VALID_YAML.replace(old, new)


def line(text: str, snippet: str) -> int:
    [found] = [n for n, t in enumerate(text.splitlines(), 1) if snippet in t]
    return found


def test_negative_number_inside_a_range() -> None:
    text = edit("recovery_months: [1, 2, 4]", "recovery_months: [-1, 2, 4]")
    assert messages_of(text) == [
        f"f.yaml:{line(text, '[-1, 2, 4]')}: suppliers.steel-lv.disruption.recovery_months: "
        "must be >= 0, found -1"
    ]


def test_word_inside_a_range() -> None:
    text = edit("recovery_months: [1, 2, 4]", "recovery_months: [1, two, 4]")
    [problem] = problems_of(text)
    assert problem.path == "suppliers.steel-lv.disruption.recovery_months"
    assert "two" in problem.message


def test_unknown_key_beside_a_milestone() -> None:
    text = edit("online: {milestone: sat-line-1}", "online: {milestone: sat-line-1, foo: 1}")
    [message] = messages_of(text)
    assert message.startswith(
        f"f.yaml:{line(text, 'foo: 1')}: sites.plant-lv.lines.line-1.online.foo: unknown key foo"
    )


def test_month_with_trailing_newline_is_rejected() -> None:
    text = edit('online: "2027-06"', 'online: "2027-06\\n"')
    [problem] = problems_of(text)
    assert (problem.line, problem.path) == (line(text, "2027-06"), "sites.plant-lv.lines.line-2.online")


def test_month_in_non_ascii_digits_is_rejected() -> None:
    text = edit('online: "2027-06"', 'online: "\u0662\u0660\u0662\u0667-\u0660\u0666"')
    [problem] = problems_of(text)
    assert problem.path == "sites.plant-lv.lines.line-2.online"


def test_unquoted_year_as_month_asks_for_yyyy_mm() -> None:
    text = edit('horizon: {start: "2026-01", months: 36}', "horizon: {start: 2026, months: 36}")
    [problem] = problems_of(text)
    assert problem.path == "horizon.start" and "YYYY-MM" in problem.message


def test_control_character_names_its_line_on_one_line() -> None:
    [problem] = problems_of("bastion: 1\nname: a\x00b\n")
    assert problem.line == 2
    assert PROBLEM_RE.fullmatch(str(problem)), repr(str(problem))


@pytest.mark.parametrize(
    "old,new",
    [
        ("country: EE", 'country: "E\\nf.yaml:1: bastion: fake"'),
        ("  crate: {made: false}", '  "crate\\nx": {made: false}'),
    ],
    ids=["value", "key"],
)
def test_problem_is_one_line_even_with_newlines_in_the_file(old: str, new: str) -> None:
    for problem in problems_of(edit(old, new)):
        assert PROBLEM_RE.fullmatch(str(problem)), repr(str(problem))


def test_key_with_leading_space_is_visible() -> None:
    for problem in problems_of(VALID_YAML + '" foo": 1\n'):
        assert PROBLEM_RE.fullmatch(str(problem)), repr(str(problem))


def test_year_key_path_is_not_a_list_index() -> None:
    text = edit("2027: 25000000", "2027: -1")
    assert [p.path for p in problems_of(text)] == ["budget.capex_per_year.2027"]


def _json(data: object) -> str:
    return json.dumps(data, indent=2)  # ensure_ascii=True: what json.dump writes by default


def test_json_surrogate_pair_escape() -> None:
    data = yaml.safe_load(VALID_YAML)
    data["name"] = "Plant \U0001f600"
    assert load_text(_json(data), "f.json", is_json=True).name == "Plant \U0001f600"


def test_json_exponent_number() -> None:
    text = _json(yaml.safe_load(VALID_YAML)).replace('"months": 36', '"months": 3.6e1', 1)
    assert load_text(text, "f.json", is_json=True).horizon.months == 36


def test_value_and_reference_problems_listed_together() -> None:
    text = edit("spring: 2}", "spring: -2}").replace("makes: [atm-1]", "makes: [gadget]")
    with pytest.raises(ScenarioError) as info:
        load_text(text, "f.yaml")
    assert [p.path for p in info.value.problems] == [
        "items.fuze-assy.bom.spring",
        "sites.plant-lv.lines.line-1.makes[0]",
    ]
