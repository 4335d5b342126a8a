"""The "lp-first" route proves the same lexicographic optimum as the plain MIP route."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml

from bastion.online import line_online_months
from bastion.plan import lexico
from bastion.plan.build import build_model
from bastion.plan.index import build_index
from bastion.scenario import load_text

from . import test_hand_solved as hand

HAND: list[Callable[[], None]] = [getattr(hand, n) for n in dir(hand) if n.startswith("test_")]


@pytest.mark.parametrize("case", HAND, ids=lambda f: f.__name__)
def test_hand_solved_answers_hold_with_lp_first(case: Callable[[], None],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexico, "LP_FIRST_MIN_COLS", 0)  # every MIP goes LP first
    case()


def test_generated_scenario_same_levels_and_cost() -> None:
    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    from generate import generate

    sc = load_text(yaml.safe_dump(generate(36, 3), sort_keys=False))
    ix = build_index(sc, line_online_months(sc))
    gap = 1e-6
    runs = {s: lexico.run_lexicographic(build_model(ix), ix.levels, time_limit=None, gap=gap,
                                        strategy=s) for s in ("mip", "lp-first")}
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
