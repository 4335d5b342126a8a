"""`bastion economics FILE` through typer (the command is registered on a bare app here)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from bastion.cli import economics_cmd

from .conftest import TINY

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test app."""

    economics_cmd.register(app)
    return app


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(textwrap.dedent(TINY).replace("LR1", "0.85").replace("LR2", "0.9"), encoding="utf-8")
    return path


def _fake_paths(*_: object) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.normal(1.2e5, 4e3, 500), rng.integers(15, 24, (500, 2)).astype(float)


def test_json_with_paths(tiny_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(economics_cmd, "simulated_paths", _fake_paths)
    out = runner.invoke(_app(), ["economics", str(tiny_file), "--json", "--discount-rate", "0.05"])
    assert out.exit_code == 0, out.output
    obj = json.loads(out.stdout)
    assert obj["jcl"]["p70_month"] is not None and obj["jcl"]["p70_cost"] > 0
    assert obj["discount_rate"] == 0.05 and obj["price_base_year"] == 2026
    assert obj["total_cost_discounted"] < obj["total_cost"]
    assert obj["classification"] == "TEST MARKING"


def test_json_without_a_simulator_still_answers(tiny_file: Path) -> None:
    out = runner.invoke(_app(), ["economics", str(tiny_file), "--json", "--paths", "50"])
    assert out.exit_code == 0, out.output
    obj = json.loads(out.stdout)
    assert obj["total_cost"] > 0
    if obj["jcl"] is None:
        assert any("JCL" in n for n in obj["notes"])


def test_tables_carry_the_marking(tiny_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(economics_cmd, "simulated_paths", lambda *_: "no simulator (test)")
    out = runner.invoke(_app(), ["economics", str(tiny_file)])
    assert out.exit_code == 0, out.output
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    assert lines[0] == "TEST MARKING" and lines[-1] == "TEST MARKING"
    assert "Cash by year" in out.stdout and "no simulator (test)" in out.stdout


def test_invalid_input_exits_2(tmp_path: Path, tiny_file: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("bastion: 1\nname: x\n", encoding="utf-8")
    assert runner.invoke(_app(), ["economics", str(bad), "--json"]).exit_code == 2
    out = runner.invoke(_app(), ["economics", str(tiny_file), "--discount-rate", "-0.5"])
    assert out.exit_code == 2
