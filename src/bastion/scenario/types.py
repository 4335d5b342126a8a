"""Small value types shared by the scenario models: ids, months, ranges."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, Strict, StringConstraints
from pydantic_core import PydanticCustomError

from bastion.scenario.errors import printable

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

Nation = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
]
"""An ISO 3166-1 alpha-3 nation code, three upper-case letters A-Z, e.g. `LVA` (the form is
checked, not the list of assigned codes)."""

Level = Literal["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"]
"""A releasability level, lowest first."""

LEVELS: tuple[Level, ...] = ("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET")
"""The releasability levels, lowest first."""

MAX_MONTHS = 1200
"""Longest horizon, and the most months any duration, delay or ramp may last."""
MAX_AMOUNT = 1e15
"""Every quantity, price and amount of money is below this (a thousand trillion)."""
MAX_RATE = 120.0
"""Most events per year of a Poisson process (disruption, outage, surge, risk): ten a month."""
MAX_FACTOR = 1000.0
"""Largest surge factor on consumption."""
MAX_PRIORITY = 100
"""Largest (last-served) customer priority."""
MAX_RESOURCE = 1000
"""Largest capacity of a programme resource (and use of it by one task)."""
MAX_TEXT = 1000
"""Longest free text (names, units, classification); a description may hold MAX_LONG_TEXT."""
MAX_LONG_TEXT = 20_000
MAX_CURRENCY = 12
"""Longest currency name (`EUR`, `kEUR`, `USD 2026`)."""


def _number(value: Any) -> Any:
    """Refuse a boolean or a text where a number is meant (no silent `yes` -> 1, `"40"` -> 40)."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "a boolean where a number is meant")
    if isinstance(value, str | bytes):
        raise PydanticCustomError("text_not_number", "a text where a number is meant")
    return value


def whole(low: int, high: int) -> Any:
    """Checks before a whole-number field `low..high`: no boolean or text, and a float
    beyond the range (`1e19`, `inf`) reported against the range, not as an integer overflow."""

    def check(value: Any) -> Any:
        value = _number(value)
        if isinstance(value, float):
            if math.isnan(value):
                raise PydanticCustomError("finite_number", "Input should be a finite number")
            if value > high:
                raise PydanticCustomError("less_than_equal", "Input should be <= {le}", {"le": high})
            if value < low:
                raise PydanticCustomError("greater_than_equal", "Input should be >= {ge}", {"ge": low})
        return value

    return BeforeValidator(check)


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
"""A free text: at most MAX_TEXT characters."""

LongText = Annotated[str, StringConstraints(max_length=MAX_LONG_TEXT)]
"""A long free text (a description): at most MAX_LONG_TEXT characters."""

Currency = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CURRENCY)]
"""The currency's name: 1 to MAX_CURRENCY characters."""

Number = BeforeValidator(_number)

NonNeg = Annotated[float, Number, Field(ge=0, lt=MAX_AMOUNT, allow_inf_nan=False)]
"""A finite quantity, price or amount of money: 0 <= x < 1e15."""

MAX_BOM = 1e6
"""Largest bom quantity per good unit (with scrap <= 0.99 a solver coefficient stays <= 1e8)."""

BomQuantity = Annotated[float, Number, Field(ge=0, le=MAX_BOM, allow_inf_nan=False)]
"""A bom quantity per good unit: 0 to 1e6 (a coarser unit beyond that: t rather than g)."""

Months = Annotated[float, Number, Field(ge=0, le=MAX_MONTHS, allow_inf_nan=False)]
"""A length of time in months, 0 to 1200 (fractions allowed)."""

WholeMonths = Annotated[int, whole(0, MAX_MONTHS), Field(ge=0, le=MAX_MONTHS)]
"""A whole number of months, 0 to 1200."""

Rate = Annotated[float, Number, Field(ge=0, le=MAX_RATE, allow_inf_nan=False)]
"""Events per year of a Poisson process, 0 to 120."""

Resource = Annotated[int, whole(0, MAX_RESOURCE), Field(ge=0, le=MAX_RESOURCE)]
"""Units of a programme resource, a whole number 0 to 1000."""

Flag = Annotated[bool, Strict()]
"""true or false, nothing else (not "yes", 1 or "true")."""


def _check_month(value: str) -> str:
    match = MONTH_RE.fullmatch(value)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            # as every other text: a lone surrogate in the message itself would make
            # pydantic-core fail on it (a traceback, not a message)
            raise PydanticCustomError("string_unicode", "Input should be a valid string")
        raise ValueError(f'"{printable(value)}" is not a month written "YYYY-MM"')
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
    tuple[Months, Months, Months],
    BeforeValidator(_to_triangular),
    AfterValidator(_check_order),
]
"""A triangular range `[min, mode, max]` of months (each 0 to 1200); a single number `a` means `[a, a, a]`."""


def mode_of(value: tuple[float, float, float]) -> float:
    """The mode of a triangular range."""
    return value[1]
