"""Time to survive, time to recover and lost units of one node, on the outage LP.

Two measures (SCENARIO.md, "Outputs' meanings"):
- horizon: what the outage adds to the plan's own losses from M to the end of
  the analysed months (a stock drawn down in the outage may be missed later);
- window: what the outage adds to the losses falling due inside [M, M + t).
TTS is the longest outage with no added loss, found by bisection on the
outage length t: first on whole months, then on hundredths of the month in
which supply first fails; each outage is exact in continuous time (split.py).
Added losses never decrease as t grows: the outage's feasible set only shrinks
(and, in the window sense, more demand falls inside the window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bastion.resilience.nodes import Node
from bastion.resilience.outage import Loss, OutageModel

RESOLUTION = 100  # TTS in hundredths of a month


@dataclass(frozen=True)
class Measure:
    """TTS (None: the node's loss never causes one within the analysed months) and the
    weighted loss and units lost per item over TTR."""

    tts: float | None
    lost: float
    units: np.ndarray


@dataclass(frozen=True)
class NodeOutcome:
    """Both measures of one node."""

    node: Node
    horizon: Measure
    window: Measure
    solves: int


def tolerance(scale: float) -> float:
    """Weighted loss below which supply counts as met (solver noise)."""
    return max(1e-4, 1e-8 * scale)


def _measure(added: Callable[[float], Loss], ttr: float, span: int, tol: float,
             n_items: int, survives: float = 0.0, lost_none: bool = False) -> Measure:
    """TTS by bisection and the loss over TTR, for one measure's added-loss function.

    survives: an outage length already known to add no loss; lost_none: the loss
    over TTR is already known to be 0 (both from the horizon measure, see below)."""
    def fails(t: float) -> bool:
        return added(t).value > tol

    if ttr > 0 and not lost_none:
        at_ttr = added(ttr)
        lost, units = (at_ttr.value, at_ttr.units) if at_ttr.value > tol else (0.0, np.zeros(n_items))
    else:
        lost, units = 0.0, np.zeros(n_items)
    if lost == 0.0 and (ttr >= span or not fails(float(span))):
        return Measure(None, 0.0, units)
    lo, hi = int(survives), span  # whole months: lo survives, hi fails
    if ttr > 0:  # the TTR solve already splits the range
        k = int(ttr)
        if lost > 0:
            hi = min(hi, k + 1)
        else:
            lo = max(lo, k)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fails(float(mid)):
            hi = mid
        else:
            lo = mid
    a = max(0, round((survives - lo) * RESOLUTION)) if survives >= lo else 0
    b = RESOLUTION  # hundredths within month lo: a survives, b fails
    while b - a > 1:
        mid = (a + b) // 2
        if fails(lo + mid / RESOLUTION):
            b = mid
        else:
            a = mid
    return Measure(round(lo + a / RESOLUTION, 2), lost, units)


def analyse_node(om: OutageModel, node: Node, base: Loss, tol: float) -> NodeOutcome:
    """Both measures of `node`; `base` is the plan's own loss from M on (no outage)."""
    solves = 0
    n_items = len(om.ix.items)
    no_base = base.value <= tol  # then no loss in any window either

    def added(window: bool) -> Callable[[float], Loss]:
        def f(t: float) -> Loss:
            nonlocal solves
            solves += 1
            out = om.loss(node, t, window=window)
            if window and no_base:
                ref = Loss(0.0, np.zeros(n_items))
            elif window:
                solves += 1
                ref = om.loss(None, t, window=True)
            else:
                ref = base
            return Loss(max(0.0, out.value - ref.value), np.maximum(0.0, out.units - ref.units))
        return f

    span = om.end - om.at
    horizon = _measure(added(False), node.ttr, span, tol, n_items)
    if no_base and horizon.tts is None:  # no loss at all: none inside any window either
        return NodeOutcome(node, horizon, Measure(None, 0.0, np.zeros(n_items)), solves)
    # with no loss in the plan, a window's least loss is at most the horizon's (the
    # horizon's re-plan is one candidate): the window TTS is at least the horizon's
    window = _measure(added(True), node.ttr, span, tol, n_items,
                      survives=horizon.tts if no_base and horizon.tts is not None else 0.0,
                      lost_none=no_base and horizon.lost == 0.0)
    return NodeOutcome(node, horizon, window, solves)
