"""The state at M made unique: lexicographic stages over every quantity the outage LP reads.

After the most-stock stage (preplan.py) the plan's cost and its total stock at
M are held, but how that stock is spread over stores, stockpiles, items and
arrival months may still be the solver's choice. The outage LP (outage.py)
fixes every flow before M and re-plans from M on, so it reads the plan's past
only through the past's contribution to the rows of the months from M: for
each store (site, item) and month a >= M, the units the past leaves there
(the level at the end of M - 1 when a = M, plus what orders placed, output
made and deliveries sent before M bring in month a), and the same for each
stockpile (customer, item). These are the **state quantities** (`state_terms`).
The mitigation's months of cover read one more thing: each store's use over
the months from M (`use_terms`, mitigation.py `monthly_use`).

The rule: take the quantities in a fixed order (state first, by month, then
store before stockpile, then site or customer id, then item id; then the
uses, by site and item id) and, one after another, maximise each with
everything before held (within max(HOLD_ABS, HOLD_REL x its optimum)). The last stage
leaves each quantity a single value whatever vertex the solver returns, and
the order depends on ids only, never on the order of the file. A quantity
whose columns are all at a bound on the current optimal face (non-zero
reduced cost) already has a single value: its stage is skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bastion.plan.index import PlanIndex
from bastion.plan.model import LinearModel
from bastion.plan.solve import HighsSolver, SolveStatus
from bastion.resilience.face import FaceLP, unscaled
from bastion.resilience.state import FLOWS

HOLD_REL = 1e-9  # a stage's optimum is held within max(HOLD_ABS, HOLD_REL x |value|)
HOLD_ABS = 1e-6
LOOSEN = 100.0  # the holds after a stage found infeasible (settle_ties)
REDUCED_COST_TOL = 1e-7  # a column with a reduced cost above this is at its bound on the face
Key = tuple[int, int, str, str]


@dataclass(frozen=True)
class Term:
    """One quantity: its name key (for the order) and its linear form over the plan's columns."""

    key: Key
    cols: np.ndarray
    coefs: np.ndarray
    offset: float = 0.0  # the share of columns left out of the LP (fixed on the face: face.py)


def _columns(model: LinearModel, at: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the columns fixed in the outage LP (flows and levels before M) and of those it
    re-plans (flows and levels from M on, shortfalls of targets due from M on)."""
    past = np.zeros(model.n_col, dtype=bool)
    future = np.zeros(model.n_col, dtype=bool)
    for fam in (*FLOWS, "Store-level", "Stockpile-level"):
        b = model.vars[fam]
        early = b.keys["month"] < at
        past[b.index[early]] = True
        future[b.index[~early]] = True
    return past, future


def state_terms(ix: PlanIndex, model: LinearModel, at: int) -> list[Term]:
    """The units the past leaves in each store and stockpile row of the months from M."""
    past, future = _columns(model, at)
    sh = model.vars["Target-shortfall"]
    due = np.array([ix.targets[int(k)].by >= at for k in sh.keys["target"]], dtype=bool)
    future[sh.index[due]] = True
    start, index, value = model.matrix()
    col = np.repeat(np.arange(model.n_col), np.diff(start))
    live = np.zeros(model.n_row, dtype=bool)
    live[index[future[col]]] = True
    sel = past[col] & live[index]
    rows, cols, vals = index[sel], col[sel], value[sel]
    order = np.argsort(rows, kind="stable")
    rows, cols, vals = rows[order], cols[order], vals[order]
    names = _row_names(ix, model)
    out = []
    for r in np.unique(rows):
        lo, hi = np.searchsorted(rows, [r, r + 1])
        key = names.get(int(r))
        if key is None:
            raise ValueError(f"the past reaches row {int(r)} of the months from M: not a balance row")
        out.append(Term(key, cols[lo:hi], -vals[lo:hi]))  # arrivals and levels enter with -1
    return sorted(out, key=lambda t: t.key)


def _row_names(ix: PlanIndex, model: LinearModel) -> dict[int, Key]:
    """Balance rows by (month, 0 store / 1 stockpile, site or customer id, item id)."""
    names: dict[int, Key] = {}
    st = model.rows["Store-balance"]
    for k, (p, m) in enumerate(zip(st.keys["pair"], st.keys["month"], strict=True)):
        s, i = (int(v) for v in ix.store_pairs[int(p)])
        names[st.start + k] = (int(m), 0, ix.sites[s], ix.items[i])
    sp = model.rows["Stockpile-balance"]
    for k, (q, m) in enumerate(zip(sp.keys["pile"], sp.keys["month"], strict=True)):
        c, i = (int(v) for v in ix.pile_pairs[int(q)])
        names[sp.start + k] = (int(m), 1, ix.customers[c], ix.items[i])
    return names


def use_terms(ix: PlanIndex, model: LinearModel, at: int, months: int) -> list[Term]:
    """Each store's use (components used by its site's lines, deliveries sent from it) over
    months at .. at + months - 1, as mitigation.py's `monthly_use` reads it."""
    start, index, value = model.matrix()
    col = np.repeat(np.arange(model.n_col), np.diff(start))
    out_col = np.zeros(model.n_col, dtype=bool)
    for fam in ("Line-production", "Customer-delivery"):
        b = model.vars[fam]
        m = b.keys["month"]
        out_col[b.index[(m >= at) & (m < at + months)]] = True
    st = model.rows["Store-balance"]
    in_st = (index >= st.start) & (index < st.start + st.size)
    sel = in_st & out_col[col] & (value > 0)
    rows, cols, vals = index[sel], col[sel], value[sel]
    pair = st.keys["pair"][rows - st.start]
    out = []
    for p in np.unique(pair):
        s, i = (int(v) for v in ix.store_pairs[int(p)])
        m = pair == p
        out.append(Term((1 << 30, 0, ix.sites[s], ix.items[i]), cols[m], vals[m]))
    return sorted(out, key=lambda t: t.key)


