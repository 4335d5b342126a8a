"""Online months of block ranges for the JAX backend, drawn on host worker processes.

Kept apart from the JAX backend so the worker processes (spawned: JAX is
loaded in the parent) import numpy and the programme engine only, not JAX.
"""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.simulate.events import BLOCK, Uncertainty, block_online, block_rng

FloatArray = npt.NDArray[np.float64]


def online_blocks(u: Uncertainty, seed: int, b0: int, b1: int) -> FloatArray:
    """(L, (b1 - b0) * BLOCK) online months of blocks b0 .. b1 - 1 (the programme sampler, per block)."""
    return np.concatenate([block_online(u, BLOCK, block_rng(seed, blk)) for blk in range(b0, b1)], axis=1)


_POOL_U: list[Uncertainty] = []


def _pool_init(u: Uncertainty) -> None:
    _POOL_U[:] = [u]
    if hasattr(os, "nice"):  # the process launching the device's kernels comes first
        os.nice(10)


def _pool_online(seed: int, b0: int, b1: int) -> FloatArray:
    return online_blocks(_POOL_U[0], seed, b0, b1)


class OnlineSampler:
    """Online months of block ranges, on worker processes when the programme is sampled.

    The programme sampler runs on the host (numpy, per block) while the device
    runs the month loop; with ``workers`` > 0 a range is split over a process
    pool ('spawn': JAX is loaded here) and may be requested ahead, so the next
    chunk's months are drawn while the device runs this one. Numbers depend
    only on the seed and the block, never on the workers.
    """

    def __init__(self, u: Uncertainty, seed: int, workers: int) -> None:
        self.u, self.seed, self.workers = u, seed, workers
        self._pool: Any = None
        self._ahead: dict[tuple[int, int], list[Any]] = {}

    def request(self, b0: int, b1: int) -> None:
        """Start drawing blocks b0 .. b1 - 1 (no-op without workers)."""
        if self.workers <= 0 or b1 <= b0 or (b0, b1) in self._ahead:
            return
        if self._pool is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                             initializer=_pool_init, initargs=(self.u,))
        step = max(1, -(-(b1 - b0) // self.workers))
        self._ahead[(b0, b1)] = [self._pool.submit(_pool_online, self.seed, lo, min(b1, lo + step))
                                 for lo in range(b0, b1, step)]

    def get(self, b0: int, b1: int) -> FloatArray:
        """Online months of blocks b0 .. b1 - 1 (waiting for a request, or drawing them here)."""
        self.request(b0, b1)
        parts = self._ahead.pop((b0, b1), None)
        if parts is None:
            return online_blocks(self.u, self.seed, b0, b1)
        try:
            return np.concatenate([f.result() for f in parts], axis=1)
        except BrokenProcessPool:  # e.g. a script without the __main__ guard: draw them here
            self.close()
            self.workers = 0
            return online_blocks(self.u, self.seed, b0, b1)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._ahead.clear()


def sampler_workers(u: Uncertainty, total_paths: int) -> int:
    """Worker processes for the programme sampler: none for small runs or few cores; two cores are
    left to the process that launches the device's kernels (a precaution, not a measured need)."""
    cores = os.cpu_count() or 1
    if not u.samples_programme or total_paths < 64 * BLOCK or cores < 4:
        return 0
    return min(cores - 2, 14)
