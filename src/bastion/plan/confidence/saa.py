"""The sample-average model: the plan (first stage) and its recourse in each sampled future.

Built from the plan's own builder (`build_index`, `build_model`): the first
stage is the deterministic plan model as it is (its orders, production and
deliveries are the policy the simulator plays); each future s is another
copy of the same model whose index carries that future's line and supplier
availability per month, its sampled online months and its surged
consumption. Coupling rows make the copy play the plan's policy (see
docs/method-confidence.md):

- builds: the future's build decisions equal the plan's;
- production, deliveries: cumulative in the future <= cumulative planned
  (a lag variable per entry and month: lag(m) = lag(m-1) + plan(m) - future(m) >= 0);
- purchases: the future's order columns are shipments; cumulative shipments
  <= cumulative planned orders (the supplier's backlog), each month within
  capacity x availability (the copy's own supplier-capacity rows);
- stockpiles: consumption is always drawn (no unmet consumption in a future;
  the stockpile may go below zero, which only makes a future harder to count
  as met than in the simulator, where the stockpile stops at zero);
- a chance row per target with a confidence: a binary z[t, s] per future,
  shortfall[t, s] <= M (1 - z[t, s]), and sum_s z[t, s] + deficit[t] >= k[t].
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from bastion.plan.build import build_model
from bastion.plan.confidence.futures import Futures
from bastion.plan.confidence.stack import append_model, set_col_bounds
from bastion.plan.index import PlanIndex, build_index
from bastion.plan.model import INF, Block, LinearModel
from bastion.scenario.model import Scenario

FIRST_STAGE_WEIGHT = 1e-3
"""Weight of the first stage's own shortfall of a target that has a confidence (a tie-break)."""


@dataclass(frozen=True)
class Composite:
    """The sample-average model and where its parts are."""

    model: LinearModel
    ix: PlanIndex  # the first stage's index
    first: LinearModel  # the first stage as built alone (its columns are the composite's first)
    z: np.ndarray  # (T, S) column of z[t, s], -1 where the target has no confidence (or chosen)
    deficit: np.ndarray  # (T,) column of deficit[t], -1 where none
    required: np.ndarray  # (T,) k[t]: futures in which the target must be met (0: none)
    shortfall: np.ndarray  # (T, S) column of the target's shortfall in future s, -1 where none
    pile_by: np.ndarray  # (T, S) column of the stockpile at the end of `by` in future s, -1

    def met(self, x: np.ndarray, t: int) -> np.ndarray:
        """(S,) True where target t is met in future s in solution x (stockpile at `by`);
        False for a future left out of the model (the rounding route keeps the chosen ones)."""
        tg = self.ix.targets[t]
        tol = 1e-6 * max(1.0, tg.units)
        cols = self.pile_by[t]
        out: np.ndarray = (cols >= 0) & (x[cols] >= tg.units - tol)
        return out


def future_index(scenario: Scenario, ix0: PlanIndex, online0: dict[str, int], fut: Futures,
                 s: int) -> PlanIndex:
    """The plan index of future s: sampled online months, availabilities, surged consumption."""
    lines = list(scenario.all_lines().items())
    online = dict(online0)
    months = np.arange(ix0.n)
    line_avail = fut.line_avail[s].copy()
    for li, (lid, (_site, line)) in enumerate(lines):
        if line.optional:  # built columns as in the plan; not producing before the sampled month
            line_avail[li] *= months >= fut.online[s, li]
        else:
            online[lid] = int(fut.online[s, li])
    ix = build_index(scenario, online)
    sup_pos = {sid: k for k, sid in enumerate(fut.suppliers)}
    supply_avail = np.stack([fut.supplier_avail[s, sup_pos[sp.supplier]] for sp in ix.supplies]) \
        if ix.supplies else np.zeros((0, ix.n))
    factor = 1.0 + (fut.surge_factor[:, None] - 1.0) * fut.surge[s]  # (C, N)
    cust = ix.pile_pairs[:, 0] if len(ix.pile_pairs) else np.zeros(0, dtype=np.int64)
    consumption = ix.consumption * factor[cust] if len(cust) else ix.consumption
    return dataclasses.replace(ix, line_avail=line_avail, supply_avail=supply_avail,
                               consumption=consumption)


def _codes(block: Block, a: str, b: str, width: int) -> np.ndarray:
    out: np.ndarray = block.keys[a].astype(np.int64) * width + block.keys[b].astype(np.int64)
    return out


def _lag(m: LinearModel, name: str, plan: Block, fut: Block, a: str, b: str, width: int,
         n: int) -> None:
    """Cumulative future flow <= cumulative planned flow, per (a, b) entry and month."""
    c0, cs = _codes(plan, a, b, width), _codes(fut, a, b, width)
    entries = np.union1d(c0, cs)
    if not len(entries):
        return
    e = len(entries)
    grid = {"entry": np.repeat(entries, n), "month": np.tile(np.arange(n), e)}
    lag = m.add_vars(name, 0.0, INF, grid)
    rows = m.add_rows(name, 0.0, 0.0, grid)
    m.add_terms(rows.index, lag.index, 1.0)
    later = grid["month"] > 0
    m.add_terms(rows.index[later], lag.index[later] - 1, -1.0)
    p0 = np.searchsorted(entries, c0) * n + plan.keys["month"]
    m.add_terms(rows.start + p0, plan.index, -1.0)
    ps = np.searchsorted(entries, cs) * n + fut.keys["month"]
    m.add_terms(rows.start + ps, fut.index, 1.0)


