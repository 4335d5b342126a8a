"""The stored headline in words: a label, a unit and a format for each key (`runs show`, `runs compare`).

Keys are the flattened paths of `bastion.run.headline` (see `store.compare.flatten`):
`total_cost`, `targets[lv-naf/atm-1/2030-12].probability`, ... A key this table does
not know is shown with its underscores as spaces and its value in a general number format.
"""

from __future__ import annotations

import re
from typing import Any

from bastion.report.fmt import money, num

#: Top-level keys: (label, kind). Kinds: text, month, pct, money, units, count, yesno.
TOP: dict[str, tuple[str, str]] = {
    "status": ("Status", "text"),
    "first_output_p50": ("First output, P50 (month)", "month"),
    "p_first_output_within_24_months": ("P(first output within 24 months)", "pct"),
    "plan_first_output": ("First output in the plan (month)", "month"),
    "plan_cost": ("Plan cost", "money"),
    "capex": ("Capex", "money"),
    "total_cost": ("Total cost, learning-adjusted", "money"),
    "jcl_p70_month": ("70% joint confidence, every target: month", "month"),
    "jcl_p70_cost": ("70% joint confidence, every target: cost", "money"),
    "worst_node": ("Most exposed node", "text"),
    "exposed_nodes": ("Nodes with TTS < TTR (count)", "count"),
}

#: Lists of rows: (label of a row, {field: (label, kind)}); fields not listed name the row.
ROWS: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "targets": ("Target {}", {
        "units": ("units wanted", "units"),
        "planned_units": ("units in the plan", "units"),
        "met_in_plan": ("met in the plan", "yesno"),
        "probability": ("P(met)", "pct"),
    }),
    "jcl_by_target": ("70% confidence, target {}", {
        "p70_month": ("reached by (month)", "month"),
        "p70_cost": ("cost by then", "money"),
    }),
}

#: Fields that only name a row of a list (shown in its label, not as values of their own).
NAMING = ("customer", "item", "by", "line", "site", "supplier", "node", "kind", "name", "year")

_ROW_KEY = re.compile(r"^(\w+)\[([^\]]*)\]\.(\w+)$")


def _row_name(label: str) -> str:
    parts = label.split("/")
    if len(parts) == 3:
        return f"{parts[0]} {parts[1]} by {parts[2]}"
    return " ".join(parts)


def describe(key: str) -> tuple[str, str] | None:
    """(label, kind) of a headline key; None for a field that only names its row."""
    if key in TOP:
        return TOP[key]
    match = _ROW_KEY.match(key)
    if match:
        table, label, field = match.groups()
        if table in ROWS:
            row, fields = ROWS[table]
            if field in fields:
                what, kind = fields[field]
                return f"{row.format(_row_name(label))}: {what}", kind
            if field in NAMING:
                return None
        return f"{table.replace('_', ' ')} {_row_name(label)}: {field.replace('_', ' ')}", "number"
    return key.replace("_", " ").replace(".", ": "), "number"


def value_text(value: Any, kind: str, currency: str) -> str:
    """A headline value for people: percentages, thousands separators, money with its currency."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    v = num(value)
    if v is None:
        return str(value)
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "money":
        return money(v, currency)
    if kind in ("units", "count"):
        return f"{v:,.0f}"
    if float(v).is_integer() or abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.3g}"


def delta_text(entry: dict[str, Any], kind: str, currency: str) -> str:
    """The change from before to after: +3.1 pts, -13,930 EUR, +1,200, +3 months."""
    if entry.get("delta_months") is not None:
        months = int(entry["delta_months"])
        return f"{months:+d} month{'s' if abs(months) != 1 else ''}"
    delta = num(entry.get("delta"))
    if delta is None:
        return ""
    sign = "+" if delta >= 0 else "-"
    if kind == "pct":
        return f"{100 * delta:+.1f} pts"
    if kind == "money":
        return sign + money(abs(delta), currency)
    rel = num(entry.get("relative"))
    text = value_text(abs(delta), kind, currency)
    return f"{sign}{text}" + (f" ({100 * rel:+,.1f}%)" if rel is not None and kind != "count" else "")
