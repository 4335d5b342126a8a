"""Bad files: each gives a ScenarioError with well-formed, line-numbered problems, quickly."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from scenario_helpers import VALID_YAML, assert_well_formed

from bastion.scenario import ScenarioError, load_bytes, load_scenario, load_text


def fail(file: Path) -> ScenarioError:
    """Load `file`, expect a ScenarioError (and nothing else), check its problems' form."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    assert_well_formed(info.value)
    assert all(p.file == str(file) for p in info.value.problems)
    return info.value


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    file = tmp_path / name
    if isinstance(content, str):
        file.write_text(content, encoding="utf-8")
    else:
        file.write_bytes(content)
    return file


def test_empty_file(tmp_path: Path) -> None:
    error = fail(write(tmp_path, "empty.yaml", ""))
    assert [(p.line, p.path, p.message) for p in error.problems] == [(1, "(file)", "the file is empty")]


def test_whitespace_only(tmp_path: Path) -> None:
    error = fail(write(tmp_path, "blank.yaml", "  \n\n\t \n   "))
    assert [(p.line, p.path, p.message) for p in error.problems] == [(1, "(file)", "the file is empty")]


def test_comments_only(tmp_path: Path) -> None:
    error = fail(write(tmp_path, "comments.yaml", "# nothing here\n# at all\n"))
    assert [p.path for p in error.problems] == ["(file)"]


def test_non_utf8_bytes_name_the_line(tmp_path: Path) -> None:
    data = VALID_YAML.encode().replace(b'"Small test plant"', b'"Small \xe9 plant"')
    error = fail(write(tmp_path, "latin1.yaml", data))
    [problem] = error.problems
    assert problem.line == 2 and problem.path == "(file)"
    assert "UTF-8" in problem.message and "0xe9" in problem.message


def test_non_utf8_bytes_on_a_later_line(tmp_path: Path) -> None:
    data = b"bastion: 1\nname: x\n\n\nhorizon: \xff\xfe\n"
    [problem] = fail(write(tmp_path, "bad.yaml", data)).problems
    assert problem.line == 5 and "UTF-8" in problem.message


def test_utf16_file(tmp_path: Path) -> None:
    [problem] = fail(write(tmp_path, "utf16.yaml", VALID_YAML.encode("utf-16"))).problems
    assert problem.line == 1 and "UTF-8" in problem.message


def _billion_laughs(levels: int = 9, width: int = 9) -> str:
    text = "lol0: &lol0 [" + ", ".join(["lol"] * width) + "]\n"
    for level in range(1, levels + 1):
        text += f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * width) + "]\n"
    return text


@pytest.mark.parametrize("prefix", ["", VALID_YAML], ids=["bare", "inside-a-scenario"])
def test_yaml_bomb_fails_fast(tmp_path: Path, prefix: str) -> None:
    file = write(tmp_path, "bomb.yaml", prefix + _billion_laughs())
    start = time.perf_counter()
    error = fail(file)
    assert time.perf_counter() - start < 10.0  # a guard against exponential blow-up, not a benchmark
    [problem] = error.problems
    assert "aliases" in problem.message and "not a scenario file" in problem.message


def test_recursive_alias(tmp_path: Path) -> None:
    [problem] = fail(write(tmp_path, "rec.yaml", VALID_YAML + "x: &a [*a]\n")).problems
    assert "nested" in problem.message


def test_file_over_10_mib_is_refused_fast(tmp_path: Path) -> None:
    file = tmp_path / "huge.yaml"
    with file.open("wb") as handle:
        handle.truncate(100 * 2**20)  # sparse: 100 MiB without writing them
    start = time.perf_counter()
    [problem] = fail(file).problems
    assert time.perf_counter() - start < 5.0  # refused before reading: a guard, not a benchmark
    assert problem.path == "(file)" and problem.line == 1
    assert "100.0 MiB" in problem.message and "10 MiB" in problem.message


def test_load_bytes_over_10_mib_is_refused() -> None:
    with pytest.raises(ScenarioError) as info:
        load_bytes(b" " * (10 * 2**20 + 1), "big.yaml")
    assert_well_formed(info.value)
    assert "10 MiB" in info.value.problems[0].message


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "{a: " * 5000,
        "- " * 5000 + "x\n",
        "".join(" " * i + "a:\n" for i in range(1500)),
        "a: " + "[" * 60 + "]" * 60 + "\n",
    ],
    ids=["open-brackets", "flow-mappings", "block-sequences", "block-mappings", "closed-60"],
)
def test_deeply_nested_junk(tmp_path: Path, text: str) -> None:
    start = time.perf_counter()
    [problem] = fail(write(tmp_path, "deep.yaml", text)).problems
    assert time.perf_counter() - start < 10.0  # a guard, not a benchmark
    assert "nested" in problem.message


def test_deeply_nested_json(tmp_path: Path) -> None:
    for text in ("[" * 100_000, "[" * 3000 + "]" * 3000):
        [problem] = fail(write(tmp_path, "deep.json", text)).problems
        assert "nested" in problem.message


