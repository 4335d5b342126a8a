"""Issue 21, failure 2: user text is shown exactly as written by every command, never interpreted.

The scenarios in tests/data/hostile-text/ put rich markup (`[/draft]`, `[draft v2]`, `[bold]`,
`:warning:`) and control characters (ANSI escapes, CR, BEL, C1, a bidirectional override) in
every free text: name, description, classification, currency, item/supplier/site/task/customer
names. Every command must exit normally, print the markup literally, and let no control
character reach the terminal. A lone surrogate, which UTF-8 cannot encode, is no text at all:
the loader refuses it (tests/data/hostile/*-surrogate.yaml) and the message shows its escape.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bastion.cli import app

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile-text"
MARKUP = {
    "markup-close.yaml": ("Baltic plant [/draft]", "RESTRICTED [/x]", "[/x]"),
    "markup-tag.yaml": ("Baltic plant [draft v2]", "RESTRICTED [draft v2]", "[draft v2]"),
}
CONTROL = "\x1b\x07\r\x9b\u202e"
COMMANDS = ["show", "schedule", "plan", "simulate", "resilience", "economics"]

#: What each command prints of the scenario: its name, its classification, its currency.
PRINTS = {
    "show": ("name", "classification", "currency"),
    "schedule": ("name", "classification"),
    "plan": ("name", "classification", "currency"),
    "simulate": ("name", "classification", "currency"),
    "resilience": ("name", "classification"),
    "economics": ("name", "classification", "currency"),
    "run": ("name", "classification", "currency"),
}


def _invoke(args: list[str], home: Path) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(app, args, env={"COLUMNS": "400", "BASTION_HOME": str(home)})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


@pytest.mark.parametrize("command", [*COMMANDS, "validate"])
@pytest.mark.parametrize("name", sorted(MARKUP))
def test_markup_in_user_text_is_printed_as_written(name: str, command: str, tmp_path: Path) -> None:
    code, out = _invoke([command, str(HOSTILE / name)], tmp_path)
    assert code == 0, out
    texts = dict(zip(("name", "classification", "currency"), MARKUP[name], strict=True))
    for what in PRINTS.get(command, ()):
        assert texts[what] in out, (what, out)
    if command == "show":
        for text in ("Mine [red]red[/red]", "[link=http://example.invalid]a link[/link] :warning:"):
            assert text in out


@pytest.mark.parametrize("command", [*COMMANDS, "validate"])
def test_control_characters_never_reach_the_terminal(command: str, tmp_path: Path) -> None:
    code, out = _invoke([command, str(HOSTILE / "control-chars.yaml")], tmp_path)
    assert code == 0, out
    assert not any(ch in out for ch in CONTROL), repr(out)
    if "name" in PRINTS.get(command, ()):
        assert "Baltic \\x1b[31mplant\\x1b[0m\\x0dOVERWRITTEN\\x07" in out
    if "currency" in PRINTS.get(command, ()):
        assert "EU\\x1b[5mR" in out


@pytest.mark.parametrize("command", ["show", "plan", "simulate", "economics", "schedule", "resilience"])
def test_json_output_escapes_terminal_controls_and_keeps_the_text(command: str, tmp_path: Path) -> None:
    code, out = _invoke([command, str(HOSTILE / "control-chars.yaml"), "--json"], tmp_path)
    assert code == 0, out
    assert not any(ch in out for ch in CONTROL), repr(out)
    data = json.loads(out)
    if command == "show":
        assert data["name"] == "Baltic \x1b[31mplant\x1b[0m\rOVERWRITTEN\x07"
        assert data["items"]["body"]["name"] == "Body\x9b31m"
        assert data["customers"]["army"]["name"] == "Army\u202e"


REFUSED = Path(__file__).resolve().parents[1] / "data" / "hostile"
#: Scenarios whose text holds a lone surrogate: (file, line, field, the text as the message shows it).
SURROGATES = [("currency-surrogate.yaml", 3, "currency", '"\\ud800"'),
              ("name-surrogate.yaml", 2, "name", '"Hostile \\udfff base"')]


@pytest.mark.parametrize(("name", "line", "field", "shown"), SURROGATES, ids=[s[0] for s in SURROGATES])
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
@pytest.mark.parametrize("command", [*COMMANDS, "validate"])
def test_a_lone_surrogate_is_refused_on_its_line_and_shown_as_its_escape(
        command: str, json_flag: list[str], name: str, line: int, field: str, shown: str, tmp_path: Path) -> None:
    """Issue 21: UTF-8 cannot encode a lone surrogate, so the loader refuses the text (FILE:LINE, exit 2);
    the message shows it as its escape and no command gets as far as printing or writing anything."""
    file = REFUSED / name
    code, out = _invoke([command, str(file), *json_flag], tmp_path)
    assert code == 2, out
    message = f"not valid Unicode text (it holds a lone surrogate), found {shown}"
    if command == "validate" and json_flag:
        assert json.loads(out)["errors"] == [{"file": str(file), "line": line, "path": field, "message": message}]
    else:
        assert out.splitlines() == [f"{file}:{line}: {field}: {message}", f"{file}: 1 problem, nothing done"]
    assert list(tmp_path.iterdir()) == []


def test_init_and_validate_in_a_folder_named_like_markup(tmp_path: Path) -> None:
    (tmp_path / "[").mkdir()
    folder = tmp_path / "[/x] \x1b[2J"
    code, out = _invoke(["init", str(folder)], tmp_path)
    assert code == 0 and "[/x] \\x1b[2J/baltic-atm-plant.yaml" in out and "\x1b" not in out


@pytest.mark.slow
def test_run_and_the_stored_runs_print_markup_as_written(tmp_path: Path) -> None:
    ids = []
    for name, (title, mark, currency) in sorted(MARKUP.items()):
        code, out = _invoke(["run", str(HOSTILE / name), "--paths", "200", "--out", str(tmp_path / name)],
                            tmp_path)
        assert code == 0, out
        assert title in out and mark in out and f" {currency}" in out
        code, out = _invoke(["run", str(HOSTILE / name), "--paths", "200", "--no-store", "--json",
                             "--out", str(tmp_path / f"{name}.json")], tmp_path)
        ids.append(json.loads(out)["run_id"])
    code, out = _invoke(["runs", "list"], tmp_path)
    assert code == 0 and "Baltic plant [/draft]" in out and "Baltic plant [draft v2]" in out
    stored = [r["run_id"] for r in json.loads(_invoke(["runs", "list", "--json"], tmp_path)[1])["runs"]]
    code, out = _invoke(["runs", "show", stored[0]], tmp_path)
    assert code == 0 and "scenario Baltic plant [draft v2]" in out
    code, out = _invoke(["runs", "compare", stored[1], stored[0]], tmp_path)
    assert code == 0
    assert 'name: "Baltic plant [/draft]" → "Baltic plant [draft v2]" (line 3)' in out
    assert 'currency: "[/x]" → "[draft v2]" (line 6)' in out


@pytest.mark.slow
def test_run_with_control_characters(tmp_path: Path) -> None:
    code, out = _invoke(["run", str(HOSTILE / "control-chars.yaml"), "--paths", "200", "--out",
                         str(tmp_path / "out")], tmp_path)
    assert code == 0, out
    assert not any(ch in out for ch in CONTROL)
    code, out = _invoke(["runs", "list"], tmp_path)
    assert not any(ch in out for ch in CONTROL) and "Baltic \\x1b[31mplant" in out
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "out" / "report.xlsx")
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(ch in t for t in texts for ch in CONTROL)
    summary = wb["Summary"]
    assert summary["A1"].value == "UNCLASSIFIED\\x1b[2J"
    assert summary.oddHeader.center.text == "UNCLASSIFIED\\x1b[2J"
    assert summary["A2"].value.startswith("Baltic \\x1b[31mplant\\x1b[0m\\x0dOVERWRITTEN\\x07")
    assert any("Army\\u202e" in t for t in texts)


def test_a_file_name_with_markup_and_control_characters(tmp_path: Path) -> None:
    (tmp_path / "[").mkdir()  # so that the path holds a closing tag, "[/x]"
    bad = tmp_path / "[/x] \x1b[2J.yaml"
    bad.write_text((HOSTILE / "markup-tag.yaml").read_text("utf-8"), encoding="utf-8")
    code, out = _invoke(["validate", str(bad)], tmp_path)
    assert code == 0 and "[/x] \\x1b[2J.yaml: valid" in out and "\x1b" not in out
    broken = tmp_path / "[/y] \x1b[1A.yaml"
    broken.write_text("bastion: 1\nname: [unclosed\n", encoding="utf-8")
    code, out = _invoke(["show", str(broken)], tmp_path)
    assert code == 2 and "[/y] \\x1b[1A.yaml" in out and "\x1b" not in out
