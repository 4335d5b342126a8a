"""Small pure helpers for the report: reading a run dict safely, months and number formats."""

from __future__ import annotations

import math
from typing import Any

from bastion.moneyfmt import money_text
from bastion.scenario.types import month_index, month_name


def section(run: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The engine's JSON object `name` in `run`, or None when the run lacks it."""
    value = run.get(name)
    return value if isinstance(value, dict) else None


def rows(obj: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    """The list of dicts under `key` in `obj` (empty when absent or malformed)."""
    if obj is None:
        return []
    value = obj.get(key)
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def num(value: Any) -> float | None:
    """`value` as a finite float, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def currency(run: dict[str, Any]) -> str:
    """The run's currency (from any engine that reports it; EUR by default)."""
    for name in ("plan", "economics", "simulate"):
        obj = section(run, name)
        if obj is not None and isinstance(obj.get("currency"), str):
            return str(obj["currency"])
    return "EUR"


def add_months(month: str, k: int) -> str:
    """The "YYYY-MM" `k` months after `month`."""
    return month_name(k, month)


def months_between(a: str, b: str) -> int:
    """Whole months from `a` to `b` ("YYYY-MM")."""
    return month_index(b, a)


def month_date(start: str, months: float) -> str:
    """The ISO date `months` (fractional) months after the first day of `start`."""
    whole = math.floor(months + 1e-9)
    frac = max(0.0, months - whole)
    day = 1 + min(27, round(frac * 30))
    return f"{month_name(whole, start)}-{day:02d}"


def money(value: Any, cur: str = "", *, signed: bool = False) -> str:
    """A sum of money at its size ("12.3 M EUR"; `bastion.moneyfmt`); "n/a" for no number."""
    v = num(value)
    return "n/a" if v is None else money_text(v, cur, signed=signed)


def units(value: Any) -> str:
    """A count of units, whole with thousands separators."""
    v = num(value)
    return "n/a" if v is None else f"{v:,.0f}"


def pct(value: Any, digits: int = 0) -> str:
    """A probability as a percentage."""
    v = num(value)
    return "n/a" if v is None else f"{100 * v:.{digits}f}%"


def pct_pm(value: Any, stderr: Any) -> str:
    """A probability with its standard error, e.g. "72% ± 1.0%"."""
    if num(stderr) is None:
        return pct(value)
    return f"{pct(value)} ± {pct(stderr, 1)}"


def cell(value: Any) -> Any:
    """A value fit for one table cell: scalars as they are, lists joined, dicts as key=value."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(str(cell(v)) for v in value)
    if isinstance(value, dict):
        if isinstance(value.get("text"), str):
            return value["text"]
        return "; ".join(f"{k}={cell(v)}" for k, v in value.items())
    return str(value)
