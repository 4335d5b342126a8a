"""The compiled backend: the month step compiled by numba, bit-identical to the numpy backend.

Same random streams as numpy (events and programme durations drawn per block
of paths by :func:`~bastion.simulate.numpy_backend.sample_chunk_events`), the
coverage of the events built straight from them
(:func:`~bastion.simulate.compiled_step.hundredths`), then the compiled step
over tiles of paths on every core (:func:`~bastion.simulate.compiled_step.run_tiles`).
While a chunk runs, the next chunk's paths are drawn on a second thread.

numba is a dependency, but the simulator keeps working without it: ``auto``
then picks numpy (:func:`choose_backend`). The compiled code is kept in
numba's cache (``NUMBA_CACHE_DIR``, which the CLI sets beside the run store);
the first run compiles it once, for every scenario.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from bastion.simulate.compiled_tables import Tables, compiled_supported, flatten
from bastion.simulate.events import BLOCK, Events, Uncertainty
from bastion.simulate.numpy_backend import FAN_BINS, ChunkOutput, sample_chunk_events
from bastion.simulate.params import KernelParams

FloatArray = npt.NDArray[np.float64]
Hundredths = npt.NDArray[np.uint8]

AUTO_MIN_PATH_MONTHS = 1_000_000
"""`auto` picks the compiled step from this many path-months on (paths x months), numpy below:
the numpy backend needs about 0.5-1 s per million path-months here, about what loading the
compiled step from its cache costs (docs/method-simulate.md)."""
CHUNK_BYTES = 64 << 20
"""Cap on a chunk's dense coverage array (months x (risky nodes + 1) x paths bytes)."""
MAX_CHUNK_BLOCKS = 16


def numba_available() -> bool:
    """Whether numba can be imported here."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def choose_backend(backend: str, p: KernelParams, paths: int) -> str:
    """The backend `auto` stands for: compiled for runs of at least AUTO_MIN_PATH_MONTHS
    path-months when numba imports and the plan's inputs suit it, else numpy."""
    if backend != "auto":
        return backend
    if paths * p.n >= AUTO_MIN_PATH_MONTHS and compiled_supported(p) and numba_available():
        return "compiled"
    return "numpy"


