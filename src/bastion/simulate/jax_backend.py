"""The JAX backend: the shared kernel under ``jax.lax.scan`` and ``jax.jit``, float32 by default.

Online months come from the programme engine's sampler (numpy, per block of
paths, as in the numpy backend). Events are sampled on the device: each
source gets a fixed number K of event slots per path (exponential gaps from
t = 0; K is the Poisson count exceeded with probability below 1e-9 over the
horizon), each node gathers the slots of its sources, and the union of its
events is reduced to disjoint pieces (sorted starts, running maximum of ends).
The covered share of month m is then the measure of the pieces in [m, m + 1),
computed inside the scan, so nothing of size paths x months x nodes is held.
Stockpiles are counted into 256-bin histograms month by month inside the
scan (fan charts), so nothing of size paths x months leaves it.

Random keys: block b of paths uses ``fold_in(PRNGKey(seed), b)``, so results
do not depend on the chunk size. The streams differ from the numpy
backend's: the two agree statistically, not path by path.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

try:
    import jax
    import jax.numpy as jnp
except ImportError as error:  # pragma: no cover - exercised without jax
    raise ImportError("the jax backend needs `pip install bastion[jax]`") from error

from bastion.simulate.events import BLOCK, Uncertainty
from bastion.simulate.kernel import PlanMonth, Shocks, init_state, step
from bastion.simulate.numpy_backend import FAN_BINS, ChunkOutput, sample_chunk
from bastion.simulate.online import OnlineSampler, sampler_workers
from bastion.simulate.params import KernelParams

FloatArray = npt.NDArray[np.float64]
BIG = 1.0e9


CACHE_ENV = "BASTION_JAX_CACHE"


def compilation_cache(environ: Mapping[str, str] | None = None, default: str | None = None) -> str | None:
    """Turn on JAX's persistent compilation cache; the folder used, or None.

    `$BASTION_JAX_CACHE` names the folder ("off" turns it off); when it is
    unset, a folder the caller already gave JAX (`jax_compilation_cache_dir`)
    is kept, else `default` (the command line passes `jax-cache` beside the run
    store; the engine itself knows no file, so without a default there is no
    persistent cache). A second run of the same scenario then loads the
    compiled month loop instead of compiling it again (about 15 s on an H200,
    2 s on a CPU). The compiled code, and so every number, is the same.
    """
    env = os.environ if environ is None else environ
    chosen = env.get(CACHE_ENV)
    current = jax.config.values.get("jax_compilation_cache_dir")
    if chosen is not None and chosen.strip().lower() in ("", "off", "0", "no", "false"):
        return None
    if chosen is None:
        if current:
            return str(current)
        if default is None:
            return None
        chosen = default
    chosen = os.path.expanduser(chosen)
    if current != chosen:
        jax.config.update("jax_compilation_cache_dir", chosen)  # type: ignore[no-untyped-call]
    # Keep every compilation, however quick: JAX's default (1 s) made whether the month loop
    # was kept depend on how busy the machine was while it compiled.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # type: ignore[no-untyped-call]
    return chosen


def slots_for(mean: float, tail: float = 1e-9) -> int:
    """Smallest K with P(Poisson(mean) > K) < tail (at least 1)."""
    k, term = 0, math.exp(-mean)
    cdf = term
    while 1.0 - cdf >= tail and k < 10_000:
        k += 1
        term *= mean / k
        cdf += term
    return max(1, k)


def _triangular(u: Any, a: float, c: float, b: float) -> Any:
    width = b - a
    if width <= 0:
        return jnp.full(u.shape, round(a, 2), dtype=u.dtype)
    fc = (c - a) / width
    left = a + jnp.sqrt(u * width * (c - a))
    right = b - jnp.sqrt((1.0 - u) * width * (b - c))
    return jnp.round(jnp.where(u < fc, left, right) * 100.0) / 100.0


def node_slots(u: Uncertainty) -> tuple[list[int], list[list[tuple[int, int]]]]:
    """Event slots of each source, and each node's (source, slot) pairs."""
    slots = [slots_for(src.rate_per_month * u.n) for src in u.sources]
    members: list[list[tuple[int, int]]] = [[] for _ in range(u.risky)]
    for s, src in enumerate(u.sources):
        for node in src.nodes:
            members[node].extend((s, k) for k in range(slots[s]))
    return slots, members