def build_composite(scenario: Scenario, ix0: PlanIndex, online0: dict[str, int], fut: Futures,
                    levels_conf: dict[int, float], *, relaxed: bool = False,
                    chosen: dict[int, np.ndarray] | None = None) -> Composite:
    """The sample-average model for targets `levels_conf` {target position: required share}.

    relaxed: the z[t, s] continuous (the LP relaxation, used to rank futures).
    chosen: instead of the chance rows, per target the futures in which it must
    be met (the rounding route): their shortfall, in units, is minimised at the
    target's priority level, the other futures' is free.
    """
    first = build_model(ix0)
    m = LinearModel()
    v0, _ = append_model(m, first, "", objectives=False)
    for name in list(first.objectives):  # the first stage's objectives, re-weighted below
        if name != "cost" and not name.startswith("level-"):
            for cols, coef in first.objectives[name]:
                m.add_objective(name, cols, coef)
    for cols, coef in first.objectives.get("cost", []):
        m.add_objective("cost", cols, coef)
    m.add_offset("cost", first.offsets.get("cost", 0.0))
    conf_targets = set(levels_conf)
    for p in ix0.levels:  # first stage's own level: as the deterministic plan, confidence targets light
        for cols, coef in first.objectives.get(f"level-{p}", []):
            w = np.ones(len(cols))
            if cols.size and cols[0] >= v0["Target-shortfall"].start \
                    and cols[0] < v0["Target-shortfall"].start + v0["Target-shortfall"].size:
                pos = cols - v0["Target-shortfall"].start
                w = np.where(np.isin(pos, list(conf_targets)), FIRST_STAGE_WEIGHT, 1.0)
            m.add_objective(f"level-{p}", cols, coef * w)

    n, S, T = ix0.n, fut.count, len(ix0.targets)
    z_cols = np.full((T, S), -1, dtype=np.int64)
    shortfall_cols = np.full((T, S), -1, dtype=np.int64)
    pile_cols = np.full((T, S), -1, dtype=np.int64)
    bigm = np.zeros((T, S))
    needed = set(range(S)) if chosen is None else {int(s) for c in chosen.values() for s in c}
    for s in range(S):
        if s not in needed:  # a future no target must meet: its recourse is always feasible
            continue
        ixs = future_index(scenario, ix0, online0, fut, s)
        vs, _ = append_model(m, build_model(ixs), f"f{s}:", objectives=False)
        set_col_bounds(m, vs["Stockpile-level"], lower=-INF)
        set_col_bounds(m, vs["Consumption-unmet"], upper=0.0)
        set_col_bounds(m, vs["Line-build"], integer=False)
        y0, ys = v0["Line-build"], vs["Line-build"]
        if ys.size:
            rb = m.add_rows(f"f{s}:Build-as-planned", 0.0, 0.0, dict(ys.keys))
            m.add_terms(rb.index, ys.index, 1.0)
            m.add_terms(rb.index, y0.index, -1.0)
        _lag(m, f"f{s}:Production-lag", v0["Line-production"], vs["Line-production"],
             "line", "item", len(ix0.items), n)
        _lag(m, f"f{s}:Order-backlog", v0["Supplier-order"], vs["Supplier-order"],
             "supply", "site", len(ix0.sites), n)
        _lag(m, f"f{s}:Delivery-lag", v0["Customer-delivery"], vs["Customer-delivery"],
             "pile", "site", len(ix0.sites), n)
        for t in conf_targets:
            tg = ixs.targets[t]
            shortfall_cols[t, s] = vs["Target-shortfall"].start + t
            pile_cols[t, s] = vs["Stockpile-level"].start + tg.pile * n + min(max(tg.by, 0), n - 1)
            drawn = float(ixs.consumption[tg.pile, : max(0, tg.by) + 1].sum())
            bigm[t, s] = tg.units + drawn + 1.0
    deficit = np.full(T, -1, dtype=np.int64)
    required = np.zeros(T, dtype=np.int64)
    for t, share in sorted(levels_conf.items()):
        k = min(S, math.ceil(share * S - 1e-9))
        required[t] = k
        tg = ix0.targets[t]
        level = f"level-{int(ix0.priority[tg.customer])}"
        if chosen is not None:
            m.add_objective(level, shortfall_cols[t, chosen[t]], 1.0)
            continue
        zb = m.add_vars(f"Met-in-future[{t}]", 0.0, 1.0,
                        {"future": np.arange(S)}, integer=not relaxed)
        z_cols[t] = zb.index
        rb = m.add_rows(f"Chance-link[{t}]", -INF, bigm[t], {"future": np.arange(S)})
        m.add_terms(rb.index, shortfall_cols[t], 1.0)
        m.add_terms(rb.index, zb.index, bigm[t])
        db = m.add_vars(f"Confidence-deficit[{t}]", 0.0, INF, {"target": np.array([t])})
        deficit[t] = db.start
        rc = m.add_rows(f"Chance[{t}]", float(k), INF, {"target": np.array([t])})
        m.add_terms(np.full(S, rc.start), zb.index, 1.0)
        m.add_terms(np.array([rc.start]), np.array([db.start]), 1.0)
        m.add_objective(level, np.array([db.start]), max(1.0, tg.units))
    return Composite(m, ix0, first, z_cols, deficit, required, shortfall_cols, pile_cols)



