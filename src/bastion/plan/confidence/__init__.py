"""The plan at a confidence level: sampled futures, chance constraints, validation by simulation."""

from bastion.plan.confidence.core import plan_at_confidence, requested_confidence, wants_confidence
from bastion.plan.confidence.result import ConfidencePlan, Price, TargetConfidence, Validated

__all__ = [
    "ConfidencePlan",
    "Price",
    "TargetConfidence",
    "Validated",
    "plan_at_confidence",
    "requested_confidence",
    "wants_confidence",
]
