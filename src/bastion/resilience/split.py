"""Exact continuous time: the months an outage ends in, split at the outage's end.

Flows are even within each month (SCENARIO.md). An outage over [M, M + t)
with t = K + s (0 < s < 1) ends inside month k = M + K: there the node's
flows happen only in the part [k + s, k + 1), so within that month the stock
is not linear and its end-of-month level is not its lowest. Every month j of
k .. k + LAG (LAG: the longest chain of whole-month lags, so that what the
node makes or ships late in month k arrives late wherever it goes) is split
at j + s into an A part and a B part, each with even flows:

- a flow that starts in a split month (an order, a line's output, a
  delivery, a second source's delivery) gets an A-part column a, 0 <= a <= x,
  with its capacity row split: A part <= s x capacity, B part <= (1 - s) x
  capacity; the node's own flows of month k have no A part (a = 0);
- a flow that started before k (even over its own month) arrives evenly:
  its A part is s x;
- consumption unmet is split too: u_A <= s x consumption, u - u_A <=
  (1 - s) x consumption;
- each store and stockpile gets one more row: its level at j + s >= 0.

Only the stores and stockpiles of the items the node's late flows can reach
(its own items and every item made from them) get A parts for their flows;
every other row such a re-timed flow touches is checked at j + s as well,
with its other flows even. Flows nowhere near the node stay even, which is
what they are.

Within each part every rate is constant, so levels are linear and checking
them at j + s and at the month's end is exact. Units lost inside the window
[M, M + t) are the months before k plus u_A of month k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bastion.plan.index import PlanIndex
from bastion.plan.model import LinearModel

IntArray = np.ndarray
LEVEL, FLOW, UNMET, LUMP, OTHER = 0, 1, 2, 3, 4
FLOW_FAMILIES = ("Line-production", "Supplier-order", "Customer-delivery", "Resilience-second-flow")
CAP_FAMILIES = ("Line-capacity", "Supplier-capacity", "Resilience-second")


@dataclass(frozen=True)
class Additions:
    """Columns and rows to add for one split (positions after the model's own)."""

    col_lo: np.ndarray
    col_hi: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    row_start: np.ndarray  # CSR over the new rows
    row_col: np.ndarray
    row_val: np.ndarray
    unmet_a: dict[int, int]  # unmet column (month k) -> its A-part column


def bom_levels(bom: dict[int, tuple[tuple[int, float], ...]]) -> int:
    """Made items in the longest chain of the bom (a made item from bought ones: 1)."""
    level: dict[int, int] = {}
    for root in bom:
        stack = [root]
        while stack:  # depth first, without recursion (a bom may be deep)
            item = stack[-1]
            todo = [c for c, _q in bom[item] if c in bom and c not in level and c not in stack]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            level[item] = 1 + max((level.get(c, 0) for c, _q in bom[item]), default=0)
    return max(level.values(), default=0)


def lag_months(ix: PlanIndex) -> int:
    """Longest chain of whole-month lags: lead + each bom level's acceptance + delivery
    (one level more than the bom has, as a margin)."""
    lead = max((s.lead for s in ix.supplies), default=0)
    acc = max((ln.acceptance for ln in ix.lines), default=0)
    dlv = int(ix.delivery.max()) if len(ix.delivery) else 0
    depth = 1 + bom_levels(ix.bom)
    return lead + acc * depth + dlv


class SplitIndex:
    """Row-wise coefficients and column kinds of the outage model, read once."""

    def __init__(self, ix: PlanIndex, model: LinearModel, row_lo: np.ndarray,
                 row_hi: np.ndarray) -> None:
        start, index, value = model.matrix()
        self.c_start, self.c_row = start.astype(np.int64), index.astype(np.int64)
        cols = np.repeat(np.arange(model.n_col), np.diff(start))
        order = np.argsort(index, kind="stable")
        self.r_col, self.r_val = cols[order], value[order]
        self.r_start = np.zeros(model.n_row + 1, dtype=np.int64)
        np.cumsum(np.bincount(index, minlength=model.n_row), out=self.r_start[1:])
        self.kind = np.full(model.n_col, OTHER, dtype=np.int8)
        self.month = np.full(model.n_col, -1, dtype=np.int64)
        for fam in ("Store-level", "Stockpile-level"):
            self._mark(model, fam, LEVEL)
        for fam in FLOW_FAMILIES:
            self._mark(model, fam, FLOW)
        self._mark(model, "Consumption-unmet", UNMET)
        self._mark(model, "Resilience-buffer", LUMP)
        self.row_lo, self.row_hi = row_lo, row_hi
        n = ix.n
        self.balance: dict[int, IntArray] = {}
        self.cons = np.zeros(model.n_row)
        self.row_item = np.full(model.n_row, -1, dtype=np.int64)
        self.row_month = np.full(model.n_row, -1, dtype=np.int64)
        self.is_cap = np.zeros(model.n_row, dtype=bool)
        parts = []
        for fam, pairs, key in (("Store-balance", ix.store_pairs, "pair"),
                                ("Stockpile-balance", ix.pile_pairs, "pile")):
            b = model.rows[fam]
            parts.append((b.index, b.keys["month"]))
            if b.size:
                self.row_item[b.index] = pairs[b.keys[key], 1]
                self.row_month[b.index] = b.keys["month"]
            if fam == "Stockpile-balance" and b.size:
                self.cons[b.index] = ix.consumption.reshape(-1)
        for fam in CAP_FAMILIES:
            self.is_cap[model.rows[fam].index] = True
        self.capacity: dict[int, IntArray] = {}
        caps = [(model.rows[f].index, model.rows[f].keys["month"]) for f in CAP_FAMILIES]
        for table, src in ((self.balance, parts), (self.capacity, caps)):
            rows = np.concatenate([r for r, _ in src])
            months = np.concatenate([m for _, m in src])
            for j in range(n):
                table[j] = rows[months == j]
        self.lag = lag_months(ix)
        self.n_months = n

    def _mark(self, model: LinearModel, fam: str, kind: int) -> None:
        b = model.vars[fam]
        self.kind[b.index] = kind
        if "month" in b.keys:
            self.month[b.index] = b.keys["month"]

    def build(self, k: int, s: float, zero_a: IntArray, n_col: int,
              items: IntArray | None = None) -> Additions:
        """The split of months k .. k + lag at fraction s; `zero_a`: flows with no A part;
        `items`: the items whose stores and stockpiles the node's late flows can reach
        (None: all). Flows in those rows may be re-timed within the month (A parts); every
        other flow stays even; every row an A part touches is checked at the split point."""
        last = min(self.n_months, k + self.lag + 1)
        bal = np.concatenate([self.balance[j] for j in range(k, last)])
        if items is not None:
            bal = bal[np.isin(self.row_item[bal], items)]
        free: list[int] = [int(c) for c in zero_a]
        for r in bal.tolist():
            rc = self.r_col[self.r_start[r]:self.r_start[r + 1]]
            free.extend(rc[(self.kind[rc] == FLOW) & (self.month[rc] >= k)].tolist())
        a_set = sorted(set(free))
        touched = np.concatenate([self.c_row[self.c_start[c]:self.c_start[c + 1]] for c in a_set]) \
            if a_set else np.zeros(0, dtype=np.int64)
        near = touched[(self.row_month[touched] >= k) & (self.row_month[touched] < last)]
        bal = np.union1d(bal, near)
        cap = np.unique(touched[self.is_cap[touched]])
        a_of: dict[int, int] = {}
        zero = set(int(c) for c in zero_a)
        col_lo: list[float] = []
        col_hi: list[float] = []

        def a_col(c: int, hi: float) -> int:
            if c not in a_of:
                a_of[c] = n_col + len(col_lo)
                col_lo.append(0.0)
                col_hi.append(0.0 if c in zero else hi)
            return a_of[c]

        for c in a_set:
            a_col(c, np.inf)
        rows: list[tuple[list[int], list[float], float, float]] = []
        unmet_a: dict[int, int] = {}
        for r in bal.tolist():
            lo, hi = self.r_start[r], self.r_start[r + 1]
            rc, rv = self.r_col[lo:hi], self.r_val[lo:hi]
            j = int(self.row_month[r])
            cols: list[int] = []
            vals: list[float] = []
            for c, a in zip(rc.tolist(), rv.tolist(), strict=True):
                kind = int(self.kind[c])
                if kind == LEVEL:
                    if self.month[c] < j:
                        cols.append(c)
                        vals.append(1.0)
                elif kind == LUMP:
                    cols.append(c)
                    vals.append(-a)
                elif kind == UNMET:
                    cu = self.cons[r]
                    ua = a_col(c, s * cu)
                    unmet_a[c] = ua
                    cols.append(ua)
                    vals.append(-a)
                    rows.append(([c, ua], [1.0, -1.0], 0.0, (1.0 - s) * cu))
                elif c in a_of:
                    cols.append(a_of[c])
                    vals.append(-a)
                else:  # an even flow: begun before k, fixed in the past, or not re-timed
                    cols.append(c)
                    vals.append(-a * s)
            rows.append((cols, vals, -(self.row_lo[r] + (1.0 - s) * self.cons[r]), np.inf))
        for r in cap:
            lo, hi = self.r_start[r], self.r_start[r + 1]
            rc, rv = self.r_col[lo:hi], self.r_val[lo:hi]
            ca, va, cb, vb = [], [], [], []
            for c, a in zip(rc.tolist(), rv.tolist(), strict=True):
                if c in a_of:
                    ac = a_of[c]
                    ca.append(ac)
                    va.append(a)
                    cb.extend([c, ac])
                    vb.extend([a, -a])
                else:
                    ca.append(c)
                    va.append(s * a)
                    cb.append(c)
                    vb.append((1.0 - s) * a)
            u = float(self.row_hi[r])
            rows.append((ca, va, -np.inf, s * u))
            rows.append((cb, vb, -np.inf, (1.0 - s) * u))
        for c in a_set:  # a flow's A part is at most the flow
            ac = a_of[c]
            if c not in zero:
                rows.append(([ac, c], [1.0, -1.0], -np.inf, 0.0))
        starts = np.zeros(len(rows) + 1, dtype=np.int64)
        starts[1:] = np.cumsum([len(c) for c, *_ in rows])
        return Additions(
            col_lo=np.array(col_lo), col_hi=np.array(col_hi),
            row_lo=np.array([lo for _, _, lo, _ in rows]),
            row_hi=np.array([hi for _, _, _, hi in rows]),
            row_start=starts,
            row_col=np.array([c for cs, *_ in rows for c in cs], dtype=np.int64),
            row_val=np.array([v for _, vs, _, _ in rows for v in vs], dtype=float),
            unmet_a=unmet_a,
        )
