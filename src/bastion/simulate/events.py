"""The uncertainty model: event sources, programme online months, and their numpy sampler.

Sources (SCENARIO.md, "Time"): each supplier's disruption, each line's
outage, each site's disruption (stopping every line of the site), each
correlated risk (stopping every supplier and line it names, and every line
of the sites it names) and each customer's surge is a Poisson
process from t = 0 with triangular event durations, at 0.01-month
resolution. A node (supplier, line, customer) is hit by the union of the
events of its sources; the covered share of month m is the measure of that
union within [m, m + 1).

Random streams: paths are grouped in fixed blocks of ``BLOCK`` paths; block
b draws from ``SeedSequence(seed, spawn_key=(b,))`` (``block_rng``, shared
with ``bastion schedule``, which draws the same programme durations), first the programme
durations (through the programme engine's ``sample_finishes``), then each
source's event counts, starts and durations. A path's numbers therefore
depend on the seed and its index only, never on the chunk size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bastion.programme.network import Network
from bastion.programme.risk import PATH_BLOCK, online_month_index, sample_finishes
from bastion.programme.risk import block_rng as block_rng  # re-exported: the backends draw from it
from bastion.programme.scenario import deterministic_schedule, milestone_lines
from bastion.scenario.model import Scenario
from bastion.simulate.adapter import PlanArrays

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BLOCK = PATH_BLOCK
"""Paths per random-stream block (chunks are whole blocks; the programme engine's blocks)."""


@dataclass(frozen=True)
class Source:
    """One Poisson process of events and the nodes each event stops."""

    name: str
    rate_per_month: float
    duration: tuple[float, float, float]  # triangular [min, mode, max], months
    nodes: tuple[int, ...]  # risky-node columns


@dataclass(frozen=True, eq=False)
class Uncertainty:
    """Everything random about a scenario, resolved against the plan's arrays."""

    n: int
    sources: tuple[Source, ...]
    risky: int  # number of risky nodes (columns of the coverage arrays)
    sup_col: IntArray  # (U,) supplier -> risky column, or `risky` (never hit)
    line_col: IntArray  # (L,)
    cust_col: IntArray  # (C,)
    surge_factor: FloatArray  # (C,)
    # programme
    network: Network | None
    order: tuple[int, ...] | None
    offset: int
    line_kind: IntArray  # 0 fixed, 1 at a milestone, 2 optional at a milestone (shifted)
    line_task: IntArray  # milestone task index, -1
    planned_online: IntArray  # the plan's online month (NEVER when not built)
    milestone_month: IntArray  # deterministic online month at the milestone (reported, not used)

    @property
    def samples_programme(self) -> bool:
        """True when some built line's online month is sampled."""
        return self.network is not None and bool(np.any(self.line_kind > 0))


def uncertainty_of(scenario: Scenario, pa: PlanArrays) -> Uncertainty:
    """Resolve the scenario's event sources and programme against the plan arrays."""
    all_lines = scenario.all_lines()
    nodes: dict[tuple[str, str], int] = {}

    def col(kind: str, nid: str) -> int:
        return nodes.setdefault((kind, nid), len(nodes))

    def tri(r: tuple[float, float, float]) -> tuple[float, float, float]:
        return (float(r[0]), float(r[1]), float(r[2]))

    sources: list[Source] = []
    for sid, sup in scenario.suppliers.items():
        d = sup.disruption
        if d is not None and d.rate_per_year > 0:
            sources.append(Source(f"supplier:{sid}", d.rate_per_year / 12.0, tri(d.recovery_months),
                                  (col("supplier", sid),)))
    for lid, (_s, line) in all_lines.items():
        d = line.outage
        if d is not None and d.rate_per_year > 0:
            sources.append(Source(f"line:{lid}", d.rate_per_year / 12.0, tri(d.recovery_months),
                                  (col("line", lid),)))
    for sid, site in scenario.sites.items():  # a site event stops every line of the site
        d = site.disruption
        if d is not None and d.rate_per_year > 0 and site.lines:
            sources.append(Source(f"site:{sid}", d.rate_per_year / 12.0, tri(d.recovery_months),
                                  tuple(col("line", lid) for lid in site.lines)))
    for risk in scenario.risks:
        if risk.rate_per_year <= 0:
            continue
        hit = [("supplier", s) for s in risk.applies_to.suppliers]
        hit += [("line", lid) for lid in risk.applies_to.lines]
        hit += [("line", lid) for site in risk.applies_to.sites for lid in scenario.sites[site].lines]
        cols = tuple(dict.fromkeys(col(k, v) for k, v in hit))
        sources.append(Source(f"risk:{risk.id}", risk.rate_per_year / 12.0, tri(risk.duration_months),
                              cols))
    for cid, cust in scenario.customers.items():
        sg = cust.surge
        if sg is not None and sg.rate_per_year > 0 and sg.factor != 1.0:
            sources.append(Source(f"surge:{cid}", sg.rate_per_year / 12.0, tri(sg.duration_months),
                                  (col("customer", cid),)))
    risky = len(nodes)

    def columns(kind: str, ids: tuple[str, ...]) -> IntArray:
        return np.array([nodes.get((kind, i), risky) for i in ids], dtype=np.int64)

    surge = np.array([float(c.surge.factor) if c.surge is not None else 1.0
                      for c in scenario.customers.values()])

    # programme: which lines move with a sampled milestone
    ms = milestone_lines(scenario)
    kind = np.zeros(len(pa.lines), dtype=np.int64)
    task = np.full(len(pa.lines), -1, dtype=np.int64)
    mmonth = np.zeros(len(pa.lines), dtype=np.int64)
    net: Network | None = None
    order: tuple[int, ...] | None = None
    offset = 0
    if any(lid in ms for lid, b in zip(pa.lines, pa.built, strict=True) if b):
        prog = deterministic_schedule(scenario)
        net, order, offset = prog.network, prog.sgs_order, prog.offset
        fin = prog.finish_from_horizon()
        for k, lid in enumerate(pa.lines):
            if lid in ms and pa.built[k]:
                kind[k] = 2 if pa.optional[k] else 1
                task[k] = net.tasks.index(ms[lid])
                mmonth[k] = int(online_month_index(fin[ms[lid]]))
    return Uncertainty(
        n=pa.n, sources=tuple(sources), risky=risky,
        sup_col=columns("supplier", pa.suppliers), line_col=columns("line", pa.lines),
        cust_col=columns("customer", pa.customers), surge_factor=surge,
        network=net, order=order, offset=offset, line_kind=kind, line_task=task,
        planned_online=pa.online.copy(), milestone_month=mmonth,
    )


def triangular(u: FloatArray, a: float, c: float, b: float) -> FloatArray:
    """Inverse CDF of the triangular [a, c, b] at uniforms `u`, rounded to 0.01 month."""
    width = b - a
    if width <= 0:
        return np.full(u.shape, round(a, 2))
    fc = (c - a) / width
    left = a + np.sqrt(u * width * (c - a))
    right = b - np.sqrt((1.0 - u) * width * (b - c))
    out: FloatArray = np.rint(np.where(u < fc, left, right) * 100.0) / 100.0
    return out


def online_months(u: Uncertainty, finishes: FloatArray | None, paths: int) -> FloatArray:
    """(paths, L) online month of each line: fixed, at the sampled milestone, or shifted with it."""
    out = np.broadcast_to(u.planned_online.astype(np.float64), (paths, len(u.line_kind))).copy()
    if finishes is None:
        return out
    for k in np.flatnonzero(u.line_kind > 0):
        sampled = online_month_index(finishes[:, u.line_task[k]]).astype(np.float64) + u.offset
        if u.line_kind[k] == 1:
            out[:, k] = sampled
        else:  # optional: the plan's month, or the sampled milestone's month when later
            out[:, k] = np.maximum(float(u.planned_online[k]), sampled)
    return out


@dataclass(frozen=True)
class Events:
    """Sampled events of a block: flat arrays, one entry per (event, node)."""

    path: IntArray
    node: IntArray
    start: FloatArray
    end: FloatArray


def sample_events(u: Uncertainty, paths: int, rng: np.random.Generator) -> Events:
    """Every source's events on `paths` paths (starts in [0, n), rounded to 0.01)."""
    ps, ns, ss, es = [], [], [], []
    for src in u.sources:
        counts = rng.poisson(src.rate_per_month * u.n, paths)
        k = int(counts.sum())
        start = np.rint(rng.random(k) * u.n * 100.0) / 100.0
        dur = triangular(rng.random(k), *src.duration)
        path = np.repeat(np.arange(paths, dtype=np.int64), counts)
        keep = (start < u.n) & (dur > 0)
        for node in src.nodes:
            ps.append(path[keep])
            ns.append(np.full(int(keep.sum()), node, dtype=np.int64))
            ss.append(start[keep])
            es.append(start[keep] + dur[keep])
    if not ps:
        z = np.zeros(0)
        return Events(z.astype(np.int64), z.astype(np.int64), z, z)
    return Events(np.concatenate(ps), np.concatenate(ns), np.concatenate(ss), np.concatenate(es))


@dataclass(frozen=True, eq=False)
class Coverage:
    """Sparse covered shares, sorted by month: entries ptr[m]:ptr[m+1] belong to month m.

    ``cell`` is node * paths + path; ``share`` the covered share of that month
    by the union of the node's events.
    """

    paths: int
    risky: int
    ptr: IntArray  # (n + 1,)
    cell: IntArray
    share: npt.NDArray[np.float32]

    def month(self, m: int) -> npt.NDArray[np.float64]:
        """(risky + 1, paths) covered shares of month m (the last row: never covered)."""
        out = np.zeros((self.risky + 1) * self.paths)
        lo, hi = int(self.ptr[m]), int(self.ptr[m + 1])
        if hi > lo:
            np.add.at(out, self.cell[lo:hi], self.share[lo:hi])
            np.minimum(out, 1.0, out=out)
        return out.reshape(self.risky + 1, self.paths)

    def hundredths(self) -> npt.NDArray[np.uint8]:
        """(n, risky + 1, paths) covered shares in hundredths of a month (exact: every event
        start and end is a multiple of 0.01), capped at 100; the last row is never covered.

        Built once per chunk before the month loop, so the step only indexes it.
        """
        n = len(self.ptr) - 1
        out = np.zeros(n * (self.risky + 1) * self.paths, dtype=np.uint8)
        if len(self.cell):
            month = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.ptr))
            flat = month * ((self.risky + 1) * self.paths) + self.cell
            np.add.at(out, flat, np.rint(self.share * 100.0).astype(np.uint8))
            np.minimum(out, 100, out=out)
        return out.reshape(n, self.risky + 1, self.paths)

    def dense(self) -> npt.NDArray[np.float32]:
        """(n, risky, paths) covered shares (for tests and small runs)."""
        n = len(self.ptr) - 1
        return np.stack([self.month(m)[: self.risky] for m in range(n)]).astype(np.float32)