def compiled_chunk(p: KernelParams, u: Uncertainty) -> int:
    """Paths per chunk: up to 16 blocks, fewer when the coverage array would pass CHUNK_BYTES."""
    per_block = max(1, p.n * (u.risky + 1) * BLOCK)
    return int(min(MAX_CHUNK_BLOCKS, max(1, CHUNK_BYTES // per_block))) * BLOCK


class Final(NamedTuple):
    """The compiled step's outputs: final state (features x paths), fan statistics, piles."""

    store: FloatArray
    backlog: FloatArray
    cum_prod: FloatArray
    cum_del: FloatArray
    pile: FloatArray
    unmet: FloatArray
    cost: FloatArray
    at_by: FloatArray
    met: npt.NDArray[np.int32]
    fan_hist: npt.NDArray[np.int64]  # (Q, N, FAN_BINS)
    fan_min: FloatArray  # (Q, N)
    fan_max: FloatArray  # (Q, N)
    piles: FloatArray  # (N, Q, P) when traced, else (0, Q, P)


def _max_threads() -> int:
    """numba's thread count (the per-thread histograms have one row each)."""
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]


def _step_module() -> Any:
    from bastion.simulate import compiled_step

    return compiled_step


def hundredths_of(u: Uncertainty, ev: Events, paths: int) -> Hundredths:
    """``coverage(u, ev, paths).hundredths()``, computed by the compiled pass over the events."""
    out: Hundredths = _step_module().hundredths(ev.path, ev.node, ev.start, ev.end, u.n, u.risky,
                                                paths)
    return out


def _pad(x: Any, width: int) -> Any:
    """x with its last axis padded to `width` by repeating its last column (results dropped)."""
    extra = width - x.shape[-1]
    if extra <= 0:
        return np.ascontiguousarray(x)
    return np.ascontiguousarray(np.concatenate([x, np.repeat(x[..., -1:], extra, axis=-1)], axis=-1))


def run_step(tb: Tables, online: FloatArray, hund: Hundredths, scale: FloatArray,
             trace: bool = False) -> Final:
    """Every month on the paths of `online` (L, P) and `hund` (N, R + 1, P) (compiled step)."""
    cs = _step_module()

    dims = [int(v) for v in tb.dims]
    n, sp, ss, li, dl, q, t = dims[0], dims[1], dims[2], dims[5], dims[6], dims[7], dims[8]
    paths = int(online.shape[1])
    width = max(paths, cs.TILE)
    online = _pad(np.asarray(online, dtype=np.float64), width)
    hund = _pad(hund, width)
    threads = _max_threads()
    f = [np.empty((k, width)) for k in (sp, ss, li, dl, q, q, 3, t)]
    met = np.empty((t, width), dtype=np.int32)
    hist = np.zeros((threads, q, n, FAN_BINS), dtype=np.int32)
    fmin = np.full((threads, q, n), np.inf)
    fmax = np.full((threads, q, n), -np.inf)
    piles = np.empty((n if trace else 0, q, width))
    cs.run_tiles(tb, online, hund, paths, scale, *f, met, hist, fmin, fmax, piles)
    c = [a[:, :paths] for a in f]
    return Final(store=c[0], backlog=c[1], cum_prod=c[2], cum_del=c[3], pile=c[4], unmet=c[5],
                 cost=c[6], at_by=c[7], met=met[:, :paths], fan_hist=hist.sum(axis=0, dtype=np.int64),
                 fan_min=fmin.min(axis=0), fan_max=fmax.max(axis=0), piles=piles[:, :, :paths])


class CompiledRunner:
    """Runs chunks of paths with the compiled step (and draws the next chunk meanwhile)."""

    def __init__(self, p: KernelParams, u: Uncertainty, seed: int, upper: FloatArray,
                 total_paths: int = 0, threads: int | None = None,
                 compiling: Callable[[bool], None] | None = None) -> None:
        cs = _step_module()  # ImportError when numba is missing
        import numba

        if threads is not None:
            numba.set_num_threads(max(1, min(int(threads), _max_threads())))
        self.p, self.u, self.seed, self.total = p, u, seed, total_paths
        self.tb = flatten(p, u)
        self.scale: FloatArray = FAN_BINS / upper
        t0 = time.perf_counter()
        cold = not _loaded(cs, self.tb, u)
        if cold and compiling is not None:
            compiling(True)
        try:  # compile (or load from the cache) on one tile of planned months and no events
            z = np.zeros(0)
            ev = Events(z.astype(np.int64), z.astype(np.int64), z, z)
            hund = hundredths_of(u, ev, 1)
            run_step(self.tb, u.planned_online.astype(np.float64)[:, None], hund, self.scale)
        finally:
            if cold and compiling is not None:
                compiling(False)
        self.compile_seconds = time.perf_counter() - t0
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="bastion-sample") if total_paths else None
        self.pending: tuple[int, int, Future[tuple[FloatArray, Hundredths]]] | None = None

    def _sample(self, first: int, paths: int) -> tuple[FloatArray, Hundredths]:
        online, ev = sample_chunk_events(self.u, self.seed, first, paths)
        return online, hundredths_of(self.u, ev, paths)

    def __call__(self, first: int, paths: int) -> ChunkOutput:
        if self.pending is not None and self.pending[:2] == (first, paths):
            online, hund = self.pending[2].result()
        else:
            online, hund = self._sample(first, paths)
        self.pending = None
        nxt = first + paths
        if self.pool is not None and nxt < self.total:
            k = min(paths, self.total - nxt)
            self.pending = (nxt, k, self.pool.submit(self._sample, nxt, k))
        t0 = time.perf_counter()
        r = run_step(self.tb, online, hund, self.scale)
        t1 = time.perf_counter()
        return ChunkOutput(
            first_path=first, paths=paths, online=online.T, at_by=r.at_by.T, met=r.met.T,
            unmet=r.unmet.T, cost=r.cost.T, fan_hist=r.fan_hist, fan_min=r.fan_min,
            fan_max=r.fan_max, kernel_seconds=t1 - t0,
        )

    def close(self) -> None:
        """Stop the drawing thread."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _loaded(cs: Any, tb: Tables, u: Uncertainty) -> bool:
    """Whether both compiled functions are in memory or in numba's cache (no compile needed).

    Reads numba's dispatcher cache (not a public API): any failure counts as "not loaded",
    which only shows the compiling message when it was not needed.
    """
    import numba

    try:
        z = np.zeros(0)
        i = np.zeros(0, dtype=np.int64)
        h = np.zeros((1, 1, 1), dtype=np.uint8)
        f2, i2 = np.zeros((1, 1)), np.zeros((1, 1), dtype=np.int32)
        step_args = (tb, f2, h, 1, z, f2, f2, f2, f2, f2, f2, f2, f2, i2,
                     np.zeros((1, 1, 1, 1), dtype=np.int32), h.astype(np.float64),
                     h.astype(np.float64), h.astype(np.float64))
        for disp, args in ((cs.hundredths, (i, i, z, z, 1, 1, 1)), (cs.run_tiles, step_args)):
            sig = tuple(numba.typeof(a) for a in args)  # type: ignore[no-untyped-call]
            if sig in disp.overloads:
                continue
            if disp._cache.load_overload(sig, disp.targetctx) is None:
                return False
        return True
    except Exception:  # numba internals changed: assume a compile
        return False