def test_top_level_list(tmp_path: Path) -> None:
    [problem] = fail(write(tmp_path, "list.yaml", "- a\n- b\n")).problems
    assert (problem.line, problem.path, problem.message) == (
        1,
        "(file)",
        "expected a mapping of keys, found a list",
    )


def test_top_level_scalar(tmp_path: Path) -> None:
    [problem] = fail(write(tmp_path, "scalar.yaml", "\n\nhello\n")).problems
    assert problem.path == "(file)" and "expected a mapping" in problem.message


def test_items_as_a_list(tmp_path: Path) -> None:
    text = VALID_YAML.replace("items:\n  atm-1:", "items: [a, b]\nold_items:\n  atm-1:")
    error = fail(write(tmp_path, "items.yaml", text))
    assert (
        str(error.problems[0])
        == f"{tmp_path / 'items.yaml'}:8: items: expected a mapping (key: value), found a list"
    )


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = VALID_YAML.replace("  body: {made: false}", "  body: {made: false\n  fuze: x")
    [problem] = fail(write(tmp_path, "syntax.yaml", text)).problems
    assert problem.path == "(file)" and problem.message.startswith("YAML syntax: ")
    assert 18 <= problem.line <= 20


def test_yaml_bad_indentation_names_the_line(tmp_path: Path) -> None:
    text = "bastion: 1\nname: x\nhorizon:\n  start: '2026-01'\n months: 3\n"
    [problem] = fail(write(tmp_path, "indent.yaml", text)).problems
    assert problem.line == 5 and problem.message.startswith("YAML syntax: ")


def test_tab_indentation(tmp_path: Path) -> None:
    [problem] = fail(write(tmp_path, "tab.yaml", "bastion: 1\nhorizon:\n\tstart: x\n")).problems
    assert problem.line == 3 and "YAML syntax" in problem.message


def test_two_documents(tmp_path: Path) -> None:
    [problem] = fail(write(tmp_path, "two.yaml", VALID_YAML + "---\nbastion: 1\n")).problems
    assert problem.line == VALID_YAML.count("\n") + 1 and "single document" in problem.message


def test_duplicate_keys(tmp_path: Path) -> None:
    text = VALID_YAML.replace("currency: EUR\n", "currency: EUR\ncurrency: USD\n")
    error = fail(write(tmp_path, "dup.yaml", text))
    assert [(p.line, p.path, p.message) for p in error.problems] == [
        (6, "currency", "duplicate key currency (first on line 5)")
    ]


def test_unsafe_tag_is_not_executed(tmp_path: Path) -> None:
    text = VALID_YAML.replace('name: "Small test plant"', "name: !!python/object/apply:os.system ['false']")
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, "tag.yaml", text))
    assert_well_formed(info.value)


def test_merge_key_is_refused(tmp_path: Path) -> None:
    text = VALID_YAML.replace("  lt-af:\n", "  lt-af:\n    <<: {priority: 3}\n")
    error = fail(write(tmp_path, "merge.yaml", text))
    assert any("merge keys" in p.message for p in error.problems)


def _valid_json() -> str:
    return json.dumps(yaml.safe_load(VALID_YAML), indent=2)


def test_json_valid(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, "ok.json", _valid_json()))
    assert scenario == load_text(VALID_YAML)


def test_json_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = _valid_json().replace('"months": 36', '"months": 36,', 1)
    bad_line = next(n for n, t in enumerate(text.splitlines(), 1) if '"months": 36,' in t)
    [problem] = fail(write(tmp_path, "bad.json", text)).problems
    assert problem.path == "(file)" and problem.message.startswith("JSON syntax: ")
    assert problem.line in (bad_line, bad_line + 1)


def test_json_duplicate_key(tmp_path: Path) -> None:
    text = _valid_json().replace('"months": 36', '"months": 36, "months": 37', 1)
    error = fail(write(tmp_path, "dup.json", text))
    assert [p.path for p in error.problems] == ["horizon.months"]
    assert "duplicate key" in error.problems[0].message


def test_json_problem_has_the_json_line(tmp_path: Path) -> None:
    text = _valid_json().replace('"capacity_per_month": 1000', '"capacity_per_month": -1000', 1)
    bad_line = next(n for n, t in enumerate(text.splitlines(), 1) if "-1000" in t)
    [problem] = fail(write(tmp_path, "neg.json", text)).problems
    assert (problem.line, problem.path) == (bad_line, "sites.plant-lv.lines.line-2.capacity_per_month")


def test_json_with_tabs(tmp_path: Path) -> None:
    text = _valid_json().replace("  ", "\t")
    assert load_scenario(write(tmp_path, "tabs.json", text)) == load_text(VALID_YAML)


def test_missing_file(tmp_path: Path) -> None:
    [problem] = fail(tmp_path / "nope.yaml").problems
    assert problem.path == "(file)" and "cannot read" in problem.message


def test_a_directory(tmp_path: Path) -> None:
    [problem] = fail(tmp_path).problems
    assert problem.path == "(file)" and problem.message == "not a file"


def test_a_file_inside_a_non_directory(tmp_path: Path) -> None:
    file = write(tmp_path, "plain.yaml", VALID_YAML)
    [problem] = fail(file / "x.yaml").problems
    assert "cannot read" in problem.message
