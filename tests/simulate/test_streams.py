"""Reproducibility, chunk-size invariance, backend agreement, the missing-JAX message."""

from __future__ import annotations

import importlib.util
import math
import sys
from typing import Any

import pytest

from bastion.simulate import BackendError, simulate

from .helpers import plan_of, scenario
from .test_closed_forms import _no_slack
from .test_reproduction import TWO_LEVEL

HAS_JAX = importlib.util.find_spec("jax") is not None


def _core(j: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in j.items() if k not in ("seconds", "chunk", "workers")}


def risky_text() -> str:
    """The no-slack supplier at rate 2/year, its line online at a sampled milestone."""
    return _no_slack(2.0).replace("customers:", """programme: {tasks: {t: {duration_months: [0, 1, 4]}}}
customers:""").replace("capacity_per_month: 1000}", "capacity_per_month: 1000, online: {milestone: t}}")


@pytest.fixture(scope="module")
def risky() -> Any:
    s = scenario(risky_text())
    return s, plan_of(s)


def test_same_seed_same_numbers(risky: Any) -> None:
    s, plan = risky
    a = simulate(s, plan, paths=3000, seed=4).to_json()
    b = simulate(s, plan, paths=3000, seed=4).to_json()
    c = simulate(s, plan, paths=3000, seed=5).to_json()
    assert _core(a) == _core(b)
    assert _core(a) != _core(c)


def test_chunk_size_does_not_change_the_result(risky: Any) -> None:
    s, plan = risky
    a = simulate(s, plan, paths=5000, seed=4, chunk=1024)
    b = simulate(s, plan, paths=5000, seed=4, chunk=4096)
    c = simulate(s, plan, paths=5000, seed=4, chunk=3000, workers=2)
    assert _core(a.to_json()) == _core(b.to_json()) == _core(c.to_json())
    assert (a.per_path.cost == b.per_path.cost).all()
    assert (a.per_path.met_month == c.per_path.met_month).all()


def test_per_path_rows_are_capped(risky: Any) -> None:
    s, plan = risky
    res = simulate(s, plan, paths=2500, seed=1, keep_paths=1000)
    assert res.per_path.cost.shape == (1000,)
    assert res.per_path.met_month.shape == (1000, 1)
    assert res.per_path.met_month.dtype.name == "int16"


def test_missing_jax_gives_a_clear_message(risky: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    s, plan = risky
    monkeypatch.setitem(sys.modules, "jax", None)
    monkeypatch.delitem(sys.modules, "bastion.simulate.jax_backend", raising=False)
    with pytest.raises(BackendError, match=r"pip install bastion\[jax\]"):
        simulate(s, plan, paths=10, backend="jax")


@pytest.mark.skipif(not HAS_JAX, reason="JAX is not installed (pip install bastion[jax])")
def test_backends_agree_statistically(risky: Any) -> None:
    s, plan = risky
    a = simulate(s, plan, paths=4096, seed=1)
    b = simulate(s, plan, paths=4096, seed=1, backend="jax")
    for ta, tb in zip(a.targets, b.targets, strict=True):
        se = math.hypot(ta.stderr, tb.stderr) or 1e-9
        assert abs(ta.probability - tb.probability) <= 4 * se
    assert a.first_output.p_within_24_months == b.first_output.p_within_24_months  # same programme draws
    assert b.backend == "jax"


@pytest.mark.skipif(not HAS_JAX, reason="JAX is not installed (pip install bastion[jax])")
@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_jax_reproduces_the_plan_without_uncertainty(precision: str) -> None:
    s = scenario(TWO_LEVEL)
    plan = plan_of(s)
    res = simulate(s, plan, paths=1500, seed=0, backend="jax", precision=precision)
    tol = 1e-6 if precision == "float64" else 1e-2
    for tp, tr in zip(plan.targets, res.targets, strict=True):
        assert tr.p50_units == pytest.approx(tp.planned_units, abs=tol * max(1.0, tp.units))
        if tp.met and precision == "float64":
            assert tr.probability == 1.0
