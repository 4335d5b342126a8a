"""Exact one-sided Clopper-Pearson bounds on a binomial share (the bound's statistics, bound.py
and premise.py; docs/method-confidence.md, "Not reachable")."""

from __future__ import annotations

import math


def clopper_pearson_upper(met: int, count: int, alpha: float) -> float:
    """One-sided upper confidence bound at 1 - alpha on a binomial share met / count (exact:
    the p with P(Binomial(count, p) <= met) = alpha; 1 when every trial succeeded)."""
    if count <= 0 or met >= count:
        return 1.0

    def cdf(p: float) -> float:  # P(Binomial(count, p) <= met)
        if p <= 0.0:
            return 1.0
        if p >= 1.0:
            return 0.0
        lp, lq = math.log(p), math.log1p(-p)
        return math.fsum(math.exp(math.lgamma(count + 1) - math.lgamma(k + 1)
                                  - math.lgamma(count - k + 1) + k * lp + (count - k) * lq)
                         for k in range(met + 1))

    lo, hi = met / count, 1.0
    for _ in range(60):  # cdf falls as p rises: bisection to ~1e-18
        mid = (lo + hi) / 2
        if cdf(mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


def clopper_pearson_lower(met: int, count: int, alpha: float) -> float:
    """One-sided lower confidence bound at 1 - alpha on met / count (the upper bound of the
    misses' share, from 1; 0 when nothing succeeded)."""
    if count <= 0 or met <= 0:
        return 0.0
    return 1.0 - clopper_pearson_upper(count - met, count, alpha)
