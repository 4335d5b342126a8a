"""The compiled backend: the month step compiled by numba, bit-identical to the numpy backend.

Same random streams as numpy (events and programme durations drawn per block
of paths by :func:`~bastion.simulate.numpy_backend.sample_chunk_events`), the
coverage of the events built straight from them
(:func:`~bastion.simulate.compiled_events.drawn_hundredths`), then the compiled step
over tiles of paths on every core (:func:`~bastion.simulate.compiled_step.run_tiles`).
While a chunk runs, the next chunk's paths are drawn on a second thread.

numba is a dependency, but the simulator keeps working without it: ``auto``
then picks numpy (:func:`choose_backend`). The compiled code is kept in
numba's cache (``NUMBA_CACHE_DIR``, which the CLI sets beside the run store);
the first run compiles it once, for every scenario.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from bastion.programme.risk import sample_durations, schedule_paths
from bastion.simulate.compiled_tables import Tables, compiled_supported, flatten
from bastion.simulate.events import BLOCK, Events, Uncertainty, block_rng, online_months
from bastion.simulate.numpy_backend import FAN_BINS, ChunkOutput
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


def _cores() -> int:
    """The compiled step's threads by default: every core this process may use, at most
    NUMBA_NUM_THREADS when set (a study's Dask worker sets it to 1: bastion.study.worker)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        cap = int(os.environ.get("NUMBA_NUM_THREADS") or cores)
    except ValueError:
        cap = cores
    return max(1, min(cores, cap))


def _step_module() -> Any:
    from bastion.simulate import compiled_step

    return compiled_step


def _events_module() -> Any:
    from bastion.simulate import compiled_events

    return compiled_events


def tiled_shape(u: Uncertainty, paths: int) -> tuple[int, int, int, int]:
    """Shape of a chunk's covered hundredths, tile by tile: (tiles, months, risky + 1, TILE)."""
    tile = int(_step_module().TILE)
    return (-(-paths // tile), u.n, u.risky + 1, tile)


def to_tiles(hund: Hundredths, tile: int) -> Hundredths:
    """(N, R + 1, P) covered hundredths (numpy's layout) as (tiles, N, R + 1, tile), pad 0."""
    n, r, paths = hund.shape
    t = -(-paths // tile)
    out = np.zeros((n, r, t * tile), dtype=np.uint8)
    out[:, :, :paths] = hund
    return np.ascontiguousarray(out.reshape(n, r, t, tile).transpose(2, 0, 1, 3))


def hundredths_of(u: Uncertainty, ev: Events, paths: int) -> Hundredths:
    """``to_tiles(coverage(u, ev, paths).hundredths())``, by the compiled pass over the events."""
    out: Hundredths = _events_module().hundredths(ev.path, ev.node, ev.start, ev.end, u.n, paths,
                                                  np.empty(tiled_shape(u, paths), dtype=np.uint8))
    return out


class Draws(NamedTuple):
    """The event sources' fixed tables for :func:`compiled_events.drawn_hundredths`."""

    tri: FloatArray  # (S, 4) a, c, b, fixed duration in hundredths when b <= a
    node_ptr: npt.NDArray[np.int64]
    nodes: npt.NDArray[np.int64]


def draw_tables(u: Uncertainty) -> Draws:
    """Durations and stopped nodes of every event source (events.sample_events' rules)."""
    tri = np.zeros((len(u.sources), 4))
    ptr = [0]
    nodes: list[int] = []
    for k, src in enumerate(u.sources):
        a, c, b = src.duration
        fixed = float(np.full(1, round(a, 2))[0])  # events.triangular of a degenerate range
        tri[k] = (a, c, b, float(np.rint(fixed * 100.0)))
        nodes += list(src.nodes)
        ptr.append(len(nodes))
    return Draws(tri, np.array(ptr, dtype=np.int64), np.array(nodes, dtype=np.int64))


def sample_chunk_hundredths(u: Uncertainty, dt: Draws, seed: int, first_path: int, paths: int,
                            out: Hundredths | None = None) -> tuple[FloatArray, Hundredths]:
    """Online months (L, P) and covered hundredths (tiles, N, R + 1, TILE) of paths
    [first, first + paths):
    numpy_backend.sample_chunk's draws from the same block streams, in the same order
    (programme durations, then each source's counts, starts and durations), with the
    programme schedules computed once for the chunk and the events turned into coverage by
    one compiled pass per block right after its draws, while they are still in the cache
    (:func:`compiled_events.drawn_hundredths`), never as event arrays.
    `out`: an array to reuse for the hundredths, when its shape fits."""
    assert first_path % BLOCK == 0
    shape = tiled_shape(u, paths)
    if out is None or out.shape != shape:
        out = np.empty(shape, dtype=np.uint8)
    tile = shape[3]
    assert BLOCK % tile == 0
    drawn = _events_module().drawn_hundredths
    n_src = len(u.sources)
    prog = u.samples_programme and u.network is not None
    durations = []
    ptr = np.zeros(n_src + 1, dtype=np.int64)
    for b in range(first_path // BLOCK, (first_path + paths + BLOCK - 1) // BLOCK):
        lo = b * BLOCK - first_path
        k = min(BLOCK, paths - lo)
        rng = block_rng(seed, b)
        if prog:
            assert u.network is not None
            durations.append(sample_durations(u.network, k, rng))
        counts = np.empty((n_src, k), dtype=np.int64)
        starts: list[FloatArray] = []
        durs: list[FloatArray] = []
        for s, src in enumerate(u.sources):
            c = rng.poisson(src.rate_per_month * u.n, k)
            counts[s] = c
            m = int(c.sum())
            starts.append(rng.random(m))
            durs.append(rng.random(m))
            ptr[s + 1] = ptr[s] + m
        u_start = np.concatenate(starts) if starts else np.zeros(0)
        u_dur = np.concatenate(durs) if durs else np.zeros(0)
        t0 = lo // tile
        drawn(counts, u_start, u_dur, ptr, dt.tri, dt.node_ptr, dt.nodes, u.n, k,
              out[t0:t0 + -(-k // tile)])
    fin = None
    if prog:
        assert u.network is not None
        fin = schedule_paths(u.network, np.concatenate(durations), u.order)[1]
    online = online_months(u, fin, paths).T.copy()
    return online, out


def _pad(x: Any, width: int) -> Any:
    """x with its last axis padded to `width` by repeating its last column (results dropped)."""
    extra = width - x.shape[-1]
    if extra <= 0:
        return np.ascontiguousarray(x)
    return np.ascontiguousarray(np.concatenate([x, np.repeat(x[..., -1:], extra, axis=-1)], axis=-1))


def run_step(tb: Tables, online: FloatArray, hund: Hundredths, scale: FloatArray,
             trace: bool = False, pool: ThreadPoolExecutor | None = None, threads: int = 1) -> Final:
    """Every month on the paths of `online` (L, P) and `hund` (tiles, N, R + 1, TILE), the
    covered hundredths tile by tile (:func:`to_tiles`), with the compiled step: on `threads`
    threads of `pool` (each takes the next few tiles until none are left, so a thread slowed
    by other work does not hold the others up), or in this thread when no pool is given."""
    cs = _step_module()

    dims = [int(v) for v in tb.dims]
    n, sp, ss, li, dl, q, t = dims[0], dims[1], dims[2], dims[5], dims[6], dims[7], dims[8]
    paths = int(online.shape[1])
    width = -(-paths // cs.TILE) * cs.TILE
    if hund.shape[0] * cs.TILE != width or hund.shape[3] != cs.TILE:
        raise ValueError("coverage and online months of different paths")
    online = _pad(np.asarray(online, dtype=np.float64), width)
    threads = max(1, threads) if pool is not None else 1
    f = [np.empty((k, width)) for k in (sp, ss, li, dl, q, q, 3, t)]
    met = np.empty((t, width), dtype=np.int32)
    hist = np.zeros((threads, q, n, FAN_BINS), dtype=np.int32)
    fmin = np.full((threads, q, n), np.inf)
    fmax = np.full((threads, q, n), -np.inf)
    piles = np.empty((n if trace else 0, q, width))
    tiles = width // cs.TILE
    if pool is None:
        cs.run_tiles(tb, online, hund, paths, scale, 0, tiles, 0, *f, met, hist, fmin, fmax, piles)
    else:
        grain = max(1, tiles // (8 * threads))
        grabs = itertools.count()

        def work(slot: int) -> None:
            while (lo := next(grabs) * grain) < tiles:  # itertools.count: one step at a time
                cs.run_tiles(tb, online, hund, paths, scale, lo, min(lo + grain, tiles), slot, *f,
                             met, hist, fmin, fmax, piles)

        for fut in [pool.submit(work, k) for k in range(threads)]:
            fut.result()
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
        _events_module()
        self.threads = max(1, int(threads)) if threads is not None else _cores()
        self.step_pool = ThreadPoolExecutor(self.threads, thread_name_prefix="bastion-step")
        self.p, self.u, self.seed, self.total = p, u, seed, total_paths
        self.tb = flatten(p, u)
        self.draws = draw_tables(u)
        self.scale: FloatArray = FAN_BINS / upper
        t0 = time.perf_counter()
        cold = not _loaded(cs, self.tb, u)
        if cold and compiling is not None:
            compiling(True)
        try:  # compile (or load from the cache) on one tile of planned months and no events
            online, hund = sample_chunk_hundredths(u, self.draws, seed, 0, 1)
            run_step(self.tb, online, hund, self.scale, pool=self.step_pool, threads=self.threads)
        finally:
            if cold and compiling is not None:
                compiling(False)
        self.compile_seconds = time.perf_counter() - t0
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="bastion-sample") if total_paths else None
        self.pending: tuple[int, int, Future[tuple[FloatArray, Hundredths]]] | None = None
        self.spare: list[Hundredths] = []  # coverage arrays to reuse (two in turn with the thread)

    def _sample(self, first: int, paths: int) -> tuple[FloatArray, Hundredths]:
        out = self.spare.pop() if self.spare else None
        return sample_chunk_hundredths(self.u, self.draws, self.seed, first, paths, out)

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
        r = run_step(self.tb, online, hund, self.scale, pool=self.step_pool, threads=self.threads)
        t1 = time.perf_counter()
        self.spare.append(hund)
        return ChunkOutput(
            first_path=first, paths=paths, online=online.T, at_by=r.at_by.T, met=r.met.T,
            unmet=r.unmet.T, cost=r.cost.T, fan_hist=r.fan_hist, fan_min=r.fan_min,
            fan_max=r.fan_max, kernel_seconds=t1 - t0,
        )

    def close(self) -> None:
        """Stop the drawing and step threads."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.step_pool.shutdown(wait=True)


def _loaded(cs: Any, tb: Tables, u: Uncertainty) -> bool:
    """Whether both compiled functions are in memory or in numba's cache (no compile needed).

    Reads numba's dispatcher cache (not a public API): any failure counts as "not loaded",
    which only shows the compiling message when it was not needed.
    """
    import numba

    try:
        z = np.zeros(0)
        i = np.zeros(0, dtype=np.int64)
        h = np.zeros((1, 1, 1, 1), dtype=np.uint8)
        f2, i2 = np.zeros((1, 1)), np.zeros((1, 1), dtype=np.int32)
        i2l = np.zeros((1, 1), dtype=np.int64)
        f3 = np.zeros((1, 1, 1))
        step_args = (tb, f2, h, 1, z, 1, 1, 1, f2, f2, f2, f2, f2, f2, f2, f2, i2,
                     np.zeros((1, 1, 1, 1), dtype=np.int32), f3, f3, f3)
        drawn_args = (i2l, z, z, i, f2, i, i, 1, 1, h)
        ce = _events_module()
        for disp, args in ((ce.drawn_hundredths, drawn_args), (cs.run_tiles, step_args)):
            sig = tuple(numba.typeof(a) for a in args)  # type: ignore[no-untyped-call]
            if sig in disp.overloads:
                continue
            if disp._cache.load_overload(sig, disp.targetctx) is None:
                return False
        return True
    except Exception:  # numba internals changed: assume a compile
        return False
