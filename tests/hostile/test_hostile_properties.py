"""Issue 21: any mutation of a valid scenario gives a scenario or a clean refusal, never a traceback.

Hypothesis mutates `valid-base.yaml` (a value swapped for a hostile token,
a line dropped or doubled, a key renamed) and its JSON twin (any value
swapped for a hostile JSON value). The loader must return a Scenario or
raise ScenarioError whose problems are one-line `FILE:LINE: path: message`;
`bastion validate`, run in-process through typer's CliRunner, must exit 0
or 2 (never 1, never a traceback). The deadline is a hang guard, not a
performance measurement.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bastion.cli import app
from bastion.scenario import Scenario, ScenarioError, load_text

BASE = Path(__file__).resolve().parents[1] / "data" / "hostile" / "valid-base.yaml"
BASE_TEXT = BASE.read_text(encoding="utf-8")
BASE_LINES = BASE_TEXT.splitlines()
BASE_DATA = yaml.safe_load(BASE_TEXT)
PROBLEM = re.compile(r"^[^\n]+:\d+: [^\n]+: [^\n]+$")

YAML_TOKENS = [
    "yes", "no", "true", "null", "~", "", "40:00", "1:30:00", "0x1F", "0o17", "1_000", ".inf", "-.inf",
    ".nan", "1e308", "1e19", "-1", "-0.0", "1e-320", "9" * 40, "9" * 5000, "!foo x", "!!binary aGk=",
    "!!python/object:os.system x", '"\\ud800"', '"\\x00"', '"[/x]"', "&a 1", "*nope", "[]", "{}",
    "[1, 1, 1]", "[3, 2, 1]", "'2026-13'", "2026-01", "=1+1", "NO", "0", "1200", "1201", "120.5",
    "999999999999999", "1e15",
]
JSON_VALUES: list[Any] = [
    True, False, None, "", "yes", "1000", 0, -1, 1e308, -1e308, 10**19, 10**40, 1e-320, [], {},
    [1, 2], [3, 2, 1], {"a": 1}, "\ud800", "x" * 2000, 1200, 1201, 0.5,
]


def _check_loaded(text: str, name: str, is_json: bool) -> None:
    try:
        scenario = load_text(text, name, is_json=is_json)
    except ScenarioError as error:
        assert error.problems
        for problem in error.problems:
            assert PROBLEM.match(str(problem)), str(problem)
            assert problem.file == name and problem.line >= 1
            str(problem).encode("utf-8")  # printable: no lone surrogate reaches a terminal
    else:
        assert isinstance(scenario, Scenario)


def _check_cli(text: str, tmp: Path, suffix: str) -> None:
    file = tmp / f"mutated{suffix}"
    file.write_text(text, encoding="utf-8", errors="surrogatepass")
    res = CliRunner().invoke(app, ["validate", str(file)])
    assert res.exit_code in (0, 2), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)


@st.composite
def yaml_mutation(draw: st.DrawFn) -> str:
    lines = list(BASE_LINES)
    index = draw(st.integers(0, len(lines) - 1))
    kind = draw(st.sampled_from(["value", "value", "value", "drop", "double", "key"]))
    line = lines[index]
    if kind == "drop":
        del lines[index]
    elif kind == "double":
        lines.insert(index, line)
    elif kind == "key":
        lines[index] = re.sub(r"[a-z_]+(?=:)", draw(st.sampled_from(["x", "y", "NO", "true", "1"])), line, count=1)
    else:
        spots = [m.span() for m in re.finditer(r"(?<=[:\[,] )[^,\[\]{}\s][^,\]}]*", line)]
        if spots:
            start, end = draw(st.sampled_from(spots))
            token = draw(st.sampled_from(YAML_TOKENS))
            lines[index] = line[:start] + token + line[end:]
    return "\n".join(lines) + "\n"


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += _paths(child, (*prefix, i))
    return out


JSON_PATHS = _paths(BASE_DATA)


@st.composite
def json_mutation(draw: st.DrawFn) -> str:
    data = json.loads(json.dumps(BASE_DATA))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(JSON_PATHS))
        parent = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            # a copy: a later mutation may reach inside this value, and the shared one must stay as it
            # is (else one example's mutation leaks into the next, up to a value that holds itself)
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(JSON_VALUES)))
        except (KeyError, IndexError, TypeError):
            continue
    return json.dumps(data, indent=2)


HANG_GUARD = settings(
    max_examples=120, deadline=timedelta(seconds=20), suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@HANG_GUARD
@given(text=yaml_mutation())
def test_mutated_yaml_loads_or_is_refused_cleanly(text: str, tmp_path: Path) -> None:
    _check_loaded(text, "mutated.yaml", is_json=False)
    _check_cli(text, tmp_path, ".yaml")


@HANG_GUARD
@given(text=json_mutation())
def test_mutated_json_loads_or_is_refused_cleanly(text: str, tmp_path: Path) -> None:
    _check_loaded(text, "mutated.json", is_json=True)
    _check_cli(text, tmp_path, ".json")


NUMBER_SPOTS = list(re.finditer(r"(?:(?<=[:,] )|(?<=\[))-?[0-9][0-9.]*(?=[,\]}\s]|$)", BASE_TEXT, re.M))
NOT_NUMBERS = ["true", "yes", "null", '"7"', "40:00", "!foo 7"]


def test_no_number_in_the_base_accepts_a_non_number() -> None:
    """Every numeric value of the base, as a boolean, null, text, base-60 or tagged value, is refused on its line."""
    assert len(NUMBER_SPOTS) >= 40
    for spot in NUMBER_SPOTS:
        line = BASE_TEXT.count("\n", 0, spot.start()) + 1
        for value in NOT_NUMBERS:
            text = BASE_TEXT[: spot.start()] + value + BASE_TEXT[spot.end() :]
            try:
                load_text(text, "bad.yaml")
            except ScenarioError as error:
                assert any(p.line == line for p in error.problems), (value, [str(p) for p in error.problems])
            else:
                raise AssertionError(f"line {line}: {value} accepted where {spot.group()} was")


def _numeric_leaves(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return [p for p in _paths(value, prefix) if _get(value, p).__class__ in (int, float)]


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def test_no_number_in_the_json_twin_accepts_a_non_number() -> None:
    """The same in JSON: true, null or a text in place of any number is refused (and names a line)."""
    leaves = _numeric_leaves(BASE_DATA)
    assert len(leaves) >= 40
    for path in leaves:
        for value in (True, None, "7"):
            data = json.loads(json.dumps(BASE_DATA))
            parent = _get(data, path[:-1])
            parent[path[-1]] = value
            try:
                load_text(json.dumps(data, indent=2), "bad.json", is_json=True)
            except ScenarioError as error:
                assert all(p.line > 1 for p in error.problems), [str(p) for p in error.problems]
            else:
                raise AssertionError(f"{path}: {value!r} accepted")
