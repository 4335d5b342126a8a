"""The plan's result: frozen dataclasses and the JSON object of ARCHITECTURE.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bastion.jsonfmt import money as _m
from bastion.jsonfmt import quantity as _q
from bastion.plan.solve import SolveStatus
from bastion.plan.tables import PlanTables


@dataclass(frozen=True)
class LinePlan:
    """One line: built (optional lines: chosen), online month, capex month."""

    line: str
    site: str
    optional: bool
    built: bool
    online: str | None
    capex_month: str | None


@dataclass(frozen=True)
class TargetPlan:
    """One target: planned stockpile at the end of `by`, met, first month reaching units."""

    customer: str
    item: str
    by: str
    units: float
    priority: int
    planned_units: float | None
    met: bool
    met_month: str | None
    shortfall: float


@dataclass(frozen=True)
class CostBreakdown:
    """Cost of the plan over the horizon, in the scenario's currency."""

    capex: float = 0.0
    purchases: float = 0.0
    production: float = 0.0
    fixed: float = 0.0
    holding: float = 0.0

    @property
    def total(self) -> float:
        """Sum of the parts."""
        return self.capex + self.purchases + self.production + self.fixed + self.holding


@dataclass(frozen=True)
class LevelShortfall:
    """One priority level's minimised shortfall."""

    priority: int
    unmet_consumption: float
    target_shortfall: float

    @property
    def weighted(self) -> float:
        """The level's objective: 10 x unmet consumption + target shortfall."""
        return 10.0 * self.unmet_consumption + self.target_shortfall


@dataclass(frozen=True)
class Sensitivity:
    """The marginal value of one limit: shortfall removed (stage level-p) or cost saved (stage cost)."""

    kind: str  # line_capacity | line_online | supplier_capacity | budget
    id: str
    stage: str  # "level-<p>" or "cost"
    value: float
    per: str
    text: str


@dataclass(frozen=True)
class Fix:
    """The least change of one limit that meets a short target (plan/fixes.py).

    kind: supplier_capacity (node = supplier, item = the item), line_capacity (node = line),
    line_online (node = line) or together (node = the limits joined by "+", change = the common
    share in %); change: units a month more, or months earlier; current: today's
    capacity (units a month) or online month index; from_month: the first month the change is
    used (line_online: the new online month)."""

    kind: str
    node: str
    item: str | None
    change: float
    current: float
    unit: str
    from_month: str | None
    text: str


@dataclass(frozen=True)
class Explanation:
    """Why a target (or a customer's consumption) is short, in a planner's sentence."""

    customer: str
    item: str
    by: str | None
    shortfall: float
    text: str
    relaxations: dict[str, float] = field(default_factory=dict)  # family -> shortfall left
    fixes: tuple[Fix, ...] = ()  # each alone meets the target, smallest relative change first


@dataclass(frozen=True)
class PlanResult:
    """The optimised plan, its status and its explanation."""

    status: SolveStatus
    gap: float | None
    message: str
    classification: str
    currency: str
    objective: float | None
    first_output: str | None
    lines: tuple[LinePlan, ...]
    targets: tuple[TargetPlan, ...]
    cost: CostBreakdown | None
    levels: tuple[LevelShortfall, ...]
    unmet_consumption: float
    explanations: tuple[Explanation, ...]
    sensitivity: tuple[Sensitivity, ...]
    tables: PlanTables | None
    seconds: dict[str, float]
    catalogue: dict[str, Any] = field(default_factory=dict)  # names and limits (plan/catalogue.py)

    @property
    def short(self) -> bool:
        """True when some target or consumption is short, or there is no plan (the CLI: exit 3, or 1 for no plan)."""
        if not self.status.has_solution:
            return True
        return self.unmet_consumption > 1e-6 or any(not t.met for t in self.targets)

    def to_json(self) -> dict[str, Any]:
        """The plan JSON object (ARCHITECTURE.md keys plus extras)."""
        cost = self.cost
        return {
            "status": self.status.value,
            "gap": self.gap,
            "message": self.message,
            "classification": self.classification,
            "currency": self.currency,
            "objective": _m(self.objective),
            "first_output": self.first_output,
            "lines": [
                {
                    "line": ln.line,
                    "site": ln.site,
                    "built": ln.built,
                    "online": ln.online,
                    "optional": ln.optional,
                    "capex_month": ln.capex_month,
                }
                for ln in self.lines
            ],
            "targets": [
                {
                    "customer": t.customer,
                    "item": t.item,
                    "by": t.by,
                    "units": t.units,
                    "planned_units": _q(t.planned_units),
                    "met": t.met,
                    "met_month": t.met_month,
                    "shortfall": _q(t.shortfall),
                    "priority": t.priority,
                }
                for t in self.targets
            ],
            "cost": None
            if cost is None
            else {
                "capex": _m(cost.capex),
                "purchases": _m(cost.purchases),
                "production": _m(cost.production),
                "fixed": _m(cost.fixed),
                "holding": _m(cost.holding),
                "total": _m(cost.total),
            },
            "shortfall_by_level": [
                {
                    "priority": lv.priority,
                    "unmet_consumption": _q(lv.unmet_consumption),
                    "target_shortfall": _q(lv.target_shortfall),
                    "weighted": _q(lv.weighted),
                }
                for lv in self.levels
            ],
            "unmet_consumption": _q(self.unmet_consumption),
            "short": self.short,
            "explanations": [
                {
                    "customer": e.customer,
                    "item": e.item,
                    "by": e.by,
                    "shortfall": _q(e.shortfall),
                    "text": e.text,
                    "relaxations": {k: _q(v) for k, v in e.relaxations.items()},
                    "fixes": [
                        {
                            "kind": f.kind,
                            "node": f.node,
                            "item": f.item,
                            "change": _q(f.change),
                            "current": _q(f.current),
                            "unit": f.unit,
                            "from_month": f.from_month,
                            "text": f.text,
                        }
                        for f in e.fixes
                    ],
                }
                for e in self.explanations
            ],
            "sensitivity": [
                {
                    "kind": s.kind,
                    "id": s.id,
                    "stage": s.stage,
                    "value": float(f"{s.value:.6g}"),
                    "per": s.per,
                    "text": s.text,
                }
                for s in self.sensitivity
            ],
            "seconds": self.seconds,
            "catalogue": self.catalogue,
        }
