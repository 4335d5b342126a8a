"""Time to survive, time to recover and lost units of one node, on the outage LP.

TTS is found by bisection on the outage length t: first on whole months, then
on hundredths of the month in which supply first fails (the partial month
loses that share of the node's deliveries or output, as in SCENARIO.md).
Losses are never increasing in t: the outage's feasible set only shrinks.
"""

from __future__ import annotations

from dataclasses import dataclass

from bastion.resilience.nodes import Node
from bastion.resilience.outage import OutageModel

RESOLUTION = 100  # TTS in hundredths of a month


@dataclass(frozen=True)
class NodeOutcome:
    """TTS (None: supply never stops within the analysed months), lost units at TTR."""

    node: Node
    tts: float | None
    lost: float
    solves: int


def tolerance(scale: float) -> float:
    """Units of extra loss below which supply counts as met (solver noise)."""
    return max(1e-4, 1e-8 * scale)


def analyse_node(om: OutageModel, node: Node, base: float, tol: float) -> NodeOutcome:
    """TTS by bisection, lost units over TTR; `base` is the plan's own loss."""
    solves = 0

    def loss(t: float) -> float:
        nonlocal solves
        solves += 1
        return max(0.0, om.loss(node, t) - base)

    lost = loss(node.ttr) if node.ttr > 0 else 0.0
    lost = lost if lost > tol else 0.0
    span = om.end - om.at
    if lost == 0.0 and node.ttr >= span:
        return NodeOutcome(node, None, 0.0, solves)
    if lost == 0.0 and loss(float(span)) <= tol:  # a loss at TTR already bounds TTS
        return NodeOutcome(node, None, lost, solves)
    lo, hi = 0, span  # whole months: lo survives, hi fails
    if node.ttr > 0:  # the TTR solve already splits the range
        k = int(node.ttr)
        if lost > 0:
            hi = min(hi, k + 1)
        else:
            lo = max(lo, k)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if loss(float(mid)) > tol:
            hi = mid
        else:
            lo = mid
    a, b = 0, RESOLUTION  # hundredths within month lo: a survives, b fails
    while b - a > 1:
        mid = (a + b) // 2
        if loss(lo + mid / RESOLUTION) > tol:
            b = mid
        else:
            a = mid
    return NodeOutcome(node, round(lo + a / RESOLUTION, 2), lost, solves)
