"""Pooled purchases (plan/pool.py): the same plan values as the original model, split back
to each supplier and site deterministically."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from bastion.online import line_online_months
from bastion.plan import pool, solve_plan
from bastion.plan.build import build_model
from bastion.plan.index import build_index
from bastion.plan.lexico import run_lexicographic
from bastion.plan.variant import solve_model

from .conftest import scenario

PARALLEL = """
bastion: 1
name: parallel suppliers
horizon: {start: "2026-01", months: 6}
items:
  shell: {made: true, bom: {fuse: 1}, holding_cost_per_month: 0.5}
  fuse: {made: false, holding_cost_per_month: 0.1}
suppliers:
  a: {country: LV, supplies: {fuse: {price: 5, lead_time_months: 1, capacity_per_month: 10}}}
  b: {country: LV, supplies: {fuse: {price: 5, lead_time_months: 1, capacity_per_month: 20}}}
  c: {country: EE, supplies: {fuse: {price: 8, lead_time_months: 1, capacity_per_month: 50}}}
  d: {country: PL, supplies: {fuse: {price: 9, lead_time_months: 2, capacity_per_month: 50}}}
sites:
  plant:
    country: LV
    lines: {line-1: {makes: [shell], capacity_per_month: 100, variable_cost_per_unit: 1}}
customers:
  army: {country: LV, initial_stock: {shell: 40}, consumption: {shell: 40}}
"""
"""Fuses for 40 shells a month: the two price-5 suppliers (a, b: one tier of capacity 30) are
used to the full, c (price 8) for the 10 more, d (price 9, a longer lead) never; the initial
stockpile covers month 0, orders of month m arrive in m + 1 and holding costs make every
month's order unique."""


def _purchases(r: object) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for month, _arr, supplier, _site, _item, units, _cost in r.tables.purchases.rows:  # type: ignore[attr-defined]
        out[(month, supplier)] = out.get((month, supplier), 0.0) + units
    return out


def test_parallel_suppliers_pooled_and_not_give_the_same_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    sc = scenario(PARALLEL)
    plain = solve_plan(sc)
    monkeypatch.setattr(pool, "POOL_MIN_ORDERS", 0)
    from bastion.plan import variant
    monkeypatch.setattr(variant, "POOL_MIN_ORDERS", 0)
    pooled = solve_plan(sc)
    solved = solve_model(sc, line_online_months(sc), None, time_limit=None, gap=1e-4, pool=True)
    assert solved.pool is not None and "Supplier-tier" in solved.lp.vars  # the pooled model ran
    assert pooled.objective == pytest.approx(plain.objective, rel=1e-9)
    assert pooled.unmet_consumption == pytest.approx(0.0, abs=1e-6)
    got, want = _purchases(pooled), _purchases(plain)
    assert set(got) == set(want)
    for key, units in want.items():
        assert got[key] == pytest.approx(units, abs=1e-6), key
    # the hand answer: a and b to their capacities, c the rest, d nothing
    assert got[("2026-02", "a")] == pytest.approx(10)
    assert got[("2026-02", "b")] == pytest.approx(20)
    assert got[("2026-02", "c")] == pytest.approx(10)
    assert not any(s == "d" for _, s in got)
    # the marginal value of a's and b's capacity: each saves 8 - 5 a unit in 5 order months
    def supplier_values(r: object) -> dict[str, float]:
        return {s.id: s.value for s in r.sensitivity  # type: ignore[attr-defined]
                if s.kind == "supplier_capacity" and s.stage == "cost"}
    assert supplier_values(pooled) == pytest.approx(supplier_values(plain))
    assert supplier_values(pooled) == pytest.approx({"a/fuse": 15.0, "b/fuse": 15.0})


