"""Quantiles of the stockpile at `by` agree with P(met): P50 >= units exactly when P(met) >= 50%."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.scenario import load_scenario
from bastion.simulate import simulate
from bastion.simulate.quantiles import (
    BY_BINS,
    bin_of,
    exact_target_quantiles,
    hist_target_quantiles,
    target_edges,
)

from .helpers import REFERENCE, plan_of, scenario
from .test_closed_forms import _no_slack

QS = (0.1, 0.5, 0.9)


def _consistent(qs: list[float], met: int, n: int, units: float) -> None:
    for q, x in zip(QS, qs, strict=True):
        assert (x >= units) == (met / n >= 1 - q), (q, x, met, n)


def _thr(units: float) -> float:
    return units - 1e-6 * max(1.0, units)


def test_edges_hold_the_threshold_and_bins_split_on_it() -> None:
    e = target_edges(_thr(100.0), 400.0, bins=8)
    assert len(e) == 9 and e[2] == _thr(100.0) and e[0] == 0.0 and e[-1] == 400.0
    assert list(bin_of(np.array([0.0, 99.9, _thr(100.0), 100.0, 400.0, 1e9, -5.0]), e)) == [0, 1, 2, 2, 7, 7, 0]


def test_exact_quantiles_by_hand() -> None:
    v = np.array([5.0, 1.0, 4.0, 2.0, 3.0, 10.0, 9.0, 8.0, 7.0, 6.0])  # sorted: 1..10
    assert exact_target_quantiles(v, QS, _thr(100.0), 100.0) == [2.0, 6.0, 10.0]  # index 1, 5, 9
    # 5 of 10 paths at 6..10 meet units 6: P(met) 50%, so P50 is 6 (held), P10 is 2
    assert exact_target_quantiles(v, QS, _thr(6.0), 6.0) == [2.0, 6.0, 10.0]
    # a value inside the met tolerance is reported as the units
    assert exact_target_quantiles(np.array([20000.0 - 1e-3] * 4), QS, _thr(20000.0), 20000.0) == [20000.0] * 3


def test_histogram_quantile_at_the_boundary_is_the_target() -> None:
    units = 100.0
    e = target_edges(_thr(units), 200.0, bins=16)
    vals = np.array([10.0] * 5 + [150.0] * 5)  # half below, half above: P(met) 50%
    counts = np.bincount(bin_of(vals, e), minlength=16)
    q10, q50, q90 = hist_target_quantiles(counts, e, QS, 10.0, 150.0, _thr(units), units)
    assert q10 < units <= q50 <= q90 <= 150.0
    # one path fewer above: P(met) 40%, the median falls under the target
    counts = np.bincount(bin_of(vals[:-1], e), minlength=16)
    assert hist_target_quantiles(counts, e, QS, 10.0, 150.0, _thr(units), units)[1] < units


@settings(max_examples=300, deadline=None)
@given(below=st.lists(st.floats(0.0, 0.999 * 500.0), max_size=60),
       above=st.lists(st.floats(500.0, 2000.0), max_size=60),
       exact_hit=st.integers(0, 5), upper=st.floats(10.0, 5000.0))
def test_both_estimators_agree_with_the_met_count(below: list[float], above: list[float],
                                                  exact_hit: int, upper: float) -> None:
    units = 500.0
    vals = np.array(below + above + [_thr(units)] * exact_hit, dtype=np.float64)
    n = len(vals)
    if n == 0:
        return
    thr = _thr(units)
    met = int((vals >= thr).sum())
    _consistent(exact_target_quantiles(vals, QS, thr, units), met, n, units)
    e = target_edges(thr, upper)
    counts = np.bincount(bin_of(vals, e), minlength=BY_BINS)
    hq = hist_target_quantiles(counts, e, QS, float(vals.min()), float(vals.max()), thr, units)
    _consistent(hq, met, n, units)
    assert hq == sorted(hq)


@pytest.mark.parametrize("estimator", ["exact", "histogram"])
@pytest.mark.parametrize(("rate", "seed"), [(math.log(2), 1), (math.log(2), 2), (math.log(2), 3),
                                             (0.105, 4), (2.3, 5), (1.2, 6)])
def test_simulated_quantiles_agree_with_probability(rate: float, seed: int, estimator: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    if estimator == "histogram":
        monkeypatch.setattr("bastion.simulate.accumulate.EXACT_VALUES", 0)
    s = scenario(_no_slack(rate))
    res = simulate(s, plan_of(s), paths=2000, seed=seed)
    t = res.targets[0]
    met = round(t.probability * res.paths)
    _consistent([t.p10_units, t.p50_units, t.p90_units], met, res.paths, t.units)


@pytest.mark.parametrize("estimator", ["exact", "histogram"])
def test_reported_case_lv_naf_2030_12(estimator: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: P(met) 71.9% was shown beside P50 19,999 (a histogram median under the target)."""
    if estimator == "histogram":
        monkeypatch.setattr("bastion.simulate.accumulate.EXACT_VALUES", 0)
    s = load_scenario(REFERENCE)
    res = simulate(s, plan_of(s), paths=10_000, seed=0)
    t = next(t for t in res.targets if (t.customer, t.by) == ("lv-naf", "2030-12"))
    # 0.719 when reported; 0.792 since the plan's priority tie-break (issue 15 item 6) serves
    # priority 1 first among equal-cost plans
    assert t.probability == pytest.approx(0.7924, abs=0.0005)
    assert t.p50_units >= t.units == 20_000
    assert t.p10_units < t.units
    for t in res.targets:
        _consistent([t.p10_units, t.p50_units, t.p90_units], round(t.probability * res.paths),
                    res.paths, t.units)