def coverage(u: Uncertainty, ev: Events, paths: int) -> Coverage:
    """Per month, the share covered by the union of each node's events (sparse)."""
    n, r = u.n, u.risky
    if len(ev.path) == 0 or r == 0:
        z = np.zeros(0, dtype=np.int64)
        return Coverage(paths, r, np.zeros(n + 1, dtype=np.int64), z, z.astype(np.float32))
    key = ev.path * r + ev.node
    width = float(ev.end.max()) + 1.0
    order = np.argsort(ev.start + key * width, kind="stable")
    key, s, e = key[order], ev.start[order], ev.end[order]
    so, eo = s + key * width, e + key * width
    reach = np.maximum.accumulate(eo)
    new = np.ones(len(s), dtype=bool)
    new[1:] = so[1:] > reach[:-1]
    first = np.flatnonzero(new)
    ms = s[first]
    me = np.maximum.reduceat(eo, first) - key[first] * width
    mk = key[first]
    lo = np.floor(ms).astype(np.int64)
    hi = np.minimum(np.ceil(me).astype(np.int64), n)
    cnt = np.maximum(hi - lo, 0)
    rep = np.repeat(np.arange(len(first)), cnt)
    offs = np.concatenate([[0], np.cumsum(cnt)[:-1]])
    month = lo[rep] + (np.arange(int(cnt.sum())) - offs[rep])
    share = np.minimum(me[rep], month + 1.0) - np.maximum(ms[rep], month)
    cell = (mk[rep] % r) * paths + mk[rep] // r
    by_month = np.argsort(month, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(month, minlength=n))]).astype(np.int64)
    return Coverage(paths, r, ptr, cell[by_month], share[by_month].astype(np.float32))


def shift_events(ev: Events, offset: int) -> Events:
    """The same events with path indices moved by `offset` (to join blocks into a chunk)."""
    return Events(ev.path + offset, ev.node, ev.start, ev.end)


def join_events(parts: list[Events]) -> Events:
    """Concatenate events of several blocks."""
    return Events(*(np.concatenate([getattr(e, f) for e in parts])
                    for f in ("path", "node", "start", "end")))


def block_online(u: Uncertainty, paths: int, rng: np.random.Generator) -> FloatArray:
    """(L, paths) online months of one block: the programme drawn first from the block's stream."""
    fin = None
    if u.samples_programme and u.network is not None:
        fin = sample_finishes(u.network, paths, rng, u.order)
    return online_months(u, fin, paths).T.copy()


def sample_block(u: Uncertainty, paths: int, rng: np.random.Generator) -> tuple[FloatArray, Events]:
    """(online months (L, paths), events) of one block of paths."""
    online = block_online(u, paths, rng)
    return online, sample_events(u, paths, rng)
