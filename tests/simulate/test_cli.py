"""`bastion simulate` on the command line (registered here on a private app)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from bastion.cli import simulate_cmd

from .test_closed_forms import _no_slack


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test app."""

    simulate_cmd.register(app)
    return app


def test_json_output_has_the_architecture_keys(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(_no_slack(0.5), encoding="utf-8")
    r = CliRunner().invoke(_app(), ["simulate", str(f), "--paths", "500", "--seed", "3", "--json"])
    assert r.exit_code == 0, r.output
    j = json.loads(r.stdout)
    assert {"paths", "seed", "backend", "first_output", "targets"} <= set(j)
    assert set(j["first_output"]) >= {"p10", "p50", "p90", "p_within_24_months"}
    assert set(j["targets"][0]) >= {"customer", "item", "by", "units", "probability", "stderr",
                                    "p10_units", "p50_units", "p90_units"}
    assert j["paths"] == 500 and j["seed"] == 3 and j["backend"] == "numpy"


def test_table_output_is_marked_top_and_bottom(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(_no_slack(0.5).replace("name:", 'classification: "RESTRICTED"\nname:'), encoding="utf-8")
    r = CliRunner().invoke(_app(), ["simulate", str(f), "--paths", "300"])
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert lines[0].strip() == "RESTRICTED" and lines[-1].strip() == "RESTRICTED"
    assert "P(met)" in r.stdout


def test_invalid_file_exits_2(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("bastion: 1\nname: x\n", encoding="utf-8")
    r = CliRunner().invoke(_app(), ["simulate", str(f), "--json"])
    assert r.exit_code == 2