def test_tier_is_split_in_proportion_to_capacity() -> None:
    sc = scenario(PARALLEL)
    ix = build_index(sc, line_online_months(sc))
    p = pool.pooling(ix, build_model(ix))
    t = p.tiers
    assert len(t.group_item) == 2 and len(t.tier_group) == 3  # (fuse, 1): 5 and 8; (fuse, 2): 9
    share = p.member_share()
    a, b = 0, 1  # the suppliers in file order
    assert t.supply_tier[a] == t.supply_tier[b]
    assert share[a, 0] == pytest.approx(1 / 3) and share[b, 0] == pytest.approx(2 / 3)
    # 15 units from the price-5 tier in month 0 -> 5 from a, 10 from b
    x = np.zeros(p.pooled.n_col)
    tier = p.pooled.vars["Supplier-tier"]
    route = p.pooled.vars["Supplier-route"]
    x[tier.index[(tier.keys["tier"] == t.supply_tier[a]) & (tier.keys["month"] == 0)]] = 15.0
    x[route.index[(route.keys["group"] == 0) & (route.keys["month"] == 0)]] = 15.0
    orig = p.expand(x)
    buy = p.original.vars["Supplier-order"]
    at0 = buy.keys["month"] == 0
    got = {int(j): float(v) for j, v in zip(buy.keys["supply"][at0], orig[buy.index[at0]], strict=True)}
    assert got == {0: pytest.approx(5.0), 1: pytest.approx(10.0), 2: 0.0, 3: 0.0}


def test_generated_scenario_same_optima_and_a_feasible_split() -> None:
    """The scale benchmark's generator at a small size (2 sites, overlapping prices): each
    level's optimum and the cost are the same, and the split plan is feasible in the original
    model."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_scale import generate

    from bastion.scenario import load_text

    sc = load_text(yaml.safe_dump(generate(suppliers=40, customers=6, tasks=20, months=24, seed=2),
                                  sort_keys=False))
    ix = build_index(sc, line_online_months(sc))
    model = build_model(ix)
    p = pool.pooling(ix, model)
    assert len(p.tiers.tier_group) < len(ix.supplies)  # some suppliers share a tier
    assert p.pooled.n_row < model.n_row
    a = run_lexicographic(model, ix.levels, time_limit=None, gap=1e-9)
    b = run_lexicographic(p.pooled, ix.levels, time_limit=None, gap=1e-9)
    assert a.x is not None and b.x is not None
    for lv in ix.levels:
        assert b.levels[lv] == pytest.approx(a.levels[lv], rel=1e-7, abs=1e-6)
    x = p.expand(b.x)
    cost = model.cost_vector("cost")
    assert cost @ x == pytest.approx(cost @ a.x, rel=1e-7)
    start, index, value = model.matrix()
    ax = np.zeros(model.n_row)
    for c in range(model.n_col):
        ax[index[start[c]:start[c + 1]]] += value[start[c]:start[c + 1]] * x[c]
    lo, hi, _, rlo, rhi = model.bounds()
    assert np.all(ax >= rlo - 1e-6) and np.all(ax <= rhi + 1e-6)
    assert np.all(x >= lo - 1e-9) and np.all(x <= hi + 1e-9)


def test_large_lp_tiebreak_holds_the_cost_face(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large pure LPs (IPM): the tie-break also holds the cost stage's optimal face; the cost
    stays at its optimum and deliveries still go by priority at least as well as the cost stage's
    plan (lexico.TIEBREAK_FACE)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_scale import generate

    from bastion.plan import lexico, solve
    from bastion.plan.variables import ORDER_OBJECTIVE
    from bastion.scenario import load_text

    monkeypatch.setattr(solve, "IPM_MIN_COLS", 0)
    sc = load_text(yaml.safe_dump(generate(suppliers=30, customers=6, tasks=20, months=24, seed=3),
                                  sort_keys=False))
    ix = build_index(sc, line_online_months(sc))
    model = build_model(ix)
    run = run_lexicographic(model, ix.levels, time_limit=None, gap=1e-9)
    assert "tiebreak" in run.face and run.face["tiebreak"][0] > 0
    assert run.tiebreak is not None and run.x is not None
    name, cost_stage = run.stages[-1]
    assert name == "cost" and cost_stage.x is not None and cost_stage.objective is not None
    cost = model.cost_vector("cost")
    off = model.offsets.get("cost", 0.0)
    assert cost @ run.x + off == pytest.approx(cost_stage.objective, rel=1e-8)
    order = model.cost_vector(ORDER_OBJECTIVE)
    assert order @ run.x <= order @ cost_stage.x + 1e-6
    for lv in ix.levels:
        assert model.cost_vector(f"level-{lv}") @ run.x <= run.levels[lv] + lexico.hold_tolerance(run.levels[lv])
    # the restrictions are released afterwards: the solver's bounds are the built ones again
    lo, hi, _, _ = run.solver.base_bounds()
    blo, bhi, _, _, _ = model.bounds()
    assert np.array_equal(lo, blo) and np.array_equal(hi, bhi)
