"""The "lp-first" route proves the same lexicographic optimum as the plain MIP route."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from bastion.online import line_online_months
from bastion.plan import lexico, weighted
from bastion.plan.build import build_model
from bastion.plan.index import build_index
from bastion.plan.model import LinearModel
from bastion.plan.solve import HighsSolver
from bastion.scenario import load_text

from . import test_hand_solved as hand

HAND: list[Callable[[], None]] = [getattr(hand, n) for n in dir(hand) if n.startswith("test_")]


@pytest.mark.parametrize("case", HAND, ids=lambda f: f.__name__)
def test_hand_solved_answers_hold_with_lp_first(case: Callable[[], None],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexico, "LP_FIRST_MIN_COLS", 0)  # every MIP goes LP first
    case()


@functools.cache
def _generated_index(months: int = 36, seed: int = 3) -> Any:
    """The generated scenario on 3 sites instead of 6 (7,805 columns, 3 priority levels): every
    level still fixes a face (a face fixed at wrong values changes the levels), the weighted plan
    is still verified, at about a fifth of the 6-site shape's solve time."""
    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    from generate import generate

    data = generate(months, seed, sites=3)
    sc = load_text(yaml.safe_dump(data, sort_keys=False))
    return build_index(sc, line_online_months(sc))


@functools.cache
def _lex(strategy: str, gap: float, face: bool = True, parallel: bool = True) -> lexico.LexRun:
    """The generated scenario's lexicographic run with these settings (the defaults of
    `run_lexicographic` otherwise), solved once per test process: several tests compare the same
    run (each takes seconds). Only for runs with nothing patched; the tests only read them."""
    ix = _generated_index()
    return lexico.run_lexicographic(build_model(ix), ix.levels, time_limit=None, gap=gap, strategy=strategy,
                                    face=face, parallel=parallel)


def test_generated_scenario_same_levels_and_cost() -> None:
    ix = _generated_index()
    gap = 1e-6
    runs = {s: _lex(s, gap) for s in ("mip", "lp-first")}
    a, b = runs["mip"], runs["lp-first"]
    assert a.status.value == b.status.value == "optimal"
    for p in ix.levels:
        assert b.levels[p] == pytest.approx(a.levels[p], rel=2 * gap, abs=1e-5)
    ca, cb = a.stages[-1][1].objective, b.stages[-1][1].objective
    assert ca is not None and cb is not None
    assert cb == pytest.approx(ca, rel=2 * gap)
    assert b.x is not None
    y = b.x[b.solver.integer_cols]
    assert np.allclose(y, np.round(y))


def _tiny_model() -> tuple[LinearModel, np.ndarray]:
    """x + y >= 1 with y <= 0.5; level objective x: optimum x = y = 0.5 (y at its upper bound)."""
    m = LinearModel()
    v = m.add_vars("v", 0.0, np.array([np.inf, 0.5]), {"k": np.array([0, 1])})
    r = m.add_rows("r", 1.0, np.inf, {"k": np.array([0])})
    m.add_terms(np.array([r.start, r.start]), v.index, 1.0)
    m.add_objective("level-1", v.index[:1], 1.0)
    return m, v.index


def test_face_fixes_what_complementary_slackness_fixes_and_release_undoes_it() -> None:
    m, cols = _tiny_model()
    solver = HighsSolver(m)
    solver.set_objective(m.cost_vector("level-1"))
    relax = solver.solve(method="ipm")
    assert relax.x is not None and relax.objective == pytest.approx(0.5)
    fcols, fvals, frows, rvals = lexico._face(solver, relax, relax.x)
    # d_y = 0 - 1 < 0 with y at its upper bound 0.5; the row's dual is 1, active at 1
    assert fcols.tolist() == [int(cols[1])] and fvals.tolist() == [0.5]
    assert frows.tolist() == [0] and rvals.tolist() == [1.0]
    solver.restrict(fcols, fvals, frows, rvals)
    solver.set_objective(-m.cost_vector("level-1"))  # maximise x on the face: still 0.5
    out = solver.solve()
    assert out.x is not None and out.x.tolist() == pytest.approx([0.5, 0.5])
    solver.release()
    lo, hi, rlo, rhi = solver.base_bounds()
    assert hi[1] == 0.5 and lo[1] == 0.0 and rlo[0] == 1.0 and np.isinf(rhi[0])
    solver.set_objective(np.array([0.0, 1.0]))  # min y with x free: y = 0 once released
    out = solver.solve()
    assert out.x is not None and out.x[1] == pytest.approx(0.0)


