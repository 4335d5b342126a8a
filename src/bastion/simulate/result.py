"""The simulation's result: frozen dataclasses and the JSON object of ARCHITECTURE.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.jsonfmt import quantity as _q


@dataclass(frozen=True)
class TargetRisk:
    """One target: probability of holding `units` at the end of `by`, and the stock there."""

    customer: str
    item: str
    by: str
    units: float
    probability: float
    stderr: float
    p10_units: float
    p50_units: float
    p90_units: float
    mean_units: float


@dataclass(frozen=True)
class FirstOutput:
    """Distribution of the first month a built line is online."""

    p10: str | None
    p50: str | None
    p90: str | None
    p_within_24_months: float
    stderr: float
    histogram: tuple[tuple[str, int], ...]  # month -> paths, months with any; "never" last
    never: int


@dataclass(frozen=True)
class Fan:
    """Stockpile quantiles of one (customer, item) by month (for fan charts)."""

    customer: str
    item: str
    months: tuple[str, ...]
    p10: tuple[float, ...]
    p50: tuple[float, ...]
    p90: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class PerPath:
    """Per-path rows kept for the economics engine (the first `len(cost)` paths).

    cost: total cost of each path (float64); met_month: (paths, targets) month
    index (from horizon.start) each target's stockpile first reached its units,
    -1 never (int16); first_output: month index of first output, n if none (int16).
    """

    cost: npt.NDArray[np.float64]
    met_month: npt.NDArray[np.int16]
    first_output: npt.NDArray[np.int16]


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """The Monte-Carlo result of playing the plan's policy over `paths` futures."""

    paths: int
    seed: int
    backend: str
    classification: str
    currency: str
    start: str
    months: int
    targets: tuple[TargetRisk, ...]
    first_output: FirstOutput
    expected_unmet: float
    expected_unmet_by_pile: tuple[tuple[str, str, float], ...]
    p_any_unmet: float
    expected_cost: dict[str, float]
    fans: tuple[Fan, ...]
    per_path: PerPath
    chunk: int
    workers: int
    seconds: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        """The simulate JSON object (ARCHITECTURE.md keys plus extras)."""
        fo = self.first_output
        return {
            "paths": self.paths,
            "seed": self.seed,
            "backend": self.backend,
            "classification": self.classification,
            "currency": self.currency,
            "first_output": {
                "p10": fo.p10,
                "p50": fo.p50,
                "p90": fo.p90,
                "p_within_24_months": fo.p_within_24_months,
                "stderr": fo.stderr,
                "histogram": {m: c for m, c in fo.histogram},
                "never": fo.never,
            },
            "targets": [
                {
                    "customer": t.customer,
                    "item": t.item,
                    "by": t.by,
                    "units": t.units,
                    "probability": t.probability,
                    "stderr": t.stderr,
                    "p10_units": _q(t.p10_units),
                    "p50_units": _q(t.p50_units),
                    "p90_units": _q(t.p90_units),
                    "mean_units": _q(t.mean_units),
                }
                for t in self.targets
            ],
            "expected_unmet_consumption": _q(self.expected_unmet),
            "expected_unmet_by_stockpile": [
                {"customer": c, "item": i, "units": _q(v)} for c, i, v in self.expected_unmet_by_pile
            ],
            "p_any_unmet_consumption": self.p_any_unmet,
            "expected_cost": {k: round(v, 2) + 0.0 for k, v in self.expected_cost.items()},
            "fan_charts": [
                {
                    "customer": f.customer,
                    "item": f.item,
                    "months": list(f.months),
                    "p10": [_q(v) for v in f.p10],
                    "p50": [_q(v) for v in f.p50],
                    "p90": [_q(v) for v in f.p90],
                }
                for f in self.fans
            ],
            "per_path_rows": len(self.per_path.cost),
            "chunk": self.chunk,
            "workers": self.workers,
            "seconds": self.seconds,
        }
