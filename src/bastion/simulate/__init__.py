"""Monte-Carlo risk engine: the plan's policy played over sampled futures (docs/method-simulate.md)."""

from bastion.simulate.adapter import NoPlanError, PlanArrays, plan_arrays
from bastion.simulate.engine import BackendError, prepare, simulate
from bastion.simulate.result import Fan, FirstOutput, PerPath, SimulationResult, TargetRisk

__all__ = [
    "BackendError",
    "Fan",
    "FirstOutput",
    "NoPlanError",
    "PerPath",
    "PlanArrays",
    "SimulationResult",
    "TargetRisk",
    "plan_arrays",
    "prepare",
    "simulate",
]
