"""Mitigation of an exposed node (TTS < TTR): the least buffer and the least second source.

Both are LPs on the outage model with the node down for its TTR and the
losses over the analysed months (the horizon measure) held at the plan's own
(no outage) losses:
- buffer: extra stock of the node's items in the stores that hold them, at
  the start of M; the total, each item's units weighted as losses are
  (weights.py), is minimised;
- second source: a new source of each of the node's items, delivering up to a
  constant capacity per month into the stores from M on (already qualified,
  no lead time); the weighted total capacity is minimised.
Shown figures are rounded up to whole units (never down: less would not
close the gap). A buffer's months of cover divide it by the plan's average
use of the item at that store (used by lines + delivered) over the 12 months
from M (fewer where the horizon ends sooner), so they do not depend on when
in the outage the plan would have drawn it.
A supplier's items are the items it supplies (at any site's store); a line's,
site's or risk group's lines add the items those lines make (at their site).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from bastion.resilience.nodes import Node
from bastion.resilience.outage import OutageModel
from bastion.resilience.preplan import USE_MONTHS
from bastion.resilience.state import PlanState
from bastion.scenario.model import Scenario


@dataclass(frozen=True)
class ItemMitigation:
    """For one item at one site: buffer units (and months of use), second-source units a month."""

    item: str
    site: str
    buffer_units: float | None
    buffer_months: float | None
    second_source_per_month: float | None


@dataclass(frozen=True)
class Mitigation:
    """What closes one node's gap (TTS < TTR); None values: no buffer (or source) is enough."""

    node: str
    kind: str
    items: tuple[ItemMitigation, ...]

    @property
    def buffer_total(self) -> float | None:
        """Buffer units when the mitigation concerns one item (units of different items are
        never added); None when no buffer closes the gap or several items need one."""
        vals = [m.buffer_units for m in self.items]
        if any(v is None for v in vals):
            return None
        items = {m.item for m in self.items if m.buffer_units}
        return sum(v or 0.0 for v in vals) if len(items) <= 1 else None

    def text(self) -> str:
        """A planner's line, each figure labelled with its item and rounded up, never down:
        "buffer 150 fuze at plant (1.5 mo of use) or 2nd source 38/mo of fuze at plant"."""
        parts = []
        for m in self.items:
            if not (m.buffer_units or m.second_source_per_month):
                continue
            where = f"{m.item} at {m.site}"
            if m.buffer_units is None:
                buf = f"no buffer of {where} is enough"
            else:
                buf = f"buffer {ceil_units(m.buffer_units)} {where}"
                if m.buffer_months is not None:
                    buf += f" ({m.buffer_months:.1f} mo of use)"
            sec = ("no 2nd source is enough" if m.second_source_per_month is None
                   else f"2nd source {ceil_units(m.second_source_per_month)}/mo of {where}")
            parts.append(f"{buf} or {sec}")
        return "; ".join(parts) if parts else "none found"


def _slack(v: float) -> float:
    """LP values this little above a figure are that figure (solver noise, not a need)."""
    return max(1e-5, 1e-9 * abs(v))


def ceil_units(v: float) -> str:
    """Whole units rounded up (1.25 -> "2"): a smaller figure would not close the gap."""
    return f"{math.ceil(v - _slack(v)):,d}"


def node_items(scenario: Scenario, node: Node) -> set[tuple[str | None, str]]:
    """(site or None for any site, item) the node's outage takes away."""
    out: set[tuple[str | None, str]] = set()
    for sid in node.suppliers:
        out.update((None, item) for item in scenario.suppliers[sid].supplies)
    lines = scenario.all_lines()
    for lid in node.lines:
        site, line = lines[lid]
        out.update((site, item) for item in line.makes)
    return out


def _pairs(om: OutageModel, scenario: Scenario, node: Node) -> np.ndarray:
    ix = om.ix
    want = node_items(scenario, node)
    out = [p for p, (s, i) in enumerate(ix.store_pairs)
           if (None, ix.items[int(i)]) in want or (ix.sites[int(s)], ix.items[int(i)]) in want]
    # by item id, then site id: the order of the file does not change the text
    out.sort(key=lambda p: (ix.items[int(ix.store_pairs[p][1])], ix.sites[int(ix.store_pairs[p][0])]))
    return np.array(out, dtype=np.int64)


def monthly_use(scenario: Scenario, state: PlanState, at: int, months: int) -> dict[tuple[str, str], float]:
    """(site, item) -> the plan's average units a month leaving the store (used + delivered)
    over months at .. at + months - 1."""
    lines = scenario.all_lines()
    use: dict[tuple[str, str], float] = defaultdict(float)
    hi = at + max(1, months)
    for (lid, item, m), v in state.flows.get("Line-production", {}).items():
        if at <= int(m) < hi:
            it = scenario.items[str(item)]
            k = 1.0 / (1.0 - it.scrap_rate)
            for comp, q in it.bom.items():
                use[(lines[str(lid)][0], comp)] += v * q * k
    for (_c, item, site, m), v in state.flows.get("Customer-delivery", {}).items():
        if at <= int(m) < hi:
            use[(str(site), str(item))] += v
    return {k: v / max(1, months) for k, v in use.items()}




def _up(v: float) -> float:
    """Round up to 1e-4 (a buffer a little above the LP's least still closes the gap)."""
    return math.ceil((v - _slack(v)) * 1e4) / 1e4 if v > 1e-7 else 0.0


def mitigate(om: OutageModel, scenario: Scenario, state: PlanState, node: Node,
             allowed: float) -> Mitigation:
    """The least buffer and second-source capacity that keep losses at `allowed` over TTR."""
    ix = om.ix
    pairs = _pairs(om, scenario, node)
    buf = om.least_extra(node, node.ttr, pairs, allowed, "buffer")
    sec = om.least_extra(node, node.ttr, pairs, allowed, "second")
    use = monthly_use(scenario, state, om.at, max(1, min(USE_MONTHS, scenario.horizon.months - om.at)))
    items = []
    for k, p in enumerate(pairs):
        s, i = (int(v) for v in ix.store_pairs[p])
        site, item = ix.sites[s], ix.items[i]
        b = None if buf is None else _up(float(buf[k]))
        c = None if sec is None else _up(float(sec[k]))
        rate = use.get((site, item), 0.0)
        months = None if b is None or rate <= 1e-9 else round(b / rate, 2)
        items.append(ItemMitigation(item, site, b, months, c))
    return Mitigation(node.id, node.kind, tuple(items))
