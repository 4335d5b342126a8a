"""`bastion show` at 80 and 60 columns: no number is ever cut; text wraps and columns drop instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bastion.cli import app
from bastion.cli.fit import Col, fit_table

from ..conftest import REFERENCE

runner = CliRunner()

WIDE = """\
bastion: 1
name: wide numbers
horizon: {start: "2026-01", months: 24}
items: {atm-1: {made: true, name: "A very long item name that must wrap across several lines"}}
sites:
  plant-lv:
    country: LV
    lines:
      line-with-a-long-identifier: {makes: [atm-1], capacity_per_month: 1234567, capex: 987654321012}
customers:
  lv-naf: {country: LV, targets: [{item: atm-1, by: "2027-12", units: 123456789}]}
"""


def _show(path: Path, columns: int) -> str:
    result = runner.invoke(app, ["show", str(path)], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("columns", [80, 60])
def test_reference_numbers_are_never_cut(columns: int) -> None:
    out = _show(REFERENCE, columns)
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= columns
    for number in ("38,000,000", "26,000,000", "2,400", "1,200", "5,000", "30,000,000"):
        assert re.search(rf"(?<![\d,]){number}(?![\d,])", out), number
    for header in ("price (EUR)", "capex (EUR)"):  # headers wrap at spaces, never cut
        assert header.split()[0] in out


def test_columns_left_out_are_named() -> None:
    out60, out80 = _show(REFERENCE, 60), _show(REFERENCE, 80)
    assert "Left out at 60 columns: country, lead (months), disruption" in " ".join(out60.split())
    assert "Left out at 80 columns: country (widen the terminal, or use --json)" in out80
    wide = runner.invoke(app, ["show", str(REFERENCE)], env={"COLUMNS": "200"}).output
    assert "Left out" not in wide


@pytest.mark.parametrize("columns", [80, 60])
def test_large_numbers_stay_whole(columns: int, tmp_path: Path) -> None:
    path = tmp_path / "wide.yaml"
    path.write_text(WIDE, encoding="utf-8")
    out = _show(path, columns)
    assert "…" not in out
    for number in ("987,654,321,012", "1,234,567", "123,456,789"):
        assert number in out
    assert max(len(line) for line in out.splitlines()) <= columns


def test_fit_table_by_hand() -> None:
    from io import StringIO

    from rich.console import Console

    cols = [Col("id", "id"), Col("note"), Col("amount", "number", justify="right"), Col("extra", drop=1)]
    rows = [["a-1", "a note that wraps", "1,234,567", "dropped first"]]
    buf = StringIO()
    Console(file=buf, width=30, color_system=None).print(fit_table("T", cols, rows, 30))
    assert buf.getvalue().splitlines() == [
        "T                             ",
        "┏━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━┓",
        "┃ id  ┃ note     ┃    amount ┃",
        "┡━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━┩",
        "│ a-1 │ a note   │ 1,234,567 │",
        "│     │ that     │           │",
        "│     │ wraps    │           │",
        "└─────┴──────────┴───────────┘",
        "Left out at 30 columns: extra ",
        "(widen the terminal, or use   ",
        "--json)                       ",
    ]


def test_a_squeezed_table_folds_ids_but_keeps_numbers_and_months_whole() -> None:
    from io import StringIO

    from rich.console import Console

    cols = [Col("line", "id"), Col("online"), Col("capex", "number", justify="right")]
    rows = [["line-with-a-long-identifier", "after 2026-01", "987,654,321,012"]]
    buf = StringIO()
    Console(file=buf, width=40, color_system=None).print(fit_table("L", cols, rows, 40))
    out = buf.getvalue()
    assert "987,654,321,012" in out and "2026-01" in out and "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 40
    assert "line-w" in out and "Left out" not in out  # the id folds, nothing is left out
