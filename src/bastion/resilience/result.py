"""The resilience result: frozen dataclasses, the JSON object and CSV tables."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from bastion.jsonfmt import quantity as _q
from bastion.resilience.concentration import ItemConcentration, MadeItemDependency
from bastion.resilience.countries import AS_OF, SOURCE_EU, SOURCE_NATO
from bastion.resilience.mitigation import Mitigation
from bastion.textsafe import spreadsheet_cell

UNIT_EPS = 1e-6  # units below this count as none


def by_item(items: list[str] | tuple[str, ...], units: np.ndarray) -> dict[str, float]:
    """Item -> units, for the items with a loss (file order)."""
    return {i: float(u) for i, u in zip(items, units, strict=True) if u > UNIT_EPS}


def plain_or_weighted(lost: dict[str, float], weighted: float) -> float:
    """`lost_units` (SCENARIO.md): the plain total where one item is lost, else the
    weighted total (never units of different items added as they are)."""
    if len(lost) <= 1:
        return sum(lost.values()) if weighted > 0 else 0.0
    return weighted


def items_text(lost: dict[str, float]) -> str:
    """"5 atm-1; 2 atm-2" (units per item, rounded to whole units shown)."""
    return "; ".join(f"{v:,.0f} {k}" for k, v in lost.items())


@dataclass(frozen=True)
class NodeResilience:
    """One node: TTR, TTS (None: unbounded within the analysed months), losses, exposure.

    Horizon measure: tts_months, lost (per item), lost_weighted; window measure:
    tts_window_months, lost_in_window, lost_weighted_in_window (tts_ttr.py).
    """

    node: str
    kind: str
    ttr_months: float
    tts_months: float | None
    lost: dict[str, float]
    lost_weighted: float
    tts_window_months: float | None
    lost_in_window: dict[str, float]
    lost_weighted_in_window: float
    risk_exposure_index: float
    mitigation: Mitigation | None

    @property
    def lost_units(self) -> float:
        """Over the horizon: one item's units, or the weighted total (see plain_or_weighted)."""
        return plain_or_weighted(self.lost, self.lost_weighted)

    @property
    def lost_units_in_window(self) -> float:
        """Inside the outage window: one item's units, or the weighted total."""
        return plain_or_weighted(self.lost_in_window, self.lost_weighted_in_window)

    @property
    def exposed(self) -> bool:
        """The node's loss for its TTR loses units (over the horizon): TTS < TTR."""
        return self.lost_weighted > 0