def test_face_on_and_off_give_the_same_levels_and_cost() -> None:
    ix = _generated_index()
    runs = {f: _lex("lp-first", 1e-6, face=f) for f in (False, True)}
    a, b = runs[False], runs[True]
    assert not a.face and b.face  # the face was used in some level
    for p in ix.levels:
        assert b.levels[p] == pytest.approx(a.levels[p], rel=1e-6, abs=1e-5)
    ca, cb = a.stages[-1][1].objective, b.stages[-1][1].objective
    assert ca is not None and cb is not None and cb == pytest.approx(ca, rel=1e-6)


def test_weighted_cost_stage_is_used_and_agrees_with_the_sequential_one() -> None:
    ix = _generated_index()
    runs = {par: _lex("lp-first", 1e-4, parallel=par) for par in (True, False)}
    a, b = runs[False], runs[True]
    assert b.stages[-1][1].message.startswith("optimal (weighted plan")
    assert not a.stages[-1][1].message.startswith("optimal (weighted plan")
    for p in a.levels:  # held at max(optimum, the weighted plan's value): within 1e-6
        assert a.levels[p] <= b.levels[p] <= a.levels[p] * (1 + 1e-6) + 1e-6
    ca, cb = a.stages[-1][1].objective, b.stages[-1][1].objective
    assert ca is not None and cb is not None and cb == pytest.approx(ca, rel=1e-8)
    model = build_model(ix)
    assert b.x is not None
    for p, held in b.levels.items():  # the weighted plan keeps every level at what is held
        assert float(model.cost_vector(f"level-{p}") @ b.x) <= held + lexico.hold_tolerance(held)


def test_weights_too_small_fall_back_to_the_sequential_cost_stage(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ix = _generated_index()
    monkeypatch.setattr(weighted, "COST_WEIGHT", 1e-9)  # shortfall nearly free: not lexicographic
    monkeypatch.setattr(weighted, "WEIGHT_STEP", 1.0)
    run = lexico.run_lexicographic(build_model(ix), ix.levels, time_limit=None, gap=1e-4,
                                   strategy="lp-first")
    ref = _lex("lp-first", 1e-4, parallel=False)  # sequential: the patched weights play no part in it
    assert not run.stages[-1][1].message.startswith("optimal (weighted plan")
    c, r = run.stages[-1][1].objective, ref.stages[-1][1].objective
    assert c is not None and r is not None and c == pytest.approx(r, rel=1e-8)


def test_verify_refuses_a_plan_that_loses_a_level() -> None:
    m, cols = _tiny_model()
    m.add_objective("cost", cols[1:], 1.0)  # cost y: the cheapest plan is x = 1, y = 0
    w = weighted.solve_weighted(m, {1: 1e-3}, time_limit=None)  # level weight too small
    assert w.outcome is not None and w.outcome.x is not None
    assert w.outcome.x.tolist() == pytest.approx([1.0, 0.0])
    assert weighted.verify(m, w, {1: 0.5}, gap=1e-4) is None  # L1 = 1 > 0.5: refused
    w = weighted.solve_weighted(m, {1: 10.0}, time_limit=None)
    proven = weighted.verify(m, w, {1: 0.5}, gap=1e-4)
    assert proven is not None and proven[0].x is not None
    assert proven[0].x.tolist() == pytest.approx([0.5, 0.5]) and proven[0].objective == pytest.approx(0.5)


def test_too_many_levels_skip_the_weighted_lp(monkeypatch: pytest.MonkeyPatch) -> None:
    ix = _generated_index()
    monkeypatch.setattr(lexico, "MAX_LEVELS", 2)  # the generated scenario has 3 levels
    run = lexico.run_lexicographic(build_model(ix), ix.levels, time_limit=None, gap=1e-4,
                                   strategy="lp-first")
    assert len(ix.levels) == 3
    assert not run.stages[-1][1].message.startswith("optimal (weighted plan")
