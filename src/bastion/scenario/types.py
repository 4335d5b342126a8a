"""Small value types shared by the scenario models: ids, months, ranges."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

ID_PATTERN = r"^[a-z0-9_.\-]+$"
MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")

Id = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=200),
]
"""An id: a string of `a-z 0-9 - _ .`."""

Country = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
]
"""An ISO 3166 alpha-2 country code, upper case, e.g. `LV`."""

NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A finite quantity >= 0."""

NonNegInt = Annotated[int, Field(ge=0)]


def _check_month(value: str) -> str:
    match = MONTH_RE.fullmatch(value)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f'"{value}" is not a month written "YYYY-MM"')
    return value


Month = Annotated[str, AfterValidator(_check_month)]
"""A calendar month written `"YYYY-MM"`."""


def month_index(month: str, start: str) -> int:
    """Months from `start` to `month` (both "YYYY-MM"): 0 when equal."""
    y, m = int(month[:4]), int(month[5:7])
    y0, m0 = int(start[:4]), int(start[5:7])
    return (y - y0) * 12 + (m - m0)


def month_name(index: int, start: str) -> str:
    """The "YYYY-MM" of month `index` counted from `start` (month 0)."""
    total = int(start[:4]) * 12 + int(start[5:7]) - 1 + index
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def _to_triangular(value: Any) -> Any:
    """Accept a plain number as the constant range [a, a, a]."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return (value, value, value)
    return value


def _check_order(value: tuple[float, float, float]) -> tuple[float, float, float]:
    low, mode, high = value
    if low > mode:
        raise ValueError(f"min {low:g} is greater than mode {mode:g} (write [min, mode, max])")
    if mode > high:
        raise ValueError(f"mode {mode:g} is greater than max {high:g} (write [min, mode, max])")
    return value


Triangular = Annotated[
    tuple[NonNeg, NonNeg, NonNeg],
    BeforeValidator(_to_triangular),
    AfterValidator(_check_order),
]
"""A triangular range `[min, mode, max]` (months); a single number `a` means `[a, a, a]`."""


def mode_of(value: tuple[float, float, float]) -> float:
    """The mode of a triangular range."""
    return value[1]
