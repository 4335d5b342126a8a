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


def test_compiled_backend_prints_the_numpy_numbers(tmp_path: Path, numba_cache: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(_no_slack(0.5), encoding="utf-8")
    out = {}
    for backend in ("numpy", "compiled"):
        r = CliRunner().invoke(_app(), ["simulate", str(f), "--paths", "700", "--seed", "2", "--json",
                                        "--backend", backend])
        assert r.exit_code == 0, r.output
        out[backend] = json.loads(r.stdout)
    assert out["compiled"].pop("backend") == "compiled" and out["numpy"].pop("backend") == "numpy"
    for j in out.values():
        for k in ("seconds", "chunk", "workers"):
            j.pop(k, None)
    assert out["compiled"] == out["numpy"]


def test_unknown_backend_exits_2(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(_no_slack(0.5), encoding="utf-8")
    r = CliRunner().invoke(_app(), ["simulate", str(f), "--backend", "gpu"])
    assert r.exit_code == 2
    assert "auto, numpy, jax, compiled" in r.output


def test_numba_cache_sits_beside_the_run_store(tmp_path: Path) -> None:
    env = {"BASTION_HOME": str(tmp_path)}
    assert simulate_cmd.numba_cache_dir(env) == str(tmp_path / "numba-cache")
    assert env["NUMBA_CACHE_DIR"] == str(tmp_path / "numba-cache")  # numba reads it on import
    assert simulate_cmd.numba_cache_dir({"NUMBA_CACHE_DIR": "/x"}) == "/x"  # the caller's wins


def test_compiling_notice_shows_on_a_terminal_only() -> None:
    import io

    from rich.console import Console

    buf = io.StringIO()
    notice = simulate_cmd._compiling_notice(Console(file=buf, force_terminal=True))
    assert notice is not None
    notice(True)
    notice(False)
    assert "compiling the simulator (once)" in buf.getvalue()
    assert simulate_cmd._compiling_notice(Console(file=io.StringIO(), force_terminal=False)) is None
