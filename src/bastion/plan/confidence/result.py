"""The confidence plan's result: the plan at P, per-target confidence, the price of confidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bastion.jsonfmt import money as _m
from bastion.plan.result import PlanResult


@dataclass(frozen=True)
class Validated:
    """Out-of-sample P(met) of the plan, by the simulator."""

    probability: float
    stderr: float
    paths: int
    seed: int


@dataclass(frozen=True)
class TargetConfidence:
    """One target: requested share, in-sample share, validated probability."""

    customer: str
    item: str
    by: str
    units: float
    priority: int
    requested: float | None
    in_sample: float | None  # share of the planning futures in which the plan meets it
    validated: Validated | None
    deterministic_probability: float | None  # P(met) of the deterministic plan, same paths
    reached: bool  # validated >= requested - stderr (True when nothing is requested)
    deficit_futures: int = 0  # planning futures short of the requested share (0: reached in-sample)
    binds: str = ""  # not reached: what binds, and the perfect-foresight bound
    bound: dict[str, Any] | None = None  # not reached (buffer route): the bound's numbers


@dataclass(frozen=True)
class Price:
    """The price of confidence: cost at P against the deterministic plan, and what it buys."""

    deterministic_cost: float | None
    cost: float | None
    by_kind: dict[str, float] = field(default_factory=dict)  # cost at P - deterministic, per kind
    buys: tuple[str, ...] = ()  # what the difference buys, in a planner's words
    text: str = ""

    @property
    def difference(self) -> float | None:
        """Cost at P minus the deterministic plan's cost."""
        if self.cost is None or self.deterministic_cost is None:
            return None
        return self.cost - self.deterministic_cost


@dataclass(frozen=True)
class ConfidencePlan:
    """The plan at the requested confidence and how it validates."""

    plan: PlanResult
    deterministic: PlanResult
    targets: tuple[TargetConfidence, ...]
    futures: int
    seed: int
    validation_paths: int
    rounds: int
    history: tuple[dict[str, object], ...]
    price: Price
    seconds: float
    sampled: bool  # False: nothing random, the plan is the deterministic one

    @property
    def short(self) -> bool:
        """Exit status 3: some target misses its confidence, or the plan itself is short."""
        return self.plan.short or any(not t.reached for t in self.targets)

    def confidence_json(self) -> dict[str, Any]:
        """The `confidence` object of the plan JSON (ARCHITECTURE.md)."""
        return {
            "futures": self.futures,
            "seed": self.seed,
            "sampled": self.sampled,
            "rounds": self.rounds,
            "history": list(self.history),
            "targets": [
                {
                    "customer": t.customer, "item": t.item, "by": t.by, "units": t.units,
                    "priority": t.priority,
                    "requested": t.requested,
                    "in_sample": None if t.in_sample is None else round(t.in_sample, 6),
                    "validated": None if t.validated is None else {
                        "probability": round(t.validated.probability, 6),
                        "stderr": round(t.validated.stderr, 6),
                        "paths": t.validated.paths, "seed": t.validated.seed,
                    },
                    "deterministic_probability": None if t.deterministic_probability is None
                    else round(t.deterministic_probability, 6),
                    "reached": t.reached,
                    "best_reachable": None if t.reached or t.validated is None
                    else round(t.validated.probability, 6),
                    "binds": t.binds or None,
                    "bound": t.bound,
                }
                for t in self.targets
            ],
            "first_stage": {
                "lines": [{"line": ln.line, "built": ln.built, "online": ln.online}
                          for ln in self.plan.lines],
            },
            "price": {
                "deterministic_cost": _m(self.price.deterministic_cost),
                "cost": _m(self.price.cost),
                "difference": _m(self.price.difference),
                "by_kind": {k: _m(v) for k, v in self.price.by_kind.items()},
                "buys": list(self.price.buys),
                "text": self.price.text,
            },
            "seconds": self.seconds,
        }

    def part(self) -> ConfidencePart:
        """The `confidence` object alone, for a run (whose `plan` is the plan at P)."""
        return ConfidencePart(self)

    def to_json(self) -> dict[str, Any]:
        """The plan's keys (the plan at P) plus `confidence`; `short` includes the confidence."""
        out = self.plan.to_json()
        out["confidence"] = self.confidence_json()
        out["short"] = self.short
        return out


@dataclass(frozen=True)
class ConfidencePart:
    """A run's `confidence` stage result: the confidence object and whether a target misses it."""

    conf: ConfidencePlan

    @property
    def short(self) -> bool:
        """True when some target misses its confidence."""
        return any(not t.reached for t in self.conf.targets)

    def to_json(self) -> dict[str, Any]:
        """`ConfidencePlan.confidence_json()`."""
        return self.conf.confidence_json()