@dataclass(frozen=True)
class ResilienceResult:
    """Every node's TTS/TTR, concentration per item, mitigations."""

    classification: str
    reference_month: str
    reference_rule: str
    state_rule: str  # how the state at M was chosen among optimal plans (preplan.py)
    window_end: str  # last month analysed
    plan_lost: dict[str, float]  # the plan's own losses from M on (no outage), per item
    loss_weight: str  # the weight of a unit lost: "unit cost (EUR)" or "units" (weights.py)
    nodes: tuple[NodeResilience, ...]  # sorted by exposure, then TTS
    concentration: tuple[ItemConcentration, ...]
    made_items: tuple[MadeItemDependency, ...]
    seconds: dict[str, float]
    solves: int

    def to_json(self) -> dict[str, Any]:
        """The resilience JSON object (ARCHITECTURE.md keys plus extras)."""
        return {
            "classification": self.classification,
            "reference_month": self.reference_month,
            "reference_rule": self.reference_rule,
            "state_rule": self.state_rule,
            "window_end": self.window_end,
            "plan_lost_by_item": {k: _q(v) for k, v in self.plan_lost.items()},
            "loss_weight": self.loss_weight,
            "nodes": [
                {
                    "node": n.node,
                    "kind": n.kind,
                    "ttr_months": n.ttr_months,
                    "tts_months": n.tts_months,
                    "tts_unbounded": n.tts_months is None,
                    "lost_units": _q(n.lost_units),
                    "lost_by_item": {k: _q(v) for k, v in n.lost.items()},
                    "lost_weighted": _q(n.lost_weighted),
                    "tts_window_months": n.tts_window_months,
                    "lost_units_in_window": _q(n.lost_units_in_window),
                    "lost_by_item_in_window": {k: _q(v) for k, v in n.lost_in_window.items()},
                    "lost_weighted_in_window": _q(n.lost_weighted_in_window),
                    "risk_exposure_index": round(n.risk_exposure_index, 6),
                    "exposed": n.exposed,
                    "mitigation": None
                    if n.mitigation is None
                    else {
                        "text": n.mitigation.text(),
                        "items": [
                            {
                                "item": m.item,
                                "site": m.site,
                                "buffer_units": _q(m.buffer_units),
                                "buffer_months": m.buffer_months,
                                "second_source_per_month": _q(m.second_source_per_month),
                            }
                            for m in n.mitigation.items
                        ],
                    },
                }
                for n in self.nodes
            ],
            "concentration": [
                {
                    "item": c.item,
                    "sources": list(c.sources),
                    "countries": list(c.countries),
                    "n_sources": len(c.sources),
                    "capacity_per_month": c.capacity_per_month,
                    "hhi": None if c.hhi is None else round(c.hhi, 6),
                    "hhi_scale": "0..1",
                    "non_eu_nato_share": None if c.non_eu_nato_share is None else round(c.non_eu_nato_share, 6),
                    "basis": c.basis,
                    "single_point": c.single_point,
                }
                for c in self.concentration
            ],
            "made_items": [
                {
                    "item": d.item,
                    "lines": list(d.lines),
                    "sites": list(d.sites),
                    "single_line": d.single_line,
                    "single_site": d.single_site,
                }
                for d in self.made_items
            ],
            "country_sets": {"eu": SOURCE_EU, "nato": SOURCE_NATO, "as_of": AS_OF},
            "solves": self.solves,
            "seconds": self.seconds,
        }

    def csv_tables(self) -> dict[str, str]:
        """File name -> CSV text: nodes, concentration, mitigations."""

        def table(header: list[str], rows: list[list[Any]]) -> str:
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(header)
            w.writerows([spreadsheet_cell(v) for v in row] for row in rows)  # text never a formula
            return buf.getvalue()

        nodes = table(
            [
                "node",
                "kind",
                "ttr_months",
                "tts_months",
                "tts_unbounded",
                "lost_units",
                "lost_by_item",
                "tts_window_months",
                "lost_units_in_window",
                "lost_by_item_in_window",
                "risk_exposure_index",
                "mitigation",
            ],
            [
                [
                    n.node,
                    n.kind,
                    n.ttr_months,
                    "" if n.tts_months is None else n.tts_months,
                    n.tts_months is None,
                    _q(n.lost_units),
                    items_text(n.lost),
                    "" if n.tts_window_months is None else n.tts_window_months,
                    _q(n.lost_units_in_window),
                    items_text(n.lost_in_window),
                    round(n.risk_exposure_index, 6),
                    "" if n.mitigation is None else n.mitigation.text(),
                ]
                for n in self.nodes
            ],
        )
        conc = table(
            ["item", "n_sources", "sources", "countries", "hhi", "non_eu_nato_share", "basis", "single_point"],
            [
                [
                    c.item,
                    len(c.sources),
                    " ".join(c.sources),
                    " ".join(c.countries),
                    "" if c.hhi is None else round(c.hhi, 6),
                    "" if c.non_eu_nato_share is None else round(c.non_eu_nato_share, 6),
                    c.basis,
                    c.single_point,
                ]
                for c in self.concentration
            ],
        )
        mit = table(
            ["node", "kind", "item", "site", "buffer_units", "buffer_months", "second_source_per_month"],
            [
                [
                    n.node,
                    n.kind,
                    m.item,
                    m.site,
                    _q(m.buffer_units),
                    "" if m.buffer_months is None else m.buffer_months,
                    _q(m.second_source_per_month),
                ]
                for n in self.nodes
                if n.mitigation is not None
                for m in n.mitigation.items
            ],
        )
        return {"resilience-nodes.csv": nodes, "resilience-concentration.csv": conc, "resilience-mitigations.csv": mit}
