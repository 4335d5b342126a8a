"""The compiled step (numba) equals the reference kernel bit for bit; `auto` picks as documented."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.plan import PlanResult
from bastion.scenario import Scenario, load_scenario, load_text
from bastion.simulate import BackendError, prepare, simulate
from bastion.simulate.compiled import (
    AUTO_MIN_PATH_MONTHS,
    choose_backend,
    draw_tables,
    hundredths_of,
    run_step,
    sample_chunk_hundredths,
    to_tiles,
)
from bastion.simulate.compiled_step import TILE
from bastion.simulate.compiled_tables import compiled_supported, flatten
from bastion.simulate.events import Events, coverage
from bastion.simulate.numpy_backend import (
    FAN_BINS,
    fan_histogram,
    fan_upper,
    run_months,
    sample_chunk,
    sample_chunk_events,
)

from .helpers import REFERENCE, plan_of, reference_certain, scenario
from .test_closed_forms import ONE_TASK, _correlated, _no_slack, _surge
from .test_reproduction import TWO_LEVEL
from .test_streams import risky_text

GENERATE = Path(__file__).resolve().parents[2] / "benchmarks" / "generate.py"
STATE = ("store", "backlog", "cum_prod", "cum_del", "pile", "unmet", "cost", "at_by", "met")


def _generated() -> Scenario:
    """benchmarks/generate.py's large scenario (its structure; 36 months so the plan solves in
    seconds), with disruptions, outages, a site risk and a surge added so events matter."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", GENERATE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    tree = mod.generate(months=36, seed=1)
    for k, sup in enumerate(tree["suppliers"].values()):
        if k % 3 == 0:
            sup["disruption"] = {"rate_per_year": 1.5, "recovery_months": [0.2, 1, 3]}
    sites = list(tree["sites"])
    for site in tree["sites"].values():
        for line in list(site["lines"].values())[:1]:
            line["outage"] = {"rate_per_year": 2, "recovery_months": [0.1, 0.5, 1]}
    tree["risks"] = [{"id": "fire", "applies_to": {"sites": sites[:2]}, "rate_per_year": 0.5,
                      "duration_months": [0.5, 1, 2]}]
    for cust in list(tree["customers"].values())[:2]:
        cust["surge"] = {"rate_per_year": 1, "duration_months": [0.5, 1, 3], "factor": 1.5}
    return load_text(yaml.safe_dump(tree, sort_keys=False))


SCENARIOS: dict[str, Any] = {
    "reference": lambda: load_scenario(REFERENCE),
    "reference-certain": reference_certain,
    "generated": _generated,
    "two-level": lambda: scenario(TWO_LEVEL),
    "no-slack": lambda: scenario(_no_slack(0.8)),
    "milestone": lambda: scenario(risky_text()),
    "one-task": lambda: scenario(ONE_TASK),
    "surge": lambda: scenario(_surge(0.5)),
    "correlated": lambda: scenario(_correlated(0.2, 0.3, 0.25, 0.15)),
}


@pytest.fixture(scope="module", params=list(SCENARIOS))
def case(request: pytest.FixtureRequest, numba_cache: Path) -> tuple[str, Scenario, PlanResult]:
    s = SCENARIOS[request.param]()
    return request.param, s, plan_of(s)


def _core(j: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in j.items() if k not in ("seconds", "chunk", "workers", "backend")}


