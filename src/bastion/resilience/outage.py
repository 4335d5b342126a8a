"""The outage LP: the plan's own model, its past fixed, one node down, lost units minimised.

Built once per analysis with the plan's builder (`build_index`, `build_model`)
over months 0 .. end-1, then loaded into one HiGHS instance. Every outage,
buffer and second-source question changes only bounds (and, for mitigation,
the objective) and re-solves, so each solve warm-starts from the last basis.

Added to the plan's model (all inert unless opened):
- "Resilience-buffer": extra stock per store pair at the start of M;
- "Resilience-second-capacity"/"-flow": a second source per store pair,
  delivering up to a constant capacity per month into the store from M on;
- "Resilience-loss": one row, unmet consumption from M on + shortfall of the
  targets due from M on, each unit weighted by its item's weight (weights.py).

An outage over [M, M + t) that ends inside a month splits the months it
reaches there (split.py), so times and losses are exact in continuous time.
Shipments on the way at M (orders placed before M) arrive; orders placed
while the node is down are not shipped until it is up again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from bastion.online import line_online_months
from bastion.plan.build import build_model
from bastion.plan.index import PlanIndex, build_index
from bastion.plan.model import INF, LinearModel
from bastion.plan.solve import SolveStatus
from bastion.resilience.lpsolver import WEIGHT_MAX, OutageSolver, power_of_two_above, quantity_unit
from bastion.resilience.nodes import Node
from bastion.resilience.split import SplitIndex
from bastion.resilience.state import FLOWS, PlanState, column_keys, windowed
from bastion.scenario.model import Scenario

IntArray = np.ndarray


class OutageError(RuntimeError):
    """An outage LP could not be solved (should not happen: losses are always allowed)."""


@dataclass(frozen=True)
class Effect:
    """Bound changes: columns and rows with their new bounds."""

    cols: IntArray
    col_lo: np.ndarray
    col_hi: np.ndarray
    rows: IntArray
    row_lo: np.ndarray
    row_hi: np.ndarray


def down_share(months: np.ndarray, at: int, t: float) -> np.ndarray:
    """Share of each month covered by an outage over [at, at + t) (0..1)."""
    return np.clip(at + t - months, 0.0, 1.0)


@dataclass(frozen=True)
class Loss:
    """One re-plan's weighted loss and the units lost per item (indexed as `ix.items`)."""

    value: float
    units: np.ndarray


