"""The plan whose state at M is analysed: a rule that does not depend on solver ties.

The plan's lexicographic solve (each priority level's shortfall held, then
cost) often has many optimal plans: with no holding cost, buying a month
earlier or later costs the same. The state at the start of M (stores,
pipelines, stockpiles) must not depend on which one the solver returns, so
one more stage is solved on the same model: the build decisions fixed at
the plan's, every level held, cost held at its optimum (within
COST_HOLD_REL of it), and the units held at the start of M maximised:

    stock at M = store levels + stockpile levels at the end of M - 1
               + units on the way at M (orders placed before M arriving
                 from M on, output made before M accepted from M on,
                 deliveries sent before M arriving from M on).

Units of different items are added here only to choose among plans of the
same cost (a tie-break, never a reported figure). A holding cost too small
to matter (below COST_HOLD_REL of the cost) leaves the same state as none.
When M is month 0 the state is the scenario's initial state. The cost row is
handed to HiGHS divided by a power of two when its largest coefficient is
above WEIGHT_MAX (exact; a price of 1e15 otherwise stops the solve). When the stage
cannot be solved to optimality (e.g. an item free and unlimited, so that
stock at M is unbounded) the plan's own solution is kept, and `rule` says so.

The total held is not the spread: the same total can sit in other stores, items or
arrival months. So the total is then held and every quantity the outage LP reads
from the plan is settled by lexicographic stages (tiebreak.py).

The stage is solved with the primal simplex from the plan's last basis: the
plan's solution meets the cost row, so that basis stays primal feasible and
only the objective changed (the dual simplex from it needed 40x the
iterations on 60 generated months and did not finish on 240; see
benchmarks/RESULTS-resilience.md). When that warm solve stops without an
answer (HiGHS status "Unknown", a numerical stop: it happened on the
generated 48-month scenario, benchmarks/generate.py, costs up to 2.6e7),
the stage is solved once more from scratch (presolve on), as the outage
LP's solves are (lpsolver.py), before the plan's own solution is kept.
"""

from __future__ import annotations

import numpy as np

from bastion.plan.index import PlanIndex
from bastion.plan.model import LinearModel
from bastion.plan.optimise import Solved
from bastion.plan.solve import SolveOutcome, SolveStatus
from bastion.resilience.face import face_lp
from bastion.resilience.lpsolver import WEIGHT_MAX, power_of_two_above
from bastion.resilience.pooled import hold_cost_face, routes_on_the_way
from bastion.resilience.tiebreak import HOLD_ABS, settle_on_face, settle_ties, state_terms, use_terms

COST_HOLD_REL = 1e-6
RULE_MOST_STOCK = ("cost-optimal plan holding the most units at the start of M, "
                   "ties settled store by store, month by month")
RULE_TIES_OPEN = ("cost-optimal plan holding the most units at the start of M "
                  "(ties as solved: a tie-break stage not solvable)")
USE_MONTHS = 12  # a buffer's months of cover: of the plan's average use over these months after M
RULE_POOLED = ("cost-optimal plan holding the most units at the start of M "
               "(pooled plan at scale: ties across stores as solved)")
RULE_AS_SOLVED = "the plan as solved (most-stock stage not solvable)"


def stock_at_vector(ix: PlanIndex, model: LinearModel, at: int) -> np.ndarray:
    """Coefficients of 'units held at the start of month `at`' (stores, piles, pipelines)."""
    c = np.zeros(model.n_col)
    if at <= 0:
        return c
    for fam in ("Store-level", "Stockpile-level"):
        b = model.vars[fam]
        c[b.index[b.keys["month"] == at - 1]] = 1.0
    buy = model.vars["Supplier-order"]
    if buy.size:
        lead = np.array([s.lead for s in ix.supplies])[buy.keys["supply"]]
        m = buy.keys["month"]
        c[buy.index[(m < at) & (m + lead >= at)]] = 1.0
    c[routes_on_the_way(ix, model, at)] = 1.0  # the pooled model's orders (pooled.py)
    prod = model.vars["Line-production"]
    if prod.size:
        acc = np.array([ln.acceptance for ln in ix.lines])[prod.keys["line"]]
        m = prod.keys["month"]
        c[prod.index[(m < at) & (m + acc >= at)]] = 1.0
    dl = model.vars["Customer-delivery"]
    if dl.size:
        d = ix.delivery[ix.pile_pairs[dl.keys["pile"], 0]]
        m = dl.keys["month"]
        c[dl.index[(m < at) & (m + d >= at)]] = 1.0
    return c