def _hold(v: float, loose: float) -> float:
    """The lower bound holding a stage's optimum v."""
    return v - loose * max(HOLD_ABS, HOLD_REL * abs(v))


def settle_ties(solver: HighsSolver, terms: list[Term], x: np.ndarray, *,
                rows: list[int] | None = None, retry: Callable[[], None] | None = None
                ) -> tuple[np.ndarray, int]:
    """Maximise each term in turn, holding those before; returns the solution and the number
    of LPs solved. Raises ValueError when a stage has no optimum (the caller keeps its plan).

    rows: a row of the solver per term, its linear form, free until its stage holds it (the
    LP's matrix never changes, so each warm solve keeps the last factorisation); else each
    hold is added as a new row. A stage found infeasible (a solution within the solver's
    tolerance can overstate an optimum by about 1e-5 units, more than the hold allows) is
    solved once more with every hold loosened LOOSEN times, from scratch (`retry` called
    first)."""
    fixed = np.zeros(solver.n_col, dtype=bool)
    solves = 0
    held: list[tuple[int, float, float]] = []
    loose = 1.0
    for k, term in enumerate(terms):
        if fixed[term.cols].all():
            continue
        cost = np.zeros(solver.n_col)
        np.add.at(cost, term.cols, -term.coefs)
        solver.set_objective(cost)
        out = solver.solve(method="primal")
        if out.status is not SolveStatus.OPTIMAL or out.x is None:  # a numerical stop
            if loose == 1.0:
                loose = LOOSEN
                for row, v, off in held:
                    solver.set_row_bounds(row, _hold(v, loose) - off, np.inf)
            if retry is not None:
                retry()
            solver.clear_start()
            out = solver.solve()
        solves += 1
        if out.status is not SolveStatus.OPTIMAL or out.x is None:
            raise ValueError(f"tie-break stage {term.key}: {out.message}")
        x = out.x
        v = float(term.coefs @ x[term.cols]) + term.offset
        if rows is None:
            row = solver.add_row(term.cols, term.coefs, _hold(v, loose) - term.offset, np.inf)
        else:
            row = rows[k]
            solver.set_row_bounds(row, _hold(v, loose) - term.offset, np.inf)
        held.append((row, v, term.offset))
        if out.col_dual is not None:
            fixed |= np.abs(out.col_dual[:solver.n_col]) > REDUCED_COST_TOL
    return x, solves


def settle_on_face(face: FaceLP, terms: list[Term]) -> tuple[np.ndarray, int]:
    """`settle_ties` on the most-stock stage's optimal face (face.py), a plan of the full LP
    returned. A term with every column fixed on the face has one value already: no stage.
    Each term's hold row is in the face LP from the start, free until its stage (the matrix
    never changes), and the warm solves run unscaled (`face.unscaled`): each then costs a few
    simplex iterations, not a new factorisation and scaling of the whole LP."""
    pos = np.full(len(face.x), -1, dtype=np.int64)
    pos[face.cols] = np.arange(len(face.cols))
    local = []
    for t in terms:
        p = pos[t.cols]
        free = p >= 0
        if free.any():
            off = float(t.coefs[~free] @ face.x[t.cols[~free]]) + t.offset
            local.append(Term(t.key, p[free], t.coefs[free], off))
    if not local:
        return face.x, 0
    model = copy.deepcopy(face.model)
    first = model.n_row
    model.add_rows("hold", -np.inf, np.inf, {"term": np.arange(len(local))})
    for k, t in enumerate(local):
        model.add_terms(np.full(len(t.cols), first + k), t.cols, t.coefs)
    solver = HighsSolver(model)
    scaled_again = unscaled(solver)
    xr, solves = settle_ties(solver, local, face.x[face.cols], rows=list(range(first, first + len(local))),
                             retry=scaled_again)
    return face.full(xr), solves
