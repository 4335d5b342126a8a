"""How the workbook writes a column: its header with units, its number format, months as dates.

Column names are the run's and the plan tables' keys; `column_format` maps each to a header and an
Excel number format, by name (money in the run's currency, units with thousands separators,
probabilities as percentages, durations in months).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

from bastion.report.fmt import num
from bastion.report.names import Names

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MONTH_FMT = "yyyy-mm"
UNITS_FMT = "#,##0"
MONEY_FMT = "#,##0"
PCT_FMT = "0.0%"
MONTHS_FMT = "0.0"
INDEX_FMT = "0.00"

MONEY = {"cost", "capex", "purchases", "fixed", "holding", "total", "variable", "capex_budget",
         "capex_optional", "discounted_total", "plan", "simulated_mean", "learning_adjusted", "per_unit",
         "average_unit_cost", "cumulative_average", "last_unit_cost", "lot_average", "price",
         "objective"}
QTY = {"units", "planned_units", "shortfall", "p10_units", "p50_units", "p90_units", "mean_units", "opening",
       "arrivals", "accepted_output", "used", "delivered", "closing", "received", "consumption", "unmet",
       "lost_units", "capacity_per_month", "cumulative_units", "paths", "buffer_units", "change", "current"}
PCT = {"probability", "stderr", "cumulative_probability", "risk_criticality", "non_eu_nato_share",
       "reached_share", "requested", "deterministic_probability"}
MONTHS = {"start_months", "finish_months", "risk_p10", "risk_p50", "risk_p90", "ttr_months", "tts_months",
          "tts_window_months", "buffer_months"}
WEIGHTED = {"lost_weighted", "lost_weighted_in_window"}  # weighted by the row's `loss_weight`
TEXT_HEADS = {"lost_text": "lost over the horizon, per item (units)",
              "lost_in_window_text": "lost in the outage window, per item (units)",
              "loss_weight": "weight of the weighted losses",
              "why_short": "why short of its confidence (what binds, the bound, the room for a buffer)"}
INDEX = {"risk_exposure_index", "hhi", "discount_factor"}
NAMED = {"customer": "customers", "item": "items", "supplier": "suppliers", "site": "sites", "node": "node"}


def column_format(col: str, cur: str, table: str = "") -> tuple[str, str | None]:
    """The header (with its unit) and the number format of column `col`."""
    if (table == "plan_costs" and col == "production") or col in MONEY:
        return f"{col} ({cur})", MONEY_FMT
    if table == "sim_fan_charts" and col in ("p10", "p50", "p90"):
        return f"{col} stockpile (units)", UNITS_FMT
    if col in QTY:
        return (col if col == "units" else f"{col} (units)"), UNITS_FMT
    if col in WEIGHTED:
        return f"{col} (see loss_weight)", UNITS_FMT
    if col in TEXT_HEADS:
        return TEXT_HEADS[col], None
    if col in PCT:
        return f"{col} (%)", PCT_FMT
    if col in MONTHS:
        return f"{col} (months)", MONTHS_FMT
    if col in INDEX:
        return col, INDEX_FMT
    if col == "met" and table == "targets":
        return "met in plan", None
    return col, None


def month_date(v: Any) -> Any:
    """A "YYYY-MM" string as the first day of that month (a real date in the sheet); else `v`."""
    if isinstance(v, str):
        m = MONTH.match(v)
        if m and 1 <= int(m.group(2)) <= 12:
            return dt.date(int(m.group(1)), int(m.group(2)), 1)
    return v


def with_names(records: list[dict[str, Any]], nm: Names) -> list[dict[str, Any]]:
    """Each record with a "<code column> name" column after each code column the scenario names."""
    if not nm.catalogue or not records:
        return records
    cols = [c for c in records[0] if c in NAMED]
    if not cols:
        return records
    out = []
    for r in records:
        row: dict[str, Any] = {}
        for k, v in r.items():
            row[k] = v
            if k in cols:
                row[f"{k} name"] = nm.node(v) if NAMED[k] == "node" else nm.name(NAMED[k], v)
        out.append(row)
    return out


WIDE: tuple[tuple[str, str, tuple[str, ...], str, str, str], ...] = (
    # sheet, plan table, row keys, month column, value column, what the numbers are
    ("production", "production", ("line", "item"), "month", "units", "units made (good units a month)"),
    ("purchases", "purchases", ("supplier", "item"), "month", "units", "units ordered a month"),
    ("deliveries", "deliveries", ("customer", "item"), "arrival_month", "units",
     "units arriving at the customer a month"),
    ("stockpiles", "stockpiles", ("customer", "item"), "month", "closing",
     "customer's stockpile at the end of the month (units)"),
    ("stores", "stores", ("site", "item"), "month", "closing", "site's store at the end of the month (units)"),
)


def wide(records: list[dict[str, Any]], keys: tuple[str, ...], month: str,
         value: str) -> tuple[list[str], list[tuple[tuple[str, ...], dict[str, float]]]]:
    """Long records as one row per key with months across: (months, [(key, month -> sum)])."""
    rows: dict[tuple[str, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    months: set[str] = set()
    for r in records:
        m = str(r.get(month) or r.get("month"))
        months.add(m)
        rows[tuple(str(r.get(k)) for k in keys)][m] += num(r.get(value)) or 0.0
    return sorted(months), sorted(rows.items())


def cost_rows(records: list[dict[str, Any]]) -> list[tuple[tuple[str, ...], dict[str, float]]]:
    """The plan's monthly costs as one row per kind (capex, purchases, ...) with months across."""
    kinds = [k for k in (records[0] if records else {}) if k != "month"]
    return [((k,), {str(r.get("month")): num(r.get(k)) or 0.0 for r in records}) for k in kinds]
