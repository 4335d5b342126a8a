"""Smaller LPs for the stages of a large pure LP (plan/narrow.py): merged classes for the
priority levels, column generation for the cost stage; the same optima as the full LP."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from bastion.online import line_online_months
from bastion.plan import pool, solve
from bastion.plan.build import build_model
from bastion.plan.index import build_index
from bastion.plan.lexico import run_lexicographic
from bastion.plan.model import INF, LinearModel
from bastion.plan.narrow import before_in_class, classes_of, merge, solve_subsets, split
from bastion.plan.solve import HighsSolver
from bastion.plan.variables import ORDER_OBJECTIVE


def _generated(suppliers: int = 40, customers: int = 6, seed: int = 2) -> pool.Pooling:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_scale import generate

    from bastion.scenario import load_text

    sc = load_text(yaml.safe_dump(generate(suppliers=suppliers, customers=customers, tasks=20,
                                           months=24, seed=seed), sort_keys=False))
    ix = build_index(sc, line_online_months(sc))
    return pool.pooling(ix, build_model(ix))


def _one_class(caps: list[float], costs: list[float]) -> tuple[HighsSolver, LinearModel]:
    m = LinearModel()
    b = m.add_vars("x", 0.0, np.array(caps), {"k": np.arange(len(caps))})
    m.add_objective("cost", b.index, np.array(costs))
    r = m.add_rows("need", 0.0, INF, {"r": np.zeros(1, dtype=np.int64)})
    m.add_terms(np.full(len(caps), r.start), b.index, 1.0)
    return HighsSolver(m), m


def test_split_fills_the_cheapest_members_first() -> None:
    solver, _ = _one_class([20.0, 10.0, INF, 5.0], [8.0, 5.0, 9.0, 5.0])
    cls = classes_of(np.arange(4), np.zeros(4, dtype=np.int64), np.array([8.0, 5.0, 9.0, 5.0]))
    assert list(cls.cols) == [1, 3, 0, 2]  # by cost, ties in column order
    assert list(before_in_class(cls, np.array([10.0, 5.0, 20.0, INF]))) == [0.0, 10.0, 15.0, 35.0]
    merge(solver, cls)
    _, hi, _, _ = solver.base_bounds()  # base bounds stay as built
    assert list(hi) == [20.0, 10.0, INF, 5.0]
    x = np.zeros(4)
    x[1] = 41.0  # the class's units, on its head
    assert list(split(solver, cls, x)) == [20.0, 10.0, 6.0, 5.0]
    x[1] = 12.0
    assert list(split(solver, cls, x)) == [0.0, 10.0, 0.0, 2.0]


def test_column_generation_prices_in_what_the_subset_lacks() -> None:
    """Tiers at 5 (10 a month), 6 (10) and 9 (unlimited), 25 units needed; the plan so far
    buys all 25 at 9. The first subset (the cheapest and the plan's own) costs 10 x 5 + 15 x 9
    = 185; the 6 prices in at 6 - 9 < 0, and the second round is the full LP's 155."""
    solver, m = _one_class([10.0, 10.0, INF], [5.0, 6.0, 9.0])
    solver.set_row_bounds(0, 25.0, INF)
    cost = m.cost_vector("cost")
    solver.set_objective(cost)
    cls = classes_of(np.arange(3), np.zeros(3, dtype=np.int64), cost,
                     hint=lambda x: np.zeros(3, dtype=bool))
    done = solve_subsets(solver, cls, cost, np.array([0.0, 0.0, 25.0]),
                         lambda: solver.solve(method="ipm"))
    assert done is not None and done.rounds == 2 and done.cols == 3
    assert done.outcome.objective == pytest.approx(155.0)
    assert list(done.outcome.x) == pytest.approx([10.0, 10.0, 5.0])
    _, hi, _, _ = solver.base_bounds()
    assert list(hi) == [10.0, 10.0, INF]  # the left-out columns got their bounds back
    assert solver.solve().objective == pytest.approx(155.0)


def test_tier_columns_are_interchangeable_but_for_price() -> None:
    """What narrow.py relies on: a tier column has one coefficient, +1 in its group-month's
    Supplier-pool row, no level or tie-break coefficient, lower bound 0."""
    p = _generated()
    m, cls = p.pooled, p.classes()
    tier, rows = m.vars["Supplier-tier"], m.rows["Supplier-pool"]
    assert sorted(cls.cols) == list(tier.index)
    start, index, value = m.matrix()
    assert np.all(np.diff(start)[tier.index] == 1)
    assert np.all(value[start[tier.index]] == 1.0)
    pool_row = index[start[tier.index]]
    assert np.all((pool_row >= rows.start) & (pool_row < rows.start + rows.size))
    of = np.empty(len(cls.cols), dtype=np.int64)
    of[cls.cols - tier.start] = np.arange(len(cls.cols))
    cls_of = cls.of()[of[tier.index - tier.start]]
    # one class <-> one pool row
    assert len(set(zip(cls_of.tolist(), pool_row.tolist(), strict=True))) == cls.n
    for name in [n for n in m.objectives if n != "cost"] + [ORDER_OBJECTIVE]:
        assert not np.any(m.cost_vector(name)[tier.index])
    lo, _, _, _, _ = m.bounds()
    assert np.all(lo[tier.index] == 0.0)


@pytest.mark.parametrize("margin", [0.5, -1.0])
def test_narrowed_stages_give_the_full_lps_optima(monkeypatch: pytest.MonkeyPatch,
                                                  margin: float) -> None:
    """The IPM route forced on a small pooled model: levels merged, the cost stage by column
    generation (margin -1: a first subset of only each class's cheapest tier and the tiers the
    levels' plan uses) give every level's optimum and the least cost of the
    full LP, and a plan feasible in it."""
    monkeypatch.setattr(solve, "IPM_MIN_COLS", 0)
    monkeypatch.setattr(pool, "COST_MARGIN", margin)
    p = _generated(suppliers=60, customers=9, seed=3)
    m = p.pooled
    levels = tuple(sorted({int(n.split("-")[1]) for n in m.objectives if n.startswith("level-")}))
    full = run_lexicographic(m, levels, time_limit=None, gap=1e-9)
    nar = run_lexicographic(m, levels, time_limit=None, gap=1e-9, classes=p.classes())
    assert full.x is not None and nar.x is not None
    assert nar.subsets is not None
    rounds, cols = nar.subsets
    assert cols < len(p.classes().cols)  # the cost stage did not need every tier column
    assert rounds >= 1
    for lv in levels:
        assert nar.levels[lv] == pytest.approx(full.levels[lv], rel=1e-7, abs=1e-6)
    cost = m.cost_vector("cost")
    assert cost @ nar.x == pytest.approx(cost @ full.x, rel=1e-8)
    order = m.cost_vector(ORDER_OBJECTIVE)
    assert order @ nar.x == pytest.approx(order @ full.x, rel=1e-6)
    start, index, value = m.matrix()
    ax = np.zeros(m.n_row)
    np.add.at(ax, index, value * np.repeat(nar.x, np.diff(start)))
    lo, hi, _, rlo, rhi = m.bounds()
    assert np.all(ax >= rlo - 1e-6) and np.all(ax <= rhi + 1e-6)
    assert np.all(nar.x >= lo - 1e-9) and np.all(nar.x <= hi + 1e-9)
