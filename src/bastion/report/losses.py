"""How the report words a node's losses: per item by name, the weight of a weighted total, both
measures (over the horizon and inside the outage window), and what an outage means.

The resilience JSON gives `lost_by_item` (units of each end item) and `lost_weighted` (units valued
by `loss_weight`) over the horizon, and their `_in_window` twins (docs/method-resilience.md). Units
of different items are never added here; a weighted total is always shown with its weight.
"""

from __future__ import annotations

import math
from typing import Any

from bastion.report.fmt import num, units
from bastion.report.names import Names

OUTAGE_MEANING = (
    "An outage means: shipments already on the way when it starts still arrive; orders placed "
    "during the outage ship only after it ends."
)
MEASURES = (
    "Two measures: over the horizon (what the outage adds to the plan's losses to the end of the "
    "horizon, also a stock drawn down and then missed at a later target) and in the outage window "
    "(only what falls due while the node is down, as in the published definition)."
)


def weight_text(basis: Any) -> str:
    """The weight of a weighted loss, in words ("each unit valued at its unit cost (EUR)")."""
    b = str(basis or "units")
    if b == "units":
        return "units of every item counted alike"
    return f"each unit valued at its {b}"


def losses_text(by_item: Any, nm: Names, total: Any = None) -> str:
    """ "13,622 Anti-tank mine; 40 Fuze" (each item's units, by name), "none" when nothing is lost.

    `total` is the old plain `lost_units`, used only when the run has no per-item losses ("" when
    it has neither).
    """
    if isinstance(by_item, dict):
        parts = [f"{units(v)} {nm.name('items', k)}" for k, v in by_item.items()
                 if (num(v) or 0.0) >= 0.5]
        return "; ".join(parts) if parts else "none"
    t = num(total)
    if t is None:
        return ""
    return "none" if t < 0.5 else f"{units(t)} units"


def short_losses(by_item: Any, total: Any = None) -> str:
    """A bar's label: "13,622 lost" for one item, "2 items lost" for several (named in the
    reading, the hover and the table), "none lost"."""
    if isinstance(by_item, dict):
        lost = [num(v) or 0.0 for v in by_item.values() if (num(v) or 0.0) >= 0.5]
        if len(lost) > 1:
            return f"{len(lost)} items lost"
        return f"{units(lost[0])} lost" if lost else "none lost"
    t = num(total)
    return "" if t is None else f"{units(t)} lost"


def node_losses(n: dict[str, Any], nm: Names) -> dict[str, str]:
    """A node's losses as text: over the horizon and in the outage window, and a bar's label."""
    return {"lost_text": losses_text(n.get("lost_by_item"), nm, n.get("lost_units")),
            "lost_short": short_losses(n.get("lost_by_item"), n.get("lost_units")),
            "lost_in_window_text": losses_text(n.get("lost_by_item_in_window"), nm,
                                               n.get("lost_units_in_window"))}


def up(value: Any) -> str:
    """Whole units rounded up, as the resilience engine rounds a mitigation (1,544.4 -> "1,545"):
    a smaller buffer or second source would not close the gap."""
    v = num(value)
    return "?" if v is None else f"{math.ceil(v - 1e-6):,d}"


def mitigation_items(mit: Any) -> list[dict[str, Any]]:
    """The mitigation's items that need something (a buffer or a second source)."""
    items = mit.get("items") if isinstance(mit, dict) else None
    return [it for it in items or [] if isinstance(it, dict)
            and ((num(it.get("buffer_units")) or 0.0) > 0 or (num(it.get("second_source_per_month")) or 0.0) > 0
                 or it.get("buffer_units") is None)]


def mitigation_text(mit: Any, nm: Names) -> str:
    """The node's mitigation with names: "hold 13,900 Fill charge at Mine plant (5.9 months of use)
    or a second source of 1,545 a month"; the engine's own text where the run has no items."""
    if not isinstance(mit, dict):
        return "" if mit is None else str(mit)
    parts = []
    for it in mitigation_items(mit):
        item, site = nm.name("items", it.get("item")), nm.name("sites", it.get("site"))
        buf = (f"no buffer of {item} at {site} is enough" if it.get("buffer_units") is None else
               f"hold {up(it.get('buffer_units'))} {item} at {site}"
               + (f" ({num(it.get('buffer_months')) or 0.0:.1f} months of use)"
                  if it.get("buffer_months") is not None else ""))
        sec = ("no second source is enough" if it.get("second_source_per_month") is None else
               f"a second source of {up(it.get('second_source_per_month'))} {item} a month")
        parts.append(f"{buf}, or {sec}")
    return "; ".join(parts) if parts else str(mit.get("text") or "none found")