def most_stock_at(solved: Solved, at: int) -> tuple[np.ndarray, str]:
    """The plan's solution re-chosen by the rule above (in the plan model's columns, a pooled
    solve split back to suppliers: pooled.py), and the rule applied."""
    x = solved.run.x
    assert x is not None
    # a pooled plan (plan/pool.py) is solved in the pooled model and split back to suppliers
    back = solved.pool.expand if solved.pool is not None else (lambda v: v)
    if at <= 0:
        return back(x), "initial state (M is month 0)"
    solver, model = solved.run.solver, solved.lp
    ints = solver.integer_cols
    if len(ints):
        solver.fix_cols(ints, np.round(x[ints]))
    cost = model.cost_vector("cost")
    c0 = float(cost @ x)
    nz = np.flatnonzero(cost)
    # the row in money / c (c: a power of two, lpsolver.py): prices up to 1e15 stay solvable
    c = power_of_two_above(float(np.abs(cost[nz]).max(initial=0.0)), WEIGHT_MAX)
    solver.add_row(nz, cost[nz] / c, -np.inf, (c0 + COST_HOLD_REL * max(1.0, abs(c0))) / c)
    solver.set_objective(-stock_at_vector(solved.ix, model, at))
    # the plan stays feasible: primal simplex, warm; a large pure LP (the pooled plan at
    # scale): on the cost stage's optimal face, by the interior point method (pooled.py)
    face = hold_cost_face(solved, x)
    try:
        out = solver.solve(method=solver.lp_method("primal"))
    finally:
        if face:
            solver.release()
    if out.status is SolveStatus.ERROR:  # a numerical stop from the plan's basis: from scratch
        solver.clear_start()
        out = solver.solve()
    if out.status is not SolveStatus.OPTIMAL or out.x is None:
        return back(x), RULE_AS_SOLVED
    if solved.pool is not None:  # the pooled plan at scale: most stock, ties as solved (docs)
        return back(out.x), RULE_POOLED
    return _settled(solved, at, out)


def _settled(solved: Solved, at: int, stage: SolveOutcome) -> tuple[np.ndarray, str]:
    """The most stock held, then every state quantity and use settled (tiebreak.py), on the
    most-stock stage's optimal face (face.py; on the full LP if that fails)."""
    ix, model, solver = solved.ix, solved.model, solved.run.solver
    x = stage.x
    assert x is not None
    stock = stock_at_vector(ix, model, at)
    nz = np.flatnonzero(stock)
    s0 = float(stock @ x)
    solver.add_row(nz, stock[nz], s0 - max(HOLD_ABS, COST_HOLD_REL * abs(s0)), np.inf)
    try:
        terms = state_terms(ix, model, at) + use_terms(ix, model, at, max(1, min(USE_MONTHS, ix.n - at)))
    except ValueError:
        return x, RULE_TIES_OPEN
    face = face_lp(solver, stage)
    if face is not None:
        try:
            return settle_on_face(face, terms)[0], RULE_MOST_STOCK
        except ValueError:
            pass  # a stage of the face LP stopped: the full LP's stages below
    try:
        settled, _solves = settle_ties(solver, terms, x)
    except ValueError:
        return x, RULE_TIES_OPEN
    return settled, RULE_MOST_STOCK
