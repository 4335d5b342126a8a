"""Quantiles of the stockpile at each target's `by`, consistent with P(met).

A target is met on a path when its stockpile v >= thr (thr = units - 1e-6 x
max(1, units)). With n paths of which `met` meet it, the quantile at level q
is taken at rank r = q x n, and for every q:

    quantile(q) >= units  exactly when  met / n >= 1 - q

so P50 >= units exactly when P(met) >= 50%, P10 >= units exactly when
P(met) >= 90%, P90 >= units exactly when P(met) >= 10%. Two estimators keep it:

- exact (while paths x targets fits EXACT_VALUES): the sorted value at
  0-based index min(floor(q n), n - 1);
- histogram (beyond that, streaming): bins whose edges include thr exactly,
  BY_BINS in all, split between [min(0, thr), thr) and [thr, upper] in
  proportion to their widths; the quantile is the point where the cumulative
  count passes r, interpolated within its bin and clamped to the exact minimum
  and maximum.

A quantile at or above thr is reported as at least `units` (a stockpile within
the met tolerance is the target held), so the two numbers shown side by side
never contradict each other.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

BY_BINS = 4096
"""Bins of each target's histogram of the stockpile at `by`."""

EXACT_VALUES = 1 << 22
"""Stockpile values (paths x targets, float64: 32 MiB) kept for exact quantiles."""


def target_edges(thr: float, upper: float, bins: int = BY_BINS) -> FloatArray:
    """`bins` + 1 increasing edges over [min(0, thr), max(upper, thr)] with thr one of them."""
    lo = min(0.0, thr)
    if lo >= thr:
        lo = thr - 1.0
    hi = max(upper, thr)
    if hi <= thr:
        hi = thr + 1.0
    below = min(bins - 1, max(1, round(bins * (thr - lo) / (hi - lo))))
    edges: FloatArray = np.concatenate([np.linspace(lo, thr, below + 1),
                                        np.linspace(thr, hi, bins - below + 1)[1:]])
    edges[below] = thr  # exactly, whatever linspace rounds
    return edges


def bin_of(values: FloatArray, edges: FloatArray) -> npt.NDArray[np.int64]:
    """Bin index of each value: v >= thr falls in a bin at or above thr's edge, v < thr below it."""
    k = np.searchsorted(edges, values, side="right") - 1
    out: npt.NDArray[np.int64] = np.clip(k, 0, len(edges) - 2).astype(np.int64)
    return out


def _report(x: float, thr: float, units: float) -> float:
    return max(x, units) if x >= thr else x


def hist_target_quantiles(counts: npt.NDArray[np.int64], edges: FloatArray, qs: tuple[float, ...],
                          lo: float, hi: float, thr: float, units: float) -> list[float]:
    """Quantiles from a histogram over `edges` (see the module docstring), clamped to [lo, hi]."""
    total = int(counts.sum())
    if total == 0:
        return [math.nan] * len(qs)
    cum = np.cumsum(counts)
    out = []
    for q in qs:
        r = q * total
        k = int(np.searchsorted(cum, r, side="right"))  # first bin whose cumulative count passes r
        if k >= len(counts):
            x = hi
        else:
            before = float(cum[k - 1]) if k else 0.0
            x = float(edges[k] + (edges[k + 1] - edges[k]) * (r - before) / float(counts[k]))
        out.append(_report(min(max(x, lo), hi), thr, units))
    return out


def exact_target_quantiles(values: FloatArray, qs: tuple[float, ...], thr: float,
                           units: float) -> list[float]:
    """Quantiles of every path's value: index min(floor(q n), n - 1) of the sorted values."""
    n = len(values)
    if n == 0:
        return [math.nan] * len(qs)
    idx = [min(math.floor(q * n), n - 1) for q in qs]
    part = np.partition(values, sorted(set(idx)))
    return [_report(float(part[i]), thr, units) for i in idx]
