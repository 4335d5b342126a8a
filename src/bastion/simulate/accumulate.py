"""Streaming statistics over chunks of paths: memory does not grow with the number of paths.

Counts (targets met, first-output months, histograms) are integers; sums of
floats are taken per fixed block of paths (events.BLOCK) and added in path
order, so the totals do not depend on the chunk size. Quantiles come from
fixed-bin histograms, clamped to the exact streaming minimum and maximum.
Per-path rows (total cost, month each target was reached, first output) are
kept for the first `keep` paths only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bastion.simulate.events import BLOCK
from bastion.simulate.numpy_backend import FAN_BINS, ChunkOutput
from bastion.simulate.params import KernelParams
from bastion.simulate.quantiles import BY_BINS, EXACT_VALUES, bin_of, target_edges

FloatArray = npt.NDArray[np.float64]

def hist_quantiles(counts: npt.NDArray[np.int64], upper: float, qs: tuple[float, ...],
                   lo: float, hi: float) -> list[float]:
    """Quantiles of values binned in equal bins over [0, upper], interpolated, clamped to [lo, hi]."""
    total = int(counts.sum())
    if total == 0:
        return [float("nan")] * len(qs)
    width = upper / len(counts)
    cum = np.cumsum(counts)
    out = []
    for q in qs:
        r = q * total
        k = int(np.searchsorted(cum, r, side="left"))
        k = min(k, len(counts) - 1)
        before = float(cum[k - 1]) if k else 0.0
        inside = float(counts[k])
        x = width * (k + ((r - before) / inside if inside else 0.5))
        out.append(float(min(max(x, lo), hi)))
    return out


@dataclass
class Accumulator:
    """Running totals of every chunk added so far."""

    p: KernelParams
    fixed_cost: FloatArray  # (L,)
    built: npt.NDArray[np.bool_]  # (L,)
    capex: float
    upper: FloatArray  # (Q,) stockpile bin range
    keep: int

    def __post_init__(self) -> None:
        p = self.p
        self.paths = 0
        self.met = np.zeros(p.t, dtype=np.int64)
        self.by_hist = np.zeros((p.t, BY_BINS), dtype=np.int64)
        self.by_edges = [target_edges(float(p.target_thr[t]), float(self.upper[p.target_pile[t]]))
                         for t in range(p.t)]
        self.by_values: list[FloatArray] | None = []  # None once past EXACT_VALUES
        self.by_min = np.full(p.t, np.inf)
        self.by_max = np.full(p.t, -np.inf)
        self.first_hist = np.zeros(p.n + 1, dtype=np.int64)  # month n: no output in the horizon
        self.fan_hist = np.zeros((p.q, p.n, FAN_BINS), dtype=np.int64)
        self.fan_min = np.full((p.q, p.n), np.inf)
        self.fan_max = np.full((p.q, p.n), -np.inf)
        self.by_sum = np.zeros(p.t)
        self.unmet_sum = np.zeros(p.q)
        self.unmet_any = 0
        self.cost_sum = np.zeros(5)  # capex, purchases, production, fixed, holding
        self.kept_cost: list[FloatArray] = []
        self.kept_met: list[npt.NDArray[np.int16]] = []
        self.kept_first: list[npt.NDArray[np.int16]] = []
        self.kernel_seconds = 0.0

    def per_path(self, c: ChunkOutput) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        """(costs (P, 5), first-output month (P,), n when none) of a chunk's paths."""
        n = self.p.n
        onl = np.where(self.built[None, :], c.online, np.inf)
        start = np.maximum(onl, 0.0)
        months = np.clip(n - start, 0.0, None)
        fixed = (months * self.fixed_cost[None, :]).sum(axis=1)
        first = np.minimum(start.min(axis=1) if onl.shape[1] else np.full(c.paths, np.inf), n)
        cost = np.column_stack([np.full(c.paths, self.capex), c.cost[:, 0], c.cost[:, 1], fixed,
                                c.cost[:, 2]])
        return cost, first.astype(np.int64)

    def add(self, c: ChunkOutput) -> None:
        """Add one chunk (chunks must come in path order)."""
        p = self.p
        assert c.first_path == self.paths, "chunks must be added in path order"
        self.paths += c.paths
        self.kernel_seconds += c.kernel_seconds
        self.met += ((c.at_by >= p.target_thr[None, :]) & (p.target_by[None, :] < p.n)).sum(axis=0)
        for t in range(p.t):
            self.by_hist[t] += np.bincount(bin_of(c.at_by[:, t], self.by_edges[t]), minlength=BY_BINS)
        if self.by_values is not None:
            if self.paths * p.t <= EXACT_VALUES:
                self.by_values.append(np.array(c.at_by, dtype=np.float64))
            else:
                self.by_values = None
        if c.paths:
            self.by_min = np.minimum(self.by_min, c.at_by.min(axis=0))
            self.by_max = np.maximum(self.by_max, c.at_by.max(axis=0))
        cost, first = self.per_path(c)
        self.first_hist += np.bincount(first, minlength=p.n + 1)
        self.fan_hist += c.fan_hist
        self.fan_min = np.minimum(self.fan_min, c.fan_min)
        self.fan_max = np.maximum(self.fan_max, c.fan_max)
        self.unmet_any += int((c.unmet.sum(axis=1) > 1e-6).sum())
        for lo in range(0, c.paths, BLOCK):
            hi = min(lo + BLOCK, c.paths)
            self.unmet_sum += c.unmet[lo:hi].sum(axis=0)
            self.by_sum += c.at_by[lo:hi].sum(axis=0)
            self.cost_sum += cost[lo:hi].sum(axis=0)
        room = self.keep - sum(len(k) for k in self.kept_cost)
        if room > 0:
            k = min(room, c.paths)
            self.kept_cost.append(cost[:k].sum(axis=1))
            self.kept_met.append(c.met[:k].astype(np.int16))
            self.kept_first.append(first[:k].astype(np.int16))
