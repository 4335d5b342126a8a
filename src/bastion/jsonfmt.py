"""How numbers are rounded in the engines' JSON objects (one rule for all of them).

None, NaN and infinities become None (JSON null): JSON has no NaN, and a
number that is not finite has no meaning to a planner.
"""

from __future__ import annotations

import math


def quantity(v: float | None) -> float | None:
    """Quantities: 4 decimals (solver noise below 1e-6 is not a unit); -0.0 becomes 0.0."""
    return None if v is None or not math.isfinite(v) else round(float(v), 4) + 0.0


def money(v: float | None) -> float | None:
    """Money: cents; -0.0 becomes 0.0."""
    return None if v is None or not math.isfinite(v) else round(float(v), 2) + 0.0