def test_step_equals_the_reference_kernel_bit_for_bit(case: tuple[str, Scenario, PlanResult]) -> None:
    _name, s, plan = case
    _pa, u, p = prepare(s, plan)
    assert compiled_supported(p)
    for paths in (37, 1500):  # fewer paths than a tile; a last tile part filled
        online, cov = sample_chunk(u, 7, 0, paths)
        hund = to_tiles(cov.hundredths(), TILE)
        _online, ev = sample_chunk_events(u, 7, 0, paths)
        assert np.array_equal(hundredths_of(u, ev, paths), hund)  # from the events
        online_c, hund_c = sample_chunk_hundredths(u, draw_tables(u), 7, 0, paths)  # from the draws
        assert np.array_equal(online_c, online)
        assert np.array_equal(hund_c, hund)
        state, piles, _ = run_months(p, u, online, cov)
        upper = fan_upper(p)
        r = run_step(flatten(p, u), online, hund, FAN_BINS / upper, trace=True)
        for k in STATE:
            a, b = np.asarray(getattr(state, k)), getattr(r, k)
            assert a.shape == b.shape and a.dtype == b.dtype, k
            assert np.array_equal(a, b), k  # float64, to the last bit
        assert np.array_equal(piles, r.piles)
        assert np.array_equal(fan_histogram(piles, upper), r.fan_hist)
        assert np.array_equal(piles.min(axis=2).T, r.fan_min)
        assert np.array_equal(piles.max(axis=2).T, r.fan_max)


def test_simulate_compiled_equals_numpy(case: tuple[str, Scenario, PlanResult]) -> None:
    name, s, plan = case
    paths = 2500 if name in ("reference", "generated") else 1200
    a = simulate(s, plan, paths=paths, seed=3, backend="numpy")
    b = simulate(s, plan, paths=paths, seed=3, backend="compiled")
    c = simulate(s, plan, paths=paths, seed=3, backend="compiled", chunk=1024)
    assert b.backend == "compiled" and "compile" in b.seconds
    assert _core(a.to_json()) == _core(b.to_json()) == _core(c.to_json())
    for x in (b, c):
        assert np.array_equal(a.per_path.cost, x.per_path.cost)
        assert np.array_equal(a.per_path.met_month, x.per_path.met_month)
        assert np.array_equal(a.per_path.first_output, x.per_path.first_output)


def test_compiled_on_two_worker_processes_gives_the_same_numbers(numba_cache: Path) -> None:
    s = scenario(risky_text())
    plan = plan_of(s)
    a = simulate(s, plan, paths=3000, seed=4, backend="numpy", chunk=1024, workers=1)
    b = simulate(s, plan, paths=3000, seed=4, backend="compiled", chunk=1024, workers=2)
    assert b.workers == 2
    assert _core(a.to_json()) == _core(b.to_json())
    assert np.array_equal(a.per_path.cost, b.per_path.cost)


@pytest.mark.parametrize("threads", [2, 3])
def test_compiled_on_one_thread_or_several_gives_the_same_numbers(
        numba_cache: Path, monkeypatch: pytest.MonkeyPatch, threads: int) -> None:
    """The compiled step's threads (tiles of a chunk, taken as they come) and the drawing thread
    (the next chunk, drawn while one runs) change no number: every path has its own block
    stream and its own columns, and the fan counts are integers summed over the threads."""
    import bastion.simulate.compiled as compiled

    s = _generated()
    plan = plan_of(s)
    step = compiled.run_step
    used: list[int] = []

    def spy(*args: Any, **kw: Any) -> Any:
        used.append(kw.get("threads", 1))
        return step(*args, **kw)

    monkeypatch.setattr(compiled, "run_step", spy)
    runs = {}
    for k in (1, threads):
        monkeypatch.setattr(compiled, "_cores", lambda k=k: k)
        used.clear()
        runs[k] = simulate(s, plan, paths=3 * 1024 + 300, seed=5, backend="compiled", chunk=1024)
        assert set(used) == {k}  # every chunk (and the first compile/load) on k threads
    a, b = runs[1], runs[threads]
    assert _core(a.to_json()) == _core(b.to_json())
    assert np.array_equal(a.per_path.cost, b.per_path.cost)
    assert np.array_equal(a.per_path.met_month, b.per_path.met_month)
    assert np.array_equal(a.per_path.first_output, b.per_path.first_output)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_hundredths_equal_the_coverage_of_any_events(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 6), label="months")
    risky = data.draw(st.integers(1, 3), label="risky")
    paths = data.draw(st.integers(1, 5), label="paths")
    k = data.draw(st.integers(0, 25), label="events")
    path = np.array(data.draw(st.lists(st.integers(0, paths - 1), min_size=k, max_size=k)), dtype=np.int64)
    node = np.array(data.draw(st.lists(st.integers(0, risky - 1), min_size=k, max_size=k)), dtype=np.int64)
    start = np.rint(np.array(data.draw(st.lists(st.integers(0, 100 * n - 1), min_size=k, max_size=k)),
                             dtype=np.float64)) / 100.0
    dur = np.array(data.draw(st.lists(st.integers(1, 250), min_size=k, max_size=k)), dtype=np.float64) / 100.0
    ev = Events(path, node, start, start + dur)

    class _U:  # the fields coverage() reads
        pass

    u: Any = _U()
    u.n, u.risky = n, risky
    ref = coverage(u, ev, paths).hundredths()
    got = hundredths_of(u, ev, paths)
    assert np.array_equal(got, to_tiles(ref, TILE))
    back = got.transpose(1, 2, 0, 3).reshape(n, risky + 1, -1)[:, :, :paths]
    assert np.array_equal(back, ref)


