"""Every node through the outage LP: on the plan's own model, or at scale the screen first.

Plain route (every usual scenario): one outage model of the plan's model, every node
analysed on it (tts_ttr.py). Screened route (`screen=True`; by default when the plan is
solved pooled, plan/pool.py): the suppliers are merged per item and lead time in a first
outage model, which answers the lines, sites and risk groups without suppliers and proves
most suppliers safe (screen.py); the suppliers left, and those of risk groups, keep their
own supplies in a second model (the others merged) and are analysed on it. Merging is
exact for the outage LP (it holds no price), so every figure is the plain route's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from bastion.plan.optimise import Step
from bastion.resilience.nodes import Node, list_nodes
from bastion.resilience.outage import Loss, OutageError, OutageModel
from bastion.resilience.screen import merge_state, merge_suppliers, screen_suppliers
from bastion.resilience.state import PlanState
from bastion.resilience.tts_ttr import Measure, NodeOutcome, analyse_node, tolerance
from bastion.scenario.model import Scenario


@dataclass(frozen=True)
class NodeRun:
    """One node's outcome and the outage model (and its plan loss) it was analysed on."""

    outcome: NodeOutcome
    om: OutageModel
    base: Loss


@dataclass(frozen=True)
class Runs:
    """Every node's run; the main outage model, its plan loss and tolerance; LPs solved
    besides the nodes' own (plan losses, shared references, the screen's)."""

    runs: tuple[NodeRun, ...]
    om: OutageModel
    base: Loss
    tol: float
    solves: int
    screened: int  # supplier nodes answered by the screen (no LP of their own)
    model_seconds: float  # building the outage models, their plan losses and the screen


def _model(scenario: Scenario, state: PlanState, at: int, end: int, weights: dict[str, float],
           extra_stock: dict[tuple[str, str], float] | None) -> tuple[OutageModel, Loss, float]:
    om = OutageModel(scenario, state, at, end, weights, extra_stock)
    try:
        base = om.plan_loss()
    except OutageError as exc:
        raise OutageError(f"the plan with no outage: {exc}") from exc
    ix = om.ix
    due = ix.consumption[:, at:].sum(axis=1)
    w_pile = om.weight[ix.pile_pairs[:, 1]] if len(ix.pile_pairs) else np.zeros(0)
    scale = float((due * w_pile).sum()) + sum(t.units * om.weight[t.item] for t in ix.targets
                                              if t.by >= at)
    return om, base, tolerance(scale)


def _analyse(om: OutageModel, base: Loss, tol: float, node: Node, k: int, total: int,
             progress: Step | None) -> NodeRun:
    if progress is not None:
        progress(f"time to survive {k + 1}/{total}: {node.id}")
    try:
        return NodeRun(analyse_node(om, node, base, tol), om, base)
    except OutageError as exc:  # say which node (docs/method-resilience.md, numbers)
        raise OutageError(f"{node.kind} {node.id}: {exc}") from exc


def run_nodes(scenario: Scenario, state: PlanState, at: int, end: int, weights: dict[str, float],
              extra_stock: dict[tuple[str, str], float] | None, *, screen: bool,
              progress: Step | None = None) -> Runs:
    """Both measures of every node (list_nodes' order), by the plain or the screened route."""
    nodes = list_nodes(scenario)
    t0 = time.perf_counter()
    if not screen:
        om, base, tol = _model(scenario, state, at, end, weights, extra_stock)
        secs = time.perf_counter() - t0
        plain = tuple(_analyse(om, base, tol, nd, k, len(nodes), progress)
                      for k, nd in enumerate(nodes))
        return Runs(plain, om, base, tol, om.reference_solves + 1, 0, secs)
    if progress is not None:
        progress("screening suppliers (merged outage model)")
    om1, base1, tol = _model(merge_suppliers(scenario, set()), merge_state(scenario, state, set()),
                             at, end, weights, extra_stock)
    sups = [nd for nd in nodes if nd.kind == "supplier"]
    safe, screen_solves = screen_suppliers(scenario, om1, base1, sups, tol)
    own = [nd for nd in nodes if nd.suppliers and not (nd.kind == "supplier" and nd.id in safe)]
    keep = {s for nd in own for s in nd.suppliers}
    second: tuple[OutageModel, Loss, float] | None = None
    if own:
        second = _model(merge_suppliers(scenario, keep), merge_state(scenario, state, keep),
                        at, end, weights, extra_stock)
    secs = time.perf_counter() - t0
    n_items = len(om1.ix.items)
    runs: list[NodeRun] = []
    for k, nd in enumerate(nodes):
        if nd.kind == "supplier" and nd.id in safe:
            none = Measure(None, 0.0, np.zeros(n_items))
            runs.append(NodeRun(NodeOutcome(nd, none, none, 0), om1, base1))
        elif nd.suppliers:
            assert second is not None
            runs.append(_analyse(second[0], second[1], tol, nd, k, len(nodes), progress))
        else:
            runs.append(_analyse(om1, base1, tol, nd, k, len(nodes), progress))
    solves = 1 + om1.reference_solves + screen_solves
    if second is not None:
        solves += 1 + second[0].reference_solves
    return Runs(tuple(runs), om1, base1, tol, solves, len(safe), secs)