class OutageModel:
    """The windowed plan model with the plan's past fixed; answers lost-units questions."""

    def __init__(self, scenario: Scenario, state: PlanState, at: int, end: int,
                 weights: dict[str, float],
                 extra_stock: dict[tuple[str, str], float] | None = None) -> None:
        self.at, self.end = at, end
        ix = build_index(windowed(scenario, end), line_online_months(scenario))
        model = build_model(ix)
        self.ix, self.model = ix, model
        self.weight = np.array([float(weights.get(i, 1.0)) for i in ix.items])
        # weights handed to HiGHS: divided by a power of two, at most WEIGHT_MAX (lpsolver.py)
        self.weight_unit = power_of_two_above(float(self.weight.max(initial=0.0)), WEIGHT_MAX)
        self._w = self.weight / self.weight_unit
        self._add_extras(ix, model, at)
        lo, hi, _integer, self.row_lo, self.row_hi = model.bounds()
        self._fix_past(ix, model, state, lo, hi)
        for (site, item), units in (extra_stock or {}).items():
            p = ix.store_pos.get((ix.sites.index(site), ix.items.index(item)))
            if p is None:
                raise ValueError(f"no store of {item} at {site} to hold a buffer")
            lo[self.buffer.start + p] = hi[self.buffer.start + p] = float(units)
        self.col_lo, self.col_hi = lo, hi
        model.col_lower, model.col_upper = [lo], [hi]
        model.col_integer = [np.zeros(model.n_col, dtype=bool)]
        self.unit = quantity_unit(model, lo, hi, self.row_lo, self.row_hi)
        self.solver = OutageSolver(model, self.unit)
        self._wsolver: OutageSolver | None = None
        self._window_ref: dict[float, Loss] = {}
        self.last_x: np.ndarray | None = None  # the last `loss` solve's plan (screen.py)
        self.loss_cost = np.zeros(model.n_col)
        self.loss_row = model.rows["Resilience-loss"].start
        self.loss_cost[self._loss_cols] = self._w[self._loss_item]
        self.solver.set_objective(self.loss_cost)
        self._index_effects(ix, model, state)
        self.split = SplitIndex(ix, model, self.row_lo, self.row_hi)
        self._settle_past()

    def _settle_past(self) -> None:
        """Fix the levels before M at their (unique) values and drop the rows left with
        fixed columns only: the past, settled, leaves the LP (faster re-solves)."""
        cols, vals = self._past_levels()
        self.col_lo[cols] = self.col_hi[cols] = vals
        self.solver.set_cols(cols, vals, vals)
        free = (self.col_lo < self.col_hi).astype(np.int64)
        sp = self.split
        per_row = np.add.reduceat(np.r_[free[sp.r_col], 0], np.minimum(sp.r_start[:-1], len(sp.r_col)))
        per_row[np.diff(sp.r_start) == 0] = 0
        self._settled = np.flatnonzero(per_row == 0)
        self.solver.drop_rows(self._settled)

    def _past_levels(self) -> tuple[IntArray, np.ndarray]:
        """Store and stockpile levels before M, from the fixed flows by their balance rows.

        Read, not solved: a plan solved to the solver's tolerance can leave a level at
        -1e-5, which a solve with its flows fixed would call infeasible; the level is then
        0 (it is clipped at 0 month by month)."""
        m, at = self.model, self.at
        start, index, value = m.matrix()
        col = np.repeat(np.arange(m.n_col), np.diff(start))
        cols, vals = [], []
        for rname, vname in (("Store-balance", "Store-level"), ("Stockpile-balance", "Stockpile-level")):
            rb, lv = m.rows[rname], m.vars[vname]
            if not lv.size or at <= 0:
                continue
            n_obj = int(lv.keys[next(k for k in lv.keys if k != "month")].max()) + 1
            in_rows = (index >= rb.start) & (index < rb.start + rb.size)
            other = in_rows & ((col < lv.start) | (col >= lv.start + lv.size))
            row_month = np.full(m.n_row, at)
            row_month[rb.start:rb.start + rb.size] = rb.keys["month"]
            early_row = in_rows & (row_month[index] < at)
            loose = early_row & other & (self.col_lo[col] < self.col_hi[col])
            if loose.any():
                raise OutageError(f"a flow before M is not fixed (column {int(col[loose][0])})")
            r = index[other] - rb.start
            flow = np.bincount(r, weights=value[other] * self.col_lo[col[other]], minlength=rb.size)
            obj = rb.keys[next(k for k in rb.keys if k != "month")]
            table = np.zeros((n_obj, self.ix.n))
            table[obj, rb.keys["month"]] = self.row_lo[rb.start:rb.start + rb.size] - flow
            level = np.zeros((n_obj, at))
            prev = np.zeros(n_obj)
            for mo in range(at):
                prev = level[:, mo] = np.maximum(0.0, prev + table[:, mo])
            early = lv.keys["month"] < at
            key_obj = lv.keys[next(k for k in lv.keys if k != "month")][early]
            cols.append(lv.index[early])
            vals.append(level[key_obj, lv.keys["month"][early]])
        if not cols:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(cols), np.concatenate(vals)

    # -- building -------------------------------------------------------------
    def _add_extras(self, ix: PlanIndex, m: LinearModel, at: int) -> None:
        n, p = ix.n, len(ix.store_pairs)
        bal = m.rows["Store-balance"].start
        pairs = np.arange(p, dtype=np.int64)
        self.buffer = m.add_vars("Resilience-buffer", 0.0, 0.0, {"pair": pairs})
        m.add_terms(bal + pairs * n + at, self.buffer.index, -1.0)
        self.second = m.add_vars("Resilience-second-capacity", 0.0, 0.0, {"pair": pairs})
        w = n - at
        fp, fm = np.repeat(pairs, w), np.tile(np.arange(at, n), p)
        flow = m.add_vars("Resilience-second-flow", 0.0, INF, {"pair": fp, "month": fm})
        rows = m.add_rows("Resilience-second", -INF, 0.0, {"pair": fp, "month": fm})
        m.add_terms(rows.index, flow.index, 1.0)
        m.add_terms(rows.index, self.second.start + fp, -1.0)
        m.add_terms(bal + fp * n + fm, flow.index, -1.0)
        un = m.vars["Consumption-unmet"]
        sh = m.vars["Target-shortfall"]
        due = np.array([k for k, t in enumerate(ix.targets) if at <= t.by < n], dtype=np.int64)
        sel = un.keys["month"] >= at
        self._loss_cols = np.concatenate([un.index[sel], sh.start + due])
        pile_item = ix.pile_pairs[:, 1] if len(ix.pile_pairs) else np.zeros(0, dtype=np.int64)
        self._loss_item = np.concatenate([
            pile_item[un.keys["pile"][sel]],
            np.array([ix.targets[k].item for k in due], dtype=np.int64)]).astype(np.int64)
        # the month a loss falls due in: unmet in its month, a target at the end of `by`
        self._loss_due = np.concatenate([un.keys["month"][sel].astype(float),
                                         np.array([ix.targets[k].by + 1.0 for k in due])])
        self._loss_is_unmet = np.r_[np.ones(int(sel.sum()), bool), np.zeros(len(due), bool)]
        loss = m.add_rows("Resilience-loss", -INF, INF, {"row": np.zeros(1, dtype=np.int64)})
        m.add_terms(np.full(len(self._loss_cols), loss.start), self._loss_cols,
                    self._w[self._loss_item])

    def _fix_past(self, ix: PlanIndex, m: LinearModel, state: PlanState, lo: np.ndarray,
                  hi: np.ndarray) -> None:
        for fam in FLOWS:
            b = m.vars[fam]
            vals = state.flows.get(fam, {})
            for k, key in enumerate(column_keys(ix, m, fam)):
                if int(key[-1]) < self.at:
                    lo[b.start + k] = hi[b.start + k] = vals.get(key, 0.0)
        y, z = m.vars["Line-build"], m.vars["Line-online"]
        for b, cumulative in ((y, False), (z, True)):
            for k, (li, mo) in enumerate(zip(b.keys["line"], b.keys["month"], strict=True)):
                k0 = state.online.get(ix.lines[int(li)].id)
                on = k0 is not None and (mo >= k0 if cumulative else mo == k0)
                lo[b.start + k] = hi[b.start + k] = 1.0 if on else 0.0

    def _index_effects(self, ix: PlanIndex, m: LinearModel, state: PlanState) -> None:
        n = ix.n
        # line capacity rows per line: (rows, months, plan capacity); output columns per line
        cap = m.rows["Line-capacity"]
        prod = m.vars["Line-production"]
        self._line_rows: dict[str, tuple[IntArray, IntArray, np.ndarray]] = {}
        self._line_cols: dict[str, tuple[IntArray, IntArray]] = {}
        for li, line in enumerate(ix.lines):
            sel = (cap.keys["line"] == li) & (cap.keys["month"] >= self.at)
            mo = cap.keys["month"][sel]
            k0 = state.online.get(line.id)
            eff = np.zeros(len(mo)) if k0 is None else line.capacity * line.share(mo, k0)
            self._line_rows[line.id] = (cap.index[sel], mo, eff)
            ps = (prod.keys["line"] == li) & (prod.keys["month"] >= self.at)
            self._line_cols[line.id] = (prod.index[ps], prod.keys["month"][ps])
        # supplier orders placed from M on: columns, order months, capacity rows (-1: uncapped)
        buy = m.vars["Supplier-order"]
        srow = m.rows["Supplier-capacity"]
        rowtab = np.full((max(1, len(ix.supplies)), n), -1, dtype=np.int64)
        rowtab[srow.keys["supply"], srow.keys["month"]] = srow.index
        self._orders: dict[str, list[tuple[IntArray, IntArray, IntArray]]] = {}
        for j, sup in enumerate(ix.supplies):
            sel = (buy.keys["supply"] == j) & (buy.keys["month"] >= self.at)
            cols, om = buy.index[sel], buy.keys["month"][sel]
            self._orders.setdefault(sup.supplier, []).append((cols, om, rowtab[j, om]))

    # -- outages --------------------------------------------------------------
    def effect(self, node: Node, t: float) -> Effect:
        """Bound changes for `node` down over [M, M + t) (see docs/method-resilience.md)."""
        cols: list[IntArray] = []
        clo: list[np.ndarray] = []
        chi: list[np.ndarray] = []
        rows: list[IntArray] = []
        rhi: list[np.ndarray] = []
        for sid in node.suppliers:
            for oc, om, orow in self._orders.get(sid, []):
                s = down_share(om, self.at, t)
                capped = (s > 0) & (orow >= 0)  # capacity left: the share of the month up
                if capped.any():
                    r, first = np.unique(orow[capped], return_index=True)
                    rows.append(r)
                    rhi.append((self.row_hi[orow[capped]] * (1.0 - s[capped]))[first])
                free = (s >= 1.0) & (orow < 0)  # uncapped: nothing in a month wholly down
                cols.append(oc[free])
                clo.append(np.zeros(int(free.sum())))
                chi.append(np.zeros(int(free.sum())))
        for lid in node.lines:
            r, mo, eff = self._line_rows.get(lid, (np.zeros(0, np.int64), np.zeros(0), np.zeros(0)))
            s = down_share(mo, self.at, t)
            hit = s > 0
            rows.append(r[hit])
            rhi.append(self.row_hi[r[hit]] - s[hit] * eff[hit])

        def cat(parts: list[np.ndarray], dtype: type = float) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)
        rr = cat(rows, np.int64)
        return Effect(cat(cols, np.int64), cat(clo), cat(chi), rr, self.row_lo[rr], cat(rhi))

    def _late_flows(self, node: Node | None, k: int) -> IntArray:
        """The node's flows of month k: they happen only after it is up (no A part)."""
        if node is None:
            return np.zeros(0, dtype=np.int64)
        out = [oc[om == k] for sid in node.suppliers for oc, om, _r in self._orders.get(sid, [])]
        for lid in node.lines:
            pc, pm = self._line_cols.get(lid, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
            out.append(pc[pm == k])
        return np.concatenate(out).astype(np.int64) if out else np.zeros(0, dtype=np.int64)

    def reach(self, node: Node | None) -> IntArray | None:
        """Items the node's late flows can reach: its own (supplied or made) and every item
        made from them, through the bom (None: every item)."""
        if node is None:
            return None
        ix = self.ix
        out: set[int] = {sup.item for sup in ix.supplies if sup.supplier in node.suppliers}
        out.update(i for ln in ix.lines if ln.id in node.lines for i in ln.makes)
        grew = True
        while grew:
            more = {made for made, comps in ix.bom.items() if made not in out
                    and any(c in out for c, _q in comps)}
            out |= more
            grew = bool(more)
        return np.array(sorted(out), dtype=np.int64)

    @contextmanager
    def down(self, node: Node | None, t: float, *, window: bool = False
             ) -> Iterator[tuple[np.ndarray, np.ndarray, OutageSolver]]:
        """`node` down over [M, M + t) (None: no outage, the split still made at t).

        Yields the objective's columns and their items (horizon or window losses)
        and the solver holding them, its objective set to their weighted sum; undone
        on exit. Window questions go to a second HiGHS instance, so that neither
        instance's basis is thrown off by the other's objective.
        """
        sv = self._window_solver() if window else self.solver
        e = self.effect(node, t) if node is not None and t > 0 else None
        whole = int(np.floor(t + 1e-9))
        s = t - whole
        k = self.at + whole
        add = None
        if s > 1e-9 and k < self.end:
            add = self.split.build(k, s, self._late_flows(node, k), sv.n_col,
                                   self.reach(node))
        if e is not None:
            self._apply(e, sv)
        cols, items = self._loss_cols, self._loss_item
        if window:
            inside = np.where(self._loss_is_unmet, self._loss_due < k,
                              self._loss_due <= self.at + t + 1e-9)
            cols, items = cols[inside], items[inside]
        extra_cols: list[int] = []
        extra_items: list[int] = []
        cost_new = np.zeros(0)
        if add is not None:
            cost_new = np.zeros(len(add.col_lo))
            if window:
                due_k = self._loss_is_unmet & (self._loss_due == k)
                for c, it in zip(self._loss_cols[due_k], self._loss_item[due_k], strict=True):
                    a = add.unmet_a.get(int(c))
                    if a is not None:
                        extra_cols.append(a)
                        extra_items.append(int(it))
                        cost_new[a - sv.n_col] = self._w[it]
            sv.push(add, cost_new)
        if window:
            cost = np.zeros(self.model.n_col)
            cost[cols] = self._w[items]
            sv.set_objective(np.concatenate([cost, cost_new]))
        try:
            yield (np.concatenate([cols, np.array(extra_cols, dtype=np.int64)]),
                   np.concatenate([items, np.array(extra_items, dtype=np.int64)]), sv)
        finally:
            if add is not None:
                sv.pop(add)
            if window:
                sv.set_objective(self.loss_cost)
            if e is not None:
                self._restore(e, sv)

    def _window_solver(self) -> OutageSolver:
        if self._wsolver is None:
            self._wsolver = OutageSolver(self.model, self.unit)
            self._wsolver.drop_rows(self._settled)
        return self._wsolver

    def _apply(self, e: Effect, sv: OutageSolver) -> None:
        sv.set_cols(e.cols, e.col_lo, e.col_hi)
        sv.set_rows(e.rows, e.row_lo, e.row_hi)

    def _restore(self, e: Effect, sv: OutageSolver) -> None:
        sv.set_cols(e.cols, self.col_lo[e.cols], self.col_hi[e.cols])
        sv.set_rows(e.rows, self.row_lo[e.rows], self.row_hi[e.rows])

    @staticmethod
    def _solve(sv: OutageSolver) -> tuple[float, np.ndarray]:
        out = sv.solve()
        if out.status is not SolveStatus.OPTIMAL or out.objective is None or out.x is None:
            raise OutageError(f"outage LP: {out.message}")
        return float(out.objective), out.x

    def loss(self, node: Node | None, t: float, *, window: bool = False) -> Loss:
        """Least weighted loss (and units per item) with `node` down for t months (None: no
        outage): from M on over the analysed months, or (window) what falls due in [M, M + t)."""
        with self.down(node, t, window=window) as (cols, items, sv):
            value, x = self._solve(sv)
            self.last_x = x
            units = np.zeros(len(self.ix.items))
            np.add.at(units, items, np.maximum(0.0, x[cols]))
            return Loss(value * self.weight_unit, units)

    def window_reference(self, t: float) -> Loss:
        """The plan's own loss falling due in [M, M + t) with no outage: `loss(None, t,
        window=True)`, solved once per t and shared by every node (it depends on t only)."""
        got = self._window_ref.get(t)
        if got is None:
            got = self._window_ref[t] = self.loss(None, t, window=True)
        return got

    @property
    def reference_solves(self) -> int:
        """LPs solved by `window_reference` so far."""
        return len(self._window_ref)

    def plan_loss(self) -> Loss:
        """Least loss from M on with no outage and no buffer: the plan's own losses."""
        cols = self.buffer.index
        zero = np.zeros(len(cols))
        self.solver.set_cols(cols, zero, zero)
        try:
            return self.loss(None, 0.0)
        finally:
            self.solver.set_cols(cols, self.col_lo[cols], self.col_hi[cols])

    def least_extra(self, node: Node, t: float, pairs: IntArray, allowed: float,
                    kind: str) -> np.ndarray | None:
        """Least buffer (kind "buffer": units at M) or second-source capacity ("second":
        units a month) per store pair in `pairs` keeping losses <= `allowed`; None if none does."""
        block = self.buffer if kind == "buffer" else self.second
        cols = block.start + np.asarray(pairs, dtype=np.int64)
        self.solver.set_cols(cols, self.col_lo[cols], np.full(len(cols), np.inf))
        self.solver.set_rows(np.array([self.loss_row]), np.array([-np.inf]),
                             np.array([allowed / self.weight_unit]))
        try:
            with self.down(node, t) as (_cols, _items, sv):
                cost = np.zeros(sv.n_col)  # units of different items: by weight
                cost[cols] = self._w[self.ix.store_pairs[np.asarray(pairs, dtype=np.int64), 1]]
                sv.set_objective(cost)
                try:
                    out = sv.solve()
                finally:
                    sv.set_objective(np.concatenate(
                        [self.loss_cost, np.zeros(sv.n_col - self.model.n_col)]))
                if out.status is not SolveStatus.OPTIMAL or out.x is None:
                    return None
                return np.asarray(out.x[cols] - self.col_lo[cols])
        finally:
            self.solver.set_rows(np.array([self.loss_row]), np.array([-np.inf]),
                                 np.array([np.inf]))
            self.solver.set_cols(cols, self.col_lo[cols], self.col_hi[cols])
