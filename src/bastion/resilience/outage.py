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
  targets due from M on (units, unweighted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bastion.online import line_online_months
from bastion.plan.build import build_model
from bastion.plan.index import PlanIndex, build_index
from bastion.plan.model import INF, LinearModel
from bastion.plan.solve import HighsSolver, SolveStatus
from bastion.resilience.nodes import Node
from bastion.resilience.state import FLOWS, PlanState, column_keys, windowed
from bastion.scenario.model import Scenario

IntArray = np.ndarray


class OutageError(RuntimeError):
    """An outage LP could not be solved (should not happen: losses are always allowed)."""


class _Solver(HighsSolver):
    """The plan's HiGHS adapter with bulk bound changes (the plan's keeps one row at a time)."""

    def set_cols(self, cols: IntArray, lo: np.ndarray, hi: np.ndarray) -> None:
        if len(cols):
            self._h.changeColsBounds(len(cols), np.asarray(cols, dtype=np.int32),
                                     np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))

    def set_rows(self, rows: IntArray, lo: np.ndarray, hi: np.ndarray) -> None:
        if len(rows):
            self._h.changeRowsBounds(len(rows), np.asarray(rows, dtype=np.int32),
                                     np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))


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


class OutageModel:
    """The windowed plan model with the plan's past fixed; answers lost-units questions."""

    def __init__(self, scenario: Scenario, state: PlanState, at: int, end: int,
                 extra_stock: dict[tuple[str, str], float] | None = None) -> None:
        self.at, self.end = at, end
        ix = build_index(windowed(scenario, end), line_online_months(scenario))
        model = build_model(ix)
        self.ix, self.model = ix, model
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
        self.solver = _Solver(model)
        self.loss_cost = np.zeros(model.n_col)
        r = model.rows["Resilience-loss"].start
        self.loss_row = r
        self.loss_cost[self._loss_cols] = 1.0
        self.solver.set_objective(self.loss_cost)
        self._index_effects(ix, model, state)

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
        self._loss_cols = np.concatenate([un.index[un.keys["month"] >= at], sh.start + due])
        loss = m.add_rows("Resilience-loss", -INF, INF, {"row": np.zeros(1, dtype=np.int64)})
        m.add_terms(np.full(len(self._loss_cols), loss.start), self._loss_cols, 1.0)

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
        # line capacity rows per line: (rows, months, plan capacity)
        cap = m.rows["Line-capacity"]
        self._line_rows: dict[str, tuple[IntArray, IntArray, np.ndarray]] = {}
        for li, line in enumerate(ix.lines):
            sel = (cap.keys["line"] == li) & (cap.keys["month"] >= self.at)
            mo = cap.keys["month"][sel]
            k0 = state.online.get(line.id)
            eff = np.zeros(len(mo)) if k0 is None else line.capacity * line.share(mo, k0)
            self._line_rows[line.id] = (cap.index[sel], mo, eff)
        # supplier orders: past columns (fixed), future capped rows, future uncapped columns
        buy = m.vars["Supplier-order"]
        lead = np.array([s.lead for s in ix.supplies] or [0])[buy.keys["supply"]]
        arrive = buy.keys["month"] + lead
        srow = m.rows["Supplier-capacity"]
        rowtab = np.full((max(1, len(ix.supplies)), n), -1, dtype=np.int64)
        rowtab[srow.keys["supply"], srow.keys["month"]] = srow.index
        self._orders: dict[str, list[tuple[IntArray, IntArray, IntArray, np.ndarray]]] = {}
        for j, sup in enumerate(ix.supplies):
            sel = (buy.keys["supply"] == j) & (arrive >= self.at)
            cols, om, arr = buy.index[sel], buy.keys["month"][sel], arrive[sel]
            past = om < self.at
            self._orders.setdefault(sup.supplier, []).append((cols, arr, rowtab[j, om], past))

    # -- outages --------------------------------------------------------------
    def effect(self, node: Node, t: float) -> Effect:
        """Bound changes for `node` down over [M, M + t) (see docs/method-resilience.md)."""
        cols: list[IntArray] = []
        clo: list[np.ndarray] = []
        chi: list[np.ndarray] = []
        rows: list[IntArray] = []
        rhi: list[np.ndarray] = []
        for sid in node.suppliers:
            for oc, arr, orow, past in self._orders.get(sid, []):
                s = down_share(arr, self.at, t)
                hit = s > 0
                fixed = hit & past  # placed before M: the plan's order, cut by the down share
                v = self.col_lo[oc[fixed]] * (1.0 - s[fixed])
                capped = hit & ~past & (orow >= 0)  # from M on, capped: the capacity row
                if capped.any():
                    r, first = np.unique(orow[capped], return_index=True)
                    rows.append(r)
                    rhi.append((self.row_hi[orow[capped]] * (1.0 - s[capped]))[first])
                free = hit & ~past & (orow < 0)  # from M on, uncapped: none in a hit month
                cols.extend([oc[fixed], oc[free]])
                clo.extend([v, np.zeros(int(free.sum()))])
                chi.extend([v, np.zeros(int(free.sum()))])
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

    def _apply(self, e: Effect) -> None:
        self.solver.set_cols(e.cols, e.col_lo, e.col_hi)
        self.solver.set_rows(e.rows, e.row_lo, e.row_hi)

    def _restore(self, e: Effect) -> None:
        self.solver.set_cols(e.cols, self.col_lo[e.cols], self.col_hi[e.cols])
        self.solver.set_rows(e.rows, self.row_lo[e.rows], self.row_hi[e.rows])

    def _solve(self) -> tuple[float, np.ndarray]:
        out = self.solver.solve()
        if out.status is not SolveStatus.OPTIMAL or out.objective is None or out.x is None:
            raise OutageError(f"outage LP: {out.message}")
        return float(out.objective), out.x

    def loss(self, node: Node | None, t: float) -> float:
        """Least units lost (from M on) with `node` down for t months (None: no outage)."""
        e = self.effect(node, t) if node is not None and t > 0 else None
        if e is not None:
            self._apply(e)
        try:
            return self._solve()[0]
        finally:
            if e is not None:
                self._restore(e)

    def plan_loss(self) -> float:
        """Least units lost from M on with no outage and no buffer: the plan's own losses."""
        cols = self.buffer.index
        zero = np.zeros(len(cols))
        self.solver.set_cols(cols, zero, zero)
        try:
            return self._solve()[0]
        finally:
            self.solver.set_cols(cols, self.col_lo[cols], self.col_hi[cols])

    def least_extra(self, node: Node, t: float, pairs: IntArray, allowed: float,
                    kind: str) -> np.ndarray | None:
        """Least buffer (kind "buffer": units at M) or second-source capacity ("second":
        units a month) per store pair in `pairs` keeping losses <= `allowed`; None if none does."""
        block = self.buffer if kind == "buffer" else self.second
        cols = block.start + np.asarray(pairs, dtype=np.int64)
        e = self.effect(node, t)
        self._apply(e)
        self.solver.set_cols(cols, self.col_lo[cols], np.full(len(cols), np.inf))
        self.solver.set_rows(np.array([self.loss_row]), np.array([-np.inf]), np.array([allowed]))
        cost = np.zeros(self.model.n_col)
        cost[cols] = 1.0
        self.solver.set_objective(cost)
        try:
            out = self.solver.solve()
            if out.status is not SolveStatus.OPTIMAL or out.x is None:
                return None
            return np.asarray(out.x[cols] - self.col_lo[cols])
        finally:
            self.solver.set_objective(self.loss_cost)
            self.solver.set_rows(np.array([self.loss_row]), np.array([-np.inf]),
                                 np.array([np.inf]))
            self.solver.set_cols(cols, self.col_lo[cols], self.col_hi[cols])
            self._restore(e)
