"""The numpy backend: a Python loop over months of the shared kernel, vectorised over paths (float64)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.simulate.events import (
    BLOCK,
    Coverage,
    Events,
    Uncertainty,
    block_rng,
    coverage,
    join_events,
    sample_block,
    shift_events,
)
from bastion.simulate.kernel import Out, PlanMonth, Shocks, init_state, step
from bastion.simulate.params import KernelParams

FloatArray = npt.NDArray[np.float64]

FAN_BINS = 256
"""Bins of the per-customer, per-month stockpile histograms (fan charts)."""


@dataclass(frozen=True, eq=False)
class ChunkOutput:
    """What one chunk of paths hands to the accumulator (numpy arrays, paths in index order)."""

    first_path: int
    paths: int
    online: FloatArray  # (P, L)
    at_by: FloatArray  # (P, T)
    met: npt.NDArray[np.int32]  # (P, T)
    unmet: FloatArray  # (P, Q)
    cost: FloatArray  # (P, 3) purchases, production, holding
    fan_hist: npt.NDArray[np.int64]  # (Q, N, FAN_BINS)
    fan_min: FloatArray  # (Q, N)
    fan_max: FloatArray  # (Q, N)
    kernel_seconds: float = 0.0


def fan_upper(p: KernelParams) -> FloatArray:
    """Largest stockpile each pile can hold: initial stock + every planned delivery to it."""
    total = p.cum_del[-1] if p.n and p.dl else np.zeros(p.dl)
    up = p.init_pile + np.bincount(p.dl_pile, weights=total, minlength=p.q)
    out: FloatArray = np.maximum(up, 1e-9)
    return out


def fan_histogram(piles: FloatArray, upper: FloatArray) -> npt.NDArray[np.int64]:
    """(Q, N, FAN_BINS) counts of `piles` (N, Q, P) in FAN_BINS equal bins over [0, upper_q]."""
    n, q, _paths = piles.shape
    b = np.clip((piles * (FAN_BINS / upper)[None, :, None]).astype(np.int64), 0, FAN_BINS - 1)
    flat = (np.arange(q)[None, :, None] * n + np.arange(n)[:, None, None]) * FAN_BINS + b
    counts = np.bincount(flat.ravel(), minlength=q * n * FAN_BINS)
    out: npt.NDArray[np.int64] = counts.reshape(q, n, FAN_BINS).astype(np.int64)
    return out


def sample_chunk_events(u: Uncertainty, seed: int, first_path: int, paths: int
                        ) -> tuple[FloatArray, Events]:
    """Online months (L, P) and events of paths [first_path, first_path + paths) (block streams)."""
    assert first_path % BLOCK == 0
    onl, evs = [], []
    for b in range(first_path // BLOCK, (first_path + paths + BLOCK - 1) // BLOCK):
        k = min(BLOCK, first_path + paths - b * BLOCK)
        o, ev = sample_block(u, k, block_rng(seed, b))
        onl.append(o)
        evs.append(shift_events(ev, b * BLOCK - first_path))
    return np.concatenate(onl, axis=1), join_events(evs)


def sample_chunk(u: Uncertainty, seed: int, first_path: int, paths: int) -> tuple[FloatArray, Coverage]:
    """Online months (L, P) and coverage of paths [first_path, first_path + paths)."""
    online, events = sample_chunk_events(u, seed, first_path, paths)
    return online, coverage(u, events, paths)


SHARE = np.arange(101) / 100.0
"""Covered share of k hundredths of a month."""
AVAIL = 1.0 - SHARE


def shocks_of(u: Uncertainty, hund: npt.NDArray[np.uint8], m: int) -> Shocks:
    """The month's availability of suppliers and lines and surge shares (from Coverage.hundredths)."""
    c = hund[m]
    return Shocks(avail_sup=AVAIL[c[u.sup_col]], avail_line=AVAIL[c[u.line_col]],
                  surge=SHARE[c[u.cust_col]])


def plan_month(p: KernelParams, m: int) -> PlanMonth:
    """The plan's inputs of month m."""
    return PlanMonth(m=m, orders=p.orders[m, :, None], cum_prod=p.cum_prod[m, :, None],
                     cum_del=p.cum_del[m, :, None], consumption=p.consumption[m, :, None])


def run_months(p: KernelParams, u: Uncertainty, online: FloatArray, cov: Coverage,
               trace: bool = False) -> tuple[Any, FloatArray, list[Out]]:
    """Play every month; returns the final state, piles (N, Q, P) and, when tracing, each month's Out."""
    paths = online.shape[1]
    state = init_state(np, p, paths, online, np.float64)
    piles = np.empty((p.n, p.q, paths))
    outs: list[Out] = []
    hund = cov.hundredths()
    for m in range(p.n):
        state, out = step(np, state, p, plan_month(p, m), shocks_of(u, hund, m))
        piles[m] = out.pile
        if trace:
            outs.append(out)
    return state, piles, outs


def run_chunk(p: KernelParams, u: Uncertainty, seed: int, first_path: int, paths: int,
              upper: FloatArray) -> ChunkOutput:
    """Sample and simulate one chunk of paths."""
    import time

    online, cov = sample_chunk(u, seed, first_path, paths)
    t0 = time.perf_counter()
    state, piles, _ = run_months(p, u, online, cov)
    t1 = time.perf_counter()
    return ChunkOutput(
        first_path=first_path, paths=paths, online=online.T, at_by=state.at_by.T,
        met=state.met.T, unmet=state.unmet.T, cost=state.cost.T,
        fan_hist=fan_histogram(piles, upper), fan_min=piles.min(axis=2).T, fan_max=piles.max(axis=2).T,
        kernel_seconds=t1 - t0,
    )
