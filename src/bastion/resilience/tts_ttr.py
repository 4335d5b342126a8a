"""Time to survive, time to recover and lost units of one node, on the outage LP.

Two measures (SCENARIO.md, "Outputs' meanings"):
- horizon: what the outage adds to the plan's own losses from M to the end of
  the analysed months (a stock drawn down in the outage may be missed later);
- window: what the outage adds to the losses falling due inside [M, M + t).
TTS is the longest outage with no added loss, to the hundredth of a month
below, found on the hundredths of the outage length t by a secant guess
checked at two neighbouring hundredths, or bisection (`_search`); each
outage is exact in continuous time (split.py).
Added losses never decrease as t grows: the outage's feasible set only shrinks
(and, in the window sense, more demand falls inside the window).
"""

from __future__ import annotations

import math
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


def _guess(a: int, b: int, failing: list[tuple[float, float]]) -> int | None:
    """A guess of the last surviving hundredth from the two failing points nearest the
    root: a secant where the added loss grows (a stock running out at some rate), the
    hundredth before a whole month where it is flat (a target falling due then)."""
    pts = sorted(failing)[:2]
    if len(pts) < 2 or pts[1][0] <= pts[0][0]:
        return None
    (h1, v1), (h2, v2) = pts
    if v2 > v1 * (1.0 + 1e-6):
        g = math.floor(h1 - v1 * (h2 - h1) / (v2 - v1) + 1e-6)
    elif v2 >= v1 * (1.0 - 1e-6) and h1 - a <= 2 * RESOLUTION:  # flat near the survivor
        g = math.floor((h1 - 1e-6) / RESOLUTION) * RESOLUTION - 1
    else:
        return None
    return g if a <= g < b else None


def _search(value: Callable[[int], float], a: int, b: int,
            failing: list[tuple[float, float]], tol: float, jumps: tuple[int, ...] = ()) -> int:
    """The last surviving hundredth in [a, b): a survives, b fails; `failing`: points
    (hundredths, added loss) known to fail. A guess (`_guess`) is checked at its
    hundredth and the next; bisection otherwise. Either way the answer is proven by a
    surviving hundredth and the failing one after it. `jumps`: hundredths where the loss
    may jump (a target falling due inside the window): the hundredth before each is
    tried first, by bisection over them."""
    tries = 0
    inside = [j for j in sorted(set(jumps)) if a < j - 1 and j <= b]
    while inside:
        j = inside[len(inside) // 2]
        v = value(j - 1)
        if v > tol:
            b = j - 1
            failing.append((float(b), v))
        else:
            a = j - 1
            v = value(j)
            if v > tol:
                return a
            a = j
        inside = [i for i in inside if a < i - 1 and i <= b]
    while b - a > 1:
        guess = _guess(a, b, failing) if tries < 4 else None
        tries += guess is not None
        h = (a + b) // 2 if guess is None else guess
        if h > a:
            v = value(h)
            if v > tol:
                b = h
                failing.append((float(h), v))
                continue
            a = h
        if guess is not None and a + 1 < b:  # the guess survives: check the next hundredth
            v = value(a + 1)
            if v > tol:
                b = a + 1
                failing.append((float(a + 1), v))
            else:
                a += 1
    return a


def _measure(added: Callable[[float], Loss], ttr: float, span: int, tol: float,
             n_items: int, survives: float = 0.0, lost_none: bool = False,
             jumps: tuple[int, ...] = ()) -> Measure:
    """TTS (in hundredths, `_search`) and the loss over TTR, for one measure's added loss.

    survives: an outage length already known to add no loss; lost_none: the loss
    over TTR is already known to be 0 (both from the horizon measure, see below)."""
    if ttr > 0 and not lost_none:
        at_ttr = added(ttr)
        lost, units = (at_ttr.value, at_ttr.units) if at_ttr.value > tol else (0.0, np.zeros(n_items))
    else:
        lost, units = 0.0, np.zeros(n_items)
    a = round(survives * RESOLUTION)
    if lost > 0:  # the TTR solve fails: every longer outage fails too
        b = math.ceil(ttr * RESOLUTION - 1e-9)
        failing = [(ttr * RESOLUTION, lost)]
    else:
        if ttr >= span:
            return Measure(None, 0.0, units)
        at_span = added(float(span)).value
        if at_span <= tol:
            return Measure(None, 0.0, units)
        b = span * RESOLUTION
        failing = [(float(b), at_span)]
        if ttr > 0:
            a = max(a, math.floor(ttr * RESOLUTION + 1e-9))
    tts = _search(lambda h: added(h / RESOLUTION).value, a, b, failing, tol, jumps)
    return Measure(round(tts / RESOLUTION, 2), lost, units)


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
                ref = om.window_reference(t)
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
                      lost_none=no_base and horizon.lost == 0.0,
                      jumps=tuple((t.by + 1 - om.at) * RESOLUTION for t in om.ix.targets
                                  if om.at <= t.by < om.end))
    return NodeOutcome(node, horizon, window, solves)
