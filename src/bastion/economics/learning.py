"""Unit-cost (Crawford) learning: the n-th good unit of a line costs c1 x n ** b, b = log2(rate).

A lot of q units made after n0 earlier units costs c1 x (H(n0 + q) - H(n0)),
H(x) = sum_{k=1}^{x} k ** b. For whole x up to `EXACT_UNTIL` H is summed
exactly; beyond, Euler-Maclaurin from that point (five Bernoulli terms; the
first term left out is below 1e-15 relative). For a fractional x (a plan's
output is continuous) H is the generalised harmonic number, the analytic
extension with H(x) - H(x - 1) = x ** b (the Hurwitz-zeta form), so a lot
of q units always costs the integral-corrected sum of its unit costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

EXACT_UNTIL = 32
"""Whole unit counts up to this are summed term by term; above, Euler-Maclaurin."""

_BERNOULLI = (1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66)  # B2, B4, ..., B10


def learning_exponent(rate: float) -> float:
    """b = log2(rate): the exponent of the unit-cost curve (0 for rate 1, no learning)."""
    if not 0.0 < rate <= 1.0:
        raise ValueError(f"learning rate {rate} is not in (0, 1]")
    return math.log2(rate)


def unit_cost(n: float, first_unit_cost: float, rate: float) -> float:
    """Cost of the n-th unit (n >= 1): first_unit_cost x n ** log2(rate)."""
    return float(first_unit_cost * n ** learning_exponent(rate))


def _pow_diff(a: float, q: float, p: float) -> float:
    """(a + q) ** p - a ** p without cancellation (a > 0, q >= 0)."""
    return float(a**p) * math.expm1(p * math.log1p(q / a))


def _em_diff(a: float, q: float, b: float) -> float:
    """H(a + q) - H(a) for a >= EXACT_UNTIL by Euler-Maclaurin (no constant needed)."""
    if q == 0.0:
        return 0.0
    harmonic = abs(b + 1.0) < 1e-12  # b = -1 (a 50 % curve): the integral is a logarithm
    integral = math.log1p(q / a) if harmonic else _pow_diff(a, q, b + 1.0) / (b + 1.0)
    total = integral + 0.5 * _pow_diff(a, q, b)
    falling = b  # b (b - 1) ... (b - m + 1) for m = 2j - 1
    fact = 2.0  # (2j)!
    for j, bern in enumerate(_BERNOULLI, start=1):
        m = 2 * j - 1
        if j > 1:
            falling *= (b - m + 2) * (b - m + 1)
            fact *= (2 * j - 1) * (2 * j)
        total += bern / fact * falling * _pow_diff(a, q, b - m)
    return total


def _exact(n: int, b: float) -> float:
    return math.fsum(k**b for k in range(1, n + 1))


def partial_sum(x: float, b: float) -> float:
    """H(x) = sum_{k=1}^{x} k ** b for x >= 0 (exact for whole x <= EXACT_UNTIL; see module)."""
    if x < 0 or not math.isfinite(x):
        raise ValueError(f"unit count {x} must be finite and >= 0")
    if b == 0.0:
        return float(x)
    if x == int(x) and x <= EXACT_UNTIL:
        return _exact(int(x), b)
    shift = max(0, math.ceil(EXACT_UNTIL - x))
    y = x + shift
    base = _exact(EXACT_UNTIL, b) + _em_diff(float(EXACT_UNTIL), y - EXACT_UNTIL, b)
    return base - math.fsum((x + j) ** b for j in range(1, shift + 1))


def lot_sum(before: float, units: float, b: float) -> float:
    """H(before + units) - H(before): the sum of the unit-cost factors of one lot."""
    if units < 0 or before < 0:
        raise ValueError("unit counts must be >= 0")
    if b == 0.0 or units == 0.0:
        return float(units)
    if before >= EXACT_UNTIL:
        return _em_diff(before, units, b)
    return partial_sum(before + units, b) - partial_sum(before, b)


def cumulative_average(n: float, first_unit_cost: float, rate: float) -> float:
    """Average cost of the first n units: first_unit_cost x H(n) / n."""
    if n <= 0:
        raise ValueError("the cumulative average needs n > 0")
    return first_unit_cost * partial_sum(n, learning_exponent(rate)) / n


@dataclass(frozen=True, eq=False)
class LineLearning:
    """One line's output and learning-adjusted variable cost by month (arrays of the horizon)."""

    line: str
    first_unit_cost: float
    rate: float
    units: FloatArray  # good units made per month (all items)
    cost: FloatArray  # learning-adjusted variable cost per month
    first_unit_cost_total: FloatArray  # the plan's cost at first-unit cost, per month

    @property
    def cumulative_units(self) -> FloatArray:
        """Good units made from the start up to the end of each month."""
        return np.cumsum(self.units)

    @property
    def cumulative_cost(self) -> FloatArray:
        """Learning-adjusted variable cost up to the end of each month."""
        return np.cumsum(self.cost)

    def marginal_unit_cost(self) -> FloatArray:
        """Cost of the last unit made by the end of each month (first-unit cost before any)."""
        n = np.maximum(self.cumulative_units, 1.0)
        return self.first_unit_cost * n ** learning_exponent(self.rate)


def learn_line(line: str, first_unit_cost: float, rate: float, units: FloatArray) -> LineLearning:
    """Price a line's monthly output (months in order) down its learning curve."""
    b = learning_exponent(rate)
    cost = np.zeros(len(units))
    before = 0.0
    for k, q in enumerate(units):
        q = float(q)
        if q > 0:
            cost[k] = first_unit_cost * (q if b == 0.0 else lot_sum(before, q, b))
            before += q
    return LineLearning(line, first_unit_cost, rate, np.asarray(units, dtype=float), cost,
                        first_unit_cost * np.asarray(units, dtype=float))
