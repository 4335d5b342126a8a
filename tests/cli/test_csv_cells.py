"""Issue 21, failure 3 (CSV): a text cell written by `--out` is never read as a formula or a number."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from bastion.cli import app

FILE = Path(__file__).resolve().parents[1] / "data" / "hostile-text" / "formula-cells.yaml"
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _cells(folder: Path) -> dict[str, list[dict[str, str]]]:
    out = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            out[path.name] = list(csv.DictReader(f))
    return out


def test_plan_and_resilience_csv_write_ids_as_text(tmp_path: Path) -> None:
    runner = CliRunner()
    for command in ("plan", "resilience"):
        result = runner.invoke(app, [command, str(FILE), "--out", str(tmp_path / command)])
        assert result.exit_code == 0, result.output
    tables = {**_cells(tmp_path / "plan"), **_cells(tmp_path / "resilience")}
    assert tables["production.csv"][0] == {"month": "2026-12", "line": "'-line", "site": "'-site",
                                           "item": "'-2-1", "units": "100"}
    assert tables["deliveries.csv"][0]["customer"] == "'-army"
    assert tables["purchases.csv"][0]["supplier"] == "'-sup"
    assert tables["resilience-concentration.csv"][0]["item"] == "'-body"
    assert {r["node"] for r in tables["resilience-nodes.csv"]} >= {"'-line", "'-site", "'-sup"}
    for name, rows in tables.items():
        for row in rows:
            for column, cell in row.items():
                assert not cell.startswith(FORMULA) or _number(cell), (name, column, cell)
