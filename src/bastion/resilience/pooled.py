"""Resilience's plan on the pooled model (plan/pool.py): what `preplan.py` needs from it.

At scale the plan is solved pooled: suppliers of one item with one lead time and one price
form a tier, and a "Supplier-route" column per (item, lead) group, site and month carries
the orders into the site's store `lead` months later. The state rule's stage ("most stock
at M", preplan.py) is then solved on the pooled model as well: an order on the way at M is
a route column placed before M arriving from M on, exactly as an order column is in the
original model. The chosen plan is split back to each supplier and site by the pool's
capacity shares (`Pooling.expand`: same arrivals, same value), which gives the per-supplier
flows the state (state.py) keeps. Shipments on the way at M arrive whichever supplier of the
tier they are assigned to, so the outage model sees the same pipeline either way.
"""

from __future__ import annotations

import numpy as np

from bastion.online import line_online_months
from bastion.plan import pool
from bastion.plan.index import PlanIndex, build_index
from bastion.plan.lexico import _face
from bastion.plan.model import LinearModel
from bastion.plan.pool import order_columns, tiers_of
from bastion.plan.variant import Solved
from bastion.scenario.model import Scenario


def routes_on_the_way(ix: PlanIndex, model: LinearModel, at: int) -> np.ndarray:
    """Pooled model: the route columns placed before `at` that arrive from `at` on."""
    if "Supplier-route" not in model.vars:
        return np.zeros(0, dtype=np.int64)
    route = model.vars["Supplier-route"]
    if not route.size:
        return np.zeros(0, dtype=np.int64)
    lead = tiers_of(ix).group_lead[route.keys["group"]]
    m = route.keys["month"]
    out: np.ndarray = route.index[(m < at) & (m + lead >= at)]
    return out


def built_online(solved: Solved) -> dict[str, int]:
    """Line id -> online month of every built line of a solved plan (as `PlanState` has it)."""
    assert solved.sol is not None
    ix = solved.ix
    online = {ln.id: ln.online for ln in ix.lines if not ln.optional}
    online.update({ix.lines[li].id: k for li, k in solved.sol.built.items()})
    return online


def at_scale(scenario: Scenario) -> bool:
    """Whether the plan of `scenario` is solved pooled (plan/pool.py: POOL_MIN_ORDERS)."""
    ix = build_index(scenario, line_online_months(scenario))
    return order_columns(ix) >= pool.POOL_MIN_ORDERS


def hold_cost_face(solved: Solved, x: np.ndarray) -> bool:
    """A large pure LP (solved by IPM, as the pooled plan at scale is): restrict the solver to
    the cost stage's optimal face, as the plan's tie-break does (lexico._face: complementary
    slackness; every cost-optimal plan lies on it, so the most stock among them is unchanged,
    and the LP left is far smaller). Returns whether it fixed anything (then `solver.release()`).

    No earlier restriction is lost by that release: the faces a pure LP's level stages held
    (plan/narrow.py's stages record them in `run.face`) are released by the plan itself
    after its cost stage (lexico.run_lexicographic), and the tie-break's after it; only
    an "LP first" MIP keeps its levels' faces, and a MIP is never solved by IPM. The cost
    stage's duals are the full LP's also when it was solved over a subset of the price tiers
    (narrow.solve_subsets ends only when every column left out prices non-negative)."""
    run, solver = solved.run, solved.run.solver
    cost = run.stages[-1][1] if run.stages and run.stages[-1][0] == "cost" else None
    if solver.lp_method() != "ipm" or cost is None or cost.col_dual is None:
        return False
    cols, cvals, rows, rvals = _face(solver, cost, x)
    if not len(cols) and not len(rows):
        return False
    solver.restrict(cols, cvals, rows, rvals)
    return True
