"""Property tests: mutated scenarios, random bytes and text never raise anything but ScenarioError,
and every problem prints on one line as FILE:LINE: path: message (line breaks and control
characters in keys and values included)."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_helpers import PROBLEM_RE, VALID_YAML

from bastion.scenario import Scenario, ScenarioError, dump_scenario, load_bytes, load_text

BASE: dict[str, Any] = yaml.safe_load(VALID_YAML)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# any text that UTF-8 can encode (no lone surrogates)
_chars = st.characters(blacklist_categories=("Cs",))
line_text = st.text(_chars, max_size=20)
keys = st.one_of(line_text.filter(bool), st.sampled_from(["NO", "yes", "~", "on", "2026", "1.5", "<<"]))

odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.just(10**400),
    st.just(-(10**400)),
    st.just(-1),
    st.just(-0.5),
    st.just(float("nan")),
    st.just(float("inf")),
    st.just(float("-inf")),
    st.integers(),
    st.floats(),
    line_text,
    st.sampled_from(["2026-13", "2026-1", "NO", "", "atm-1", "line-1", "sat-line-1", "2026-06"]),
    st.lists(st.one_of(st.integers(), line_text), max_size=4),
    st.dictionaries(line_text, st.one_of(st.integers(), line_text, st.none()), max_size=3),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(_paths(value, (*prefix, index)))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _get(data, path[:-1])
        op = draw(st.sampled_from(["delete", "replace", "rename", "insert"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "replace":
            parent[path[-1]] = draw(odd_values)
        elif op == "rename" and isinstance(parent, dict):
            new = draw(keys)
            if new not in parent:
                parent[new] = parent.pop(path[-1])
        else:
            target = _get(data, path) if isinstance(_get(data, path), dict) else parent
            if isinstance(target, dict):
                target[draw(keys)] = draw(odd_values)
            elif isinstance(target, list):
                target.append(draw(odd_values))
    return data


def _check_problems(error: ScenarioError, name: str, one_line: bool = True) -> None:
    assert error.problems
    assert error.problems == sorted(error.problems, key=lambda p: (p.line, p.path, p.message))
    for problem in error.problems:
        assert problem.file == name
        assert isinstance(problem.line, int) and problem.line >= 1
        assert problem.path and problem.message
        if one_line:
            assert PROBLEM_RE.fullmatch(str(problem)), repr(str(problem))


def _round_trip(scenario: Scenario) -> None:
    assert load_text(dump_scenario(scenario), "dumped.yaml") == scenario


@SETTINGS
@given(mutated())
def test_mutated_scenario_gives_scenario_or_scenario_error(data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    try:
        scenario = load_text(text, "mutated.yaml")
    except ScenarioError as error:
        _check_problems(error, "mutated.yaml")
        n_lines = text.count("\n") + 1
        assert all(p.line <= n_lines for p in error.problems)
    else:
        _round_trip(scenario)


@SETTINGS
@given(mutated())
def test_mutated_scenario_as_json(data: dict[str, Any]) -> None:
    import json

    try:
        text = json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(data, indent=1, ensure_ascii=False).replace("NaN", "0").replace("Infinity", "1")
    try:
        load_text(text, "mutated.json", is_json=True)
    except ScenarioError as error:
        _check_problems(error, "mutated.json")


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    try:
        load_bytes(data, "random.bin")
    except ScenarioError as error:
        _check_problems(error, "random.bin")


@SETTINGS
@given(st.text(max_size=2000), st.booleans())
def test_random_text(text: str, is_json: bool) -> None:
    try:
        load_text(text, "random.txt", is_json=is_json)
    except ScenarioError as error:
        _check_problems(error, "random.txt")


@SETTINGS
@given(st.lists(st.sampled_from(VALID_YAML.splitlines(keepends=True)), max_size=60))
def test_shuffled_lines_of_the_scenario(lines: list[str]) -> None:
    text = "".join(lines)
    try:
        load_text(text, "shuffled.yaml")
    except ScenarioError as error:
        _check_problems(error, "shuffled.yaml")


def test_nan_and_huge_numbers_are_refused_not_crashing() -> None:
    for value in (".nan", ".inf", "-.inf", str(10**400), "1" * 5000, "1.0e400"):
        text = VALID_YAML.replace("capacity_per_month: 1000", f"capacity_per_month: {value}")
        try:
            load_text(text, "f.yaml")
        except ScenarioError as error:
            _check_problems(error, "f.yaml")
            assert [p.path for p in error.problems] == ["sites.plant-lv.lines.line-2.capacity_per_month"]
        else:
            raise AssertionError(f"{value} accepted")