def test_share_is_the_reference_division_for_every_hundredth() -> None:
    """The step's division-free k / 100 equals numpy_backend's SHARE and AVAIL bit for bit, for
    every k a coverage can hold (0..100), compiled and in Python, and with one rounding (a fused
    multiply-add) instead of two."""
    from fractions import Fraction

    from bastion.simulate.compiled_step import HUNDREDTH_HI, HUNDREDTH_LO, _share
    from bastion.simulate.numpy_backend import AVAIL, SHARE

    ks = np.arange(101, dtype=np.uint8)
    assert np.array_equal(np.array([_share(k) for k in ks]), SHARE)
    assert np.array_equal(np.array([1.0 - _share.py_func(k) for k in ks]), AVAIL)
    assert SHARE[35] != 35 * 0.01  # a plain product by 0.01 would not do
    fused = [float(Fraction(int(k)) * Fraction(HUNDREDTH_HI) + Fraction(int(k)) * Fraction(HUNDREDTH_LO))
             for k in ks]
    assert np.array_equal(np.array(fused), SHARE)


def test_auto_picks_compiled_for_large_runs_only(numba_cache: Path) -> None:
    s = scenario(TWO_LEVEL)  # 24 months
    _pa, _u, p = prepare(s, plan_of(s))
    first = -(-AUTO_MIN_PATH_MONTHS // p.n)  # the fewest paths reaching the threshold
    assert (first - 1) * p.n < AUTO_MIN_PATH_MONTHS <= first * p.n
    assert choose_backend("auto", p, first - 1) == "numpy"
    assert choose_backend("auto", p, first) == "compiled"
    assert choose_backend("numpy", p, 10**9) == "numpy"
    assert choose_backend("jax", p, 10) == "jax"


def test_auto_falls_back_to_numpy_without_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    s = scenario(TWO_LEVEL)
    plan = plan_of(s)
    _pa, _u, p = prepare(s, plan)
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.delitem(sys.modules, "bastion.simulate.compiled_step", raising=False)
    monkeypatch.delitem(sys.modules, "bastion.simulate.compiled_events", raising=False)
    assert choose_backend("auto", p, 10**7) == "numpy"
    res = simulate(s, plan, paths=-(-AUTO_MIN_PATH_MONTHS // p.n), seed=1, backend="auto")
    assert res.backend == "numpy"
    with pytest.raises(BackendError, match="pip install numba"):
        simulate(s, plan, paths=10, backend="compiled")


def test_negative_plan_inputs_keep_auto_on_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    s = scenario(TWO_LEVEL)
    plan = plan_of(s)
    _pa, _u, p = prepare(s, plan)
    p.orders[0, 0] = -1.0  # a negative order could leave a store below 0: not for the compiled step
    assert not compiled_supported(p)
    assert choose_backend("auto", p, 10**7) == "numpy"