MEMORY = 8 * 2**30
"""Device memory assumed for a chunk when the device does not say (bytes): a 16 GB accelerator."""


def device_memory() -> int:
    """Half the default device's memory limit as JAX reports it, else :data:`MEMORY`."""
    try:
        stats = jax.devices()[0].memory_stats() or {}
    except Exception:  # pragma: no cover - backends without memory statistics
        stats = {}
    limit = int(stats.get("bytes_limit", 0))
    return limit // 2 if limit > 0 else MEMORY


def accelerator_chunk(p: KernelParams, u: Uncertainty, memory: int | None = None,
                      itemsize: int = 4) -> int:
    """Paths per chunk on an accelerator: 2^20 (measured best on an H200; 2^22 was no faster),
    fewer when a chunk's arrays (estimated, with temporaries) would pass `memory` or one array
    would pass 2^31 elements (XLA's 32-bit indexing)."""
    slots, members = node_slots(u)
    width = max([len(m) for m in members] + [1])
    rows = (p.sp * (p.store_depth + 2) + p.ss * 2 + p.li * 2 + p.dl * 2 + p.q * (p.pile_depth + 4)
            + len(p.line_cap) + 3 + 2 * p.t + 4 * u.risky * (width + 1) + 2 * sum(slots))
    widest = max(u.risky * (width + 1), sum(slots) + 1, p.store_depth * p.sp, p.pile_depth * p.q,
                 p.sp + 1, p.ss + 1, p.li + 1, p.dl + 1, p.q + 1)
    budget = device_memory() if memory is None else memory
    cap = min(budget // (itemsize * 2 * rows), (2**31 - 1) // widest, 2**20)
    blocks = max(1, cap // BLOCK)
    return int(2 ** int(math.log2(blocks))) * BLOCK


def window_size(u: Uncertainty, width: int) -> int:
    """Most union components of one node that can meet one month (at least 1, at most `width`).

    A component is at least as long as its longest event, so at least d = the
    node's shortest possible duration (0.01 month at the least: durations are
    whole hundredths and empty events are dropped), and components are
    separated by gaps: at most ceil(1/d) + 1 of them meet any [m, m + 1).
    """
    shortest = [math.inf] * u.risky
    for src in u.sources:  # one hundredth less: float32 rounding of a duration may take it off
        d = max(round(src.duration[0], 2) - 0.01, 0.01)
        for node in src.nodes:
            shortest[node] = min(shortest[node], d)
    bound = max([math.ceil(1.0 / d - 1e-9) + 1 for d in shortest if d < math.inf] + [1])
    return max(1, min(width, bound))


def by_start(ns: Any, ne: Any) -> tuple[Any, Any, Any, Any]:
    """Events sorted by start, with the running maximum of ends (reach) and its value before each."""
    order = jnp.argsort(ns, axis=1)
    ns = jnp.take_along_axis(ns, order, axis=1)
    ne = jnp.take_along_axis(ne, order, axis=1)
    reach = jax.lax.cummax(ne, axis=1)
    before = jnp.concatenate([jnp.full_like(reach[:, :1], -BIG), reach[:, :-1]], axis=1)
    return ns, ne, reach, before


def components(ns: Any, ne: Any) -> tuple[Any, Any]:
    """Union components (a, b) (risky, width, P) of each node's events, sorted, unused ones BIG.

    ns, ne: event starts and ends (risky, width, P), unused slots BIG. Events
    are sorted by start; an event opens a component when it starts after
    every earlier one has ended; the component ends at the running maximum of
    ends just before the next opening. Components are then packed to the front.
    """
    ns, ne, reach, before = by_start(ns, ne)
    opens = ns > before
    last = jnp.concatenate([opens[:, 1:], jnp.ones_like(opens[:, :1])], axis=1)
    ends = jax.lax.cummin(jnp.where(last, reach, BIG), axis=1, reverse=True)
    a = jnp.where(opens, ns, BIG)
    b = jnp.where(opens, ends, BIG)
    pack = jnp.argsort(a, axis=1)
    return jnp.take_along_axis(a, pack, axis=1), jnp.take_along_axis(b, pack, axis=1)


def window_cover(a: Any, b: Any, j: Any, m: Any, size: int) -> tuple[Any, Any]:
    """Covered share of month m (risky, P) from components j .. j + size - 1, and the next j.

    a, b: components (risky, width + 1, P), the last column BIG; j: (risky, P)
    index of each path's first component that ends after m. Components ending
    by m + 1 are passed (they are a prefix of the window: ends increase).
    """
    width = a.shape[1] - 1
    idx = jnp.minimum(j[:, None, :] + jnp.arange(size, dtype=j.dtype)[None, :, None], width)
    aj = jnp.take_along_axis(a, idx, axis=1)
    bj = jnp.take_along_axis(b, idx, axis=1)
    cov = jnp.clip(jnp.minimum(bj, m + 1.0) - jnp.maximum(aj, m), 0.0, 1.0).sum(axis=1)
    step = (bj <= m + 1.0).sum(axis=1).astype(j.dtype)
    return jnp.minimum(cov, 1.0), j + step


def hist_scatter(bins: Any, valid: Any) -> Any:
    """(q, FAN_BINS) counts of one month's bins (q, P) over the valid paths: one bincount (atomics)."""
    q = bins.shape[0]
    flat = jnp.arange(q)[:, None] * FAN_BINS + bins.astype(jnp.int32)
    weight = jnp.broadcast_to(valid, flat.shape).astype(jnp.int32).reshape(-1)
    return jnp.bincount(flat.reshape(-1), weights=weight, length=q * FAN_BINS).reshape(q, FAN_BINS)


def hist_sort(bins: Any, valid: Any) -> Any:
    """The same counts by sorting each pile's row and counting the run of each bin value.

    Padding paths are counted in bin 0 and taken off again (no atomics, which
    contend on accelerators when most paths fall in a few bins).
    """
    q, paths = bins.shape
    rows = jnp.sort(jnp.where(valid[None, :], bins, jnp.uint8(0)), axis=-1)
    edges = jnp.arange(FAN_BINS, dtype=rows.dtype)
    pos = jax.vmap(lambda r: jnp.searchsorted(r, edges, side="left"))(rows).astype(jnp.int32)
    pos = jnp.concatenate([pos, jnp.full((q, 1), paths, dtype=jnp.int32)], axis=1)
    counts = jnp.diff(pos, axis=1)
    return counts.at[:, 0].add(-(paths - valid.sum().astype(jnp.int32)))


HISTOGRAMS = {"scatter": hist_scatter, "sort": hist_sort}


def _pad(x: Any, size: int) -> Any:
    """x with its last axis (paths) padded to `size` by repeating its last path (results dropped)."""
    extra = size - x.shape[-1]
    if extra <= 0:
        return x
    return np.concatenate([x, np.repeat(x[..., -1:], extra, axis=-1)], axis=-1)


class JaxRunner:
    """Runs chunks of paths on the default JAX device."""

    def __init__(self, p: KernelParams, u: Uncertainty, seed: int, upper: FloatArray,
                 dtype: str = "float32", events: str | None = None, coverage: str = "window",
                 hist: str | None = None, total_paths: int = 0) -> None:
        if dtype == "float64":
            jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
        compilation_cache()
        self.p, self.u, self.seed = p, u, seed
        # "host": events sampled by the numpy sampler (numpy streams) and handed to the scan as
        # dense hundredths of a month; "device": sampled in JAX (for accelerators).
        self.host = (jax.default_backend() == "cpu") if events is None else events == "host"
        self.dtype = jnp.float64 if dtype == "float64" else jnp.float32
        self.upper = upper
        self.slots, members = node_slots(u)
        offs = np.concatenate([[0], np.cumsum(self.slots)]).astype(np.int64)
        width = max([len(m) for m in members] + [1])
        self.total_slots = int(offs[-1])
        idx = np.full((u.risky, width), self.total_slots, dtype=np.int64)
        for node, mem in enumerate(members):
            idx[node, : len(mem)] = [offs[s] + k for s, k in mem]
        self.node_idx = idx
        # "window": union components + a per-path pointer, J of them read per month; "full": every
        # slot of every node read per month (the first version; kept for comparison and tests)
        if coverage not in ("window", "full"):
            raise ValueError(f"coverage must be 'window' or 'full', not {coverage!r}")
        self.coverage = coverage
        self.window = window_size(u, width)
        # fan histograms: "sort" (rows sorted, then counted; no atomics, for accelerators) or
        # "scatter" (one bincount; the CPU default)
        self.hist = hist or ("scatter" if jax.default_backend() == "cpu" else "sort")
        if self.hist not in HISTOGRAMS:
            raise ValueError(f"hist must be one of {', '.join(HISTOGRAMS)}, not {self.hist!r}")
        self.total = total_paths
        self.online = OnlineSampler(u, seed, 0 if self.host else sampler_workers(u, total_paths))
        self.kernel_seconds = 0.0
        self._compiled: dict[int, Any] = {}

    # -- sampling ---------------------------------------------------------------------------
    def _events(self, key: Any, paths: int) -> tuple[Any, Any]:
        """(starts, ends) (total_slots, paths) of every source's event slots (BIG when unused)."""
        u, dt = self.u, self.dtype
        starts, ends = [], []
        for s, src in enumerate(u.sources):
            k = self.slots[s]
            ks = jax.random.fold_in(key, s)
            gaps = jax.random.exponential(ks, (k, paths), dtype=dt) / src.rate_per_month
            t = jnp.round(jnp.cumsum(gaps, axis=0) * 100.0) / 100.0
            dur = _triangular(jax.random.uniform(jax.random.fold_in(ks, 1), (k, paths), dtype=dt),
                              *src.duration)
            ok = (t < u.n) & (dur > 0)
            starts.append(jnp.where(ok, t, BIG))
            ends.append(jnp.where(ok, t + dur, BIG))
        return jnp.concatenate(starts, axis=0), jnp.concatenate(ends, axis=0)

    def _node_events(self, keys: Any) -> tuple[Any, Any]:
        """(starts, ends) (risky, width, P) of each node's event slots, blocks of paths side by side."""
        def block(key: Any) -> tuple[Any, Any]:
            return self._events(key, BLOCK)
        s, e = jax.vmap(block)(keys)  # (nb, S, BLOCK)
        s = jnp.moveaxis(s, 0, 1).reshape(s.shape[1], -1)
        e = jnp.moveaxis(e, 0, 1).reshape(e.shape[1], -1)
        pad = jnp.full((1, s.shape[1]), BIG, dtype=s.dtype)
        s, e = jnp.concatenate([s, pad]), jnp.concatenate([e, pad])
        return s[self.node_idx], e[self.node_idx]

    def _pieces(self, keys: Any) -> tuple[Any, Any]:
        """Disjoint pieces (a, b) (risky, width, P) of each node's union of events."""
        ns, ne, _reach, before = by_start(*self._node_events(keys))
        a = jnp.maximum(ns, before)
        return a, jnp.maximum(ne, a)

    def _components(self, keys: Any) -> tuple[Any, Any]:
        """Union components (a, b) (risky, width + 1, P) of each node's events (last column BIG)."""
        a, b = components(*self._node_events(keys))
        col = jnp.full_like(a[:, :1], BIG)
        return jnp.concatenate([a, col], axis=1), jnp.concatenate([b, col], axis=1)

    # -- the chunk --------------------------------------------------------------------------
    def _build(self, paths: int) -> Any:
        p, u, dt = self.p, self.u, self.dtype
        months = jnp.arange(p.n, dtype=dt)
        xs = (months, jnp.asarray(p.orders[:, :, None], dt), jnp.asarray(p.cum_prod[:, :, None], dt),
              jnp.asarray(p.cum_del[:, :, None], dt), jnp.asarray(p.consumption[:, :, None], dt))
        scale = jnp.asarray((FAN_BINS / self.upper)[:, None], dt)
        r = u.risky

        host, window, size = self.host, self.coverage == "window", self.window
        histogram = HISTOGRAMS[self.hist]

        def run(keys: Any, online: Any, n_valid: Any) -> Any:
            valid = jnp.arange(paths) < n_valid
            a = b = jnp.zeros(())
            if host:  # keys: (N, risky + 1, P) covered hundredths, sampled on the host
                x_s: tuple[Any, ...] = (*xs, keys)
            else:
                if r:
                    a, b = self._components(keys) if window else self._pieces(keys)
                x_s = xs
            j0 = jnp.zeros((r, paths), jnp.int32)

            def body(carry: Any, x: Any) -> Any:
                st, j = carry
                m = x[0]
                if host:
                    cov = x[5].astype(dt) * dt(0.01)
                elif r and window:
                    c, j = window_cover(a, b, j, m, size)
                    cov = jnp.concatenate([c, jnp.zeros((1, paths), dt)])
                elif r:
                    cov = jnp.clip(jnp.minimum(b, m + 1.0) - jnp.maximum(a, m), 0.0, 1.0).sum(axis=1)
                    cov = jnp.concatenate([jnp.minimum(cov, 1.0), jnp.zeros((1, paths), dt)])
                else:
                    cov = jnp.zeros((1, paths), dt)
                sh = Shocks(avail_sup=1.0 - cov[u.sup_col], avail_line=1.0 - cov[u.line_col],
                            surge=cov[u.cust_col])
                st, out = step(jnp, st, p, PlanMonth(m, x[1], x[2], x[3], x[4]), sh)
                bins = jnp.clip((out.pile * scale).astype(jnp.int32), 0, FAN_BINS - 1)
                lo = jnp.where(valid, out.pile, jnp.inf).min(axis=1)
                hi = jnp.where(valid, out.pile, -jnp.inf).max(axis=1)
                return (st, j), (histogram(bins.astype(jnp.uint8), valid), lo, hi)

            state = init_state(jnp, p, paths, online, dt)
            (st, _j), (hist, lo, hi) = jax.lax.scan(body, (state, j0), x_s)
            return st.at_by, st.met, st.unmet, st.cost, jnp.moveaxis(hist, 0, 1), lo.T, hi.T

        return jax.jit(run)

    def _size(self, paths: int) -> int:
        """Compiled size for a chunk: the smallest one already compiled that holds it (a short last
        chunk is padded, not compiled again), else its whole blocks."""
        need = -(-paths // BLOCK) * BLOCK
        fits = [s for s in self._compiled if s >= need]
        if fits:
            return min(fits)
        self._compiled[need] = self._build(need)
        return need

    def __call__(self, first: int, paths: int) -> ChunkOutput:
        import time

        u = self.u
        size = self._size(paths)
        need = -(-paths // BLOCK) * BLOCK
        if self.host:
            online, cov = sample_chunk(u, self.seed, first, need)
            hundredths = _pad(cov.hundredths(), size)
            t0 = time.perf_counter()
            res = jax.block_until_ready(  # type: ignore[no-untyped-call]
                self._compiled[size](hundredths, jnp.asarray(_pad(online, size), self.dtype), paths))
            return self._output(first, paths, online, res, time.perf_counter() - t0)
        b0 = first // BLOCK
        online = self.online.get(b0, b0 + need // BLOCK)
        base = jax.random.PRNGKey(self.seed)
        keys = jax.vmap(lambda b: jax.random.fold_in(base, b))(jnp.arange(b0, b0 + size // BLOCK))
        t0 = time.perf_counter()
        res = self._compiled[size](keys, jnp.asarray(_pad(online, size), self.dtype), paths)
        nxt = first + paths  # the next chunk's months are drawn while the device runs this one
        if nxt < self.total:
            k = -(-min(paths, self.total - nxt) // BLOCK)
            self.online.request(nxt // BLOCK, nxt // BLOCK + k)
        res = jax.block_until_ready(res)  # type: ignore[no-untyped-call]
        return self._output(first, paths, online, res, time.perf_counter() - t0)

    def close(self) -> None:
        """Stop the programme sampler's worker processes."""
        self.online.close()

    @staticmethod
    def _output(first: int, paths: int, online: FloatArray, res: Any, seconds: float) -> ChunkOutput:
        at_by, met, unmet, cost, hist, lo, hi = res
        k = paths
        return ChunkOutput(
            first_path=first, paths=paths, online=online[:, :k].T,
            at_by=np.asarray(at_by, dtype=np.float64)[:, :k].T, met=np.asarray(met)[:, :k].T,
            unmet=np.asarray(unmet, dtype=np.float64)[:, :k].T,
            cost=np.asarray(cost, dtype=np.float64)[:, :k].T,
            fan_hist=np.asarray(hist, dtype=np.int64), fan_min=np.asarray(lo, dtype=np.float64),
            fan_max=np.asarray(hi, dtype=np.float64), kernel_seconds=seconds,
        )
