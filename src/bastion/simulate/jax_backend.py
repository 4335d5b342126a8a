"""The JAX backend: the shared kernel under ``jax.lax.scan`` and ``jax.jit``, float32 by default.

Online months come from the programme engine's sampler (numpy, per block of
paths, as in the numpy backend). Events are sampled on the device: each
source gets a fixed number K of event slots per path (exponential gaps from
t = 0; K is the Poisson count exceeded with probability below 1e-9 over the
horizon), each node gathers the slots of its sources, and the union of its
events is reduced to disjoint pieces (sorted starts, running maximum of ends).
The covered share of month m is then the measure of the pieces in [m, m + 1),
computed inside the scan, so nothing of size paths x months x nodes is held.
Stockpiles leave the scan as 8-bit histogram bins (fan charts).

Random keys: block b of paths uses ``fold_in(PRNGKey(seed), b)``, so results
do not depend on the chunk size. The streams differ from the numpy
backend's: the two agree statistically, not path by path.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

try:
    import jax
    import jax.numpy as jnp
except ImportError as error:  # pragma: no cover - exercised without jax
    raise ImportError("the jax backend needs `pip install bastion[jax]`") from error

from bastion.programme.risk import sample_finishes
from bastion.simulate.events import BLOCK, Uncertainty, block_rng, online_months
from bastion.simulate.kernel import PlanMonth, Shocks, init_state, step
from bastion.simulate.numpy_backend import FAN_BINS, ChunkOutput, sample_chunk
from bastion.simulate.params import KernelParams

FloatArray = npt.NDArray[np.float64]
BIG = 1.0e9


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


class JaxRunner:
    """Runs chunks of paths on the default JAX device."""

    def __init__(self, p: KernelParams, u: Uncertainty, seed: int, upper: FloatArray,
                 dtype: str = "float32", events: str | None = None) -> None:
        if dtype == "float64":
            jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
        self.p, self.u, self.seed = p, u, seed
        # "host": events sampled by the numpy sampler (numpy streams) and handed to the scan as
        # dense hundredths of a month; "device": sampled in JAX (for accelerators).
        self.host = (jax.default_backend() == "cpu") if events is None else events == "host"
        self.dtype = jnp.float64 if dtype == "float64" else jnp.float32
        self.upper = upper
        self.slots = [slots_for(src.rate_per_month * u.n) for src in u.sources]
        # node -> (source, slot) pairs
        members: list[list[tuple[int, int]]] = [[] for _ in range(u.risky)]
        for s, src in enumerate(u.sources):
            for node in src.nodes:
                members[node].extend((s, k) for k in range(self.slots[s]))
        offs = np.concatenate([[0], np.cumsum(self.slots)]).astype(np.int64)
        width = max([len(m) for m in members] + [1])
        self.total_slots = int(offs[-1])
        idx = np.full((u.risky, width), self.total_slots, dtype=np.int64)
        for node, mem in enumerate(members):
            idx[node, : len(mem)] = [offs[s] + k for s, k in mem]
        self.node_idx = idx
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

    def _pieces(self, keys: Any) -> tuple[Any, Any]:
        """Disjoint pieces (a, b) (risky, width, P) of each node's union of events."""
        def block(key: Any) -> tuple[Any, Any]:
            return self._events(key, BLOCK)
        s, e = jax.vmap(block)(keys)  # (nb, S, BLOCK)
        s = jnp.moveaxis(s, 0, 1).reshape(s.shape[1], -1)
        e = jnp.moveaxis(e, 0, 1).reshape(e.shape[1], -1)
        pad = jnp.full((1, s.shape[1]), BIG, dtype=s.dtype)
        s, e = jnp.concatenate([s, pad]), jnp.concatenate([e, pad])
        ns, ne = s[self.node_idx], e[self.node_idx]  # (risky, width, P)
        order = jnp.argsort(ns, axis=1)
        ns = jnp.take_along_axis(ns, order, axis=1)
        ne = jnp.take_along_axis(ne, order, axis=1)
        reach = jax.lax.cummax(ne, axis=1)
        before = jnp.concatenate([jnp.full_like(reach[:, :1], -BIG), reach[:, :-1]], axis=1)
        a = jnp.maximum(ns, before)
        return a, jnp.maximum(ne, a)

    # -- the chunk --------------------------------------------------------------------------
    def _build(self, paths: int) -> Any:
        p, u, dt = self.p, self.u, self.dtype
        months = jnp.arange(p.n, dtype=dt)
        xs = (months, jnp.asarray(p.orders[:, :, None], dt), jnp.asarray(p.cum_prod[:, :, None], dt),
              jnp.asarray(p.cum_del[:, :, None], dt), jnp.asarray(p.consumption[:, :, None], dt))
        scale = jnp.asarray((FAN_BINS / self.upper)[:, None], dt)
        r = u.risky

        host = self.host

        def run(keys: Any, online: Any, n_valid: Any) -> Any:
            valid = jnp.arange(paths) < n_valid
            if host:  # keys: (N, risky + 1, P) covered hundredths, sampled on the host
                a = b = jnp.zeros(())
                x_s: tuple[Any, ...] = (*xs, keys)
            else:
                a, b = self._pieces(keys) if r else (jnp.zeros(()), jnp.zeros(()))
                x_s = xs
            state = init_state(jnp, p, paths, online, dt)

            def body(st: Any, x: Any) -> Any:
                m = x[0]
                if host:
                    cov = x[5].astype(dt) * dt(0.01)
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
                return st, (bins.astype(jnp.uint8), lo, hi)

            st, (bins, lo, hi) = jax.lax.scan(body, state, x_s)
            q = p.q
            flat = ((jnp.arange(q)[None, :, None] * p.n + jnp.arange(p.n)[:, None, None]) * FAN_BINS
                    + bins.astype(jnp.int32))
            weight = jnp.broadcast_to(valid, flat.shape).astype(jnp.int32).reshape(-1)
            hist = jnp.bincount(flat.reshape(-1), weights=weight, length=q * p.n * FAN_BINS)
            hist = hist.reshape(q, p.n, FAN_BINS)
            return st.at_by, st.met, st.unmet, st.cost, hist, lo.T, hi.T

        return jax.jit(run)

    def __call__(self, first: int, paths: int) -> ChunkOutput:
        import time

        _p, u = self.p, self.u
        size = -(-paths // BLOCK) * BLOCK
        if size not in self._compiled:
            self._compiled[size] = self._build(size)
        if self.host:
            online, cov = sample_chunk(u, self.seed, first, size)
            t0 = time.perf_counter()
            res = jax.block_until_ready(  # type: ignore[no-untyped-call]
                self._compiled[size](cov.hundredths(), jnp.asarray(online, self.dtype), paths))
            return self._output(first, paths, online, res, time.perf_counter() - t0)
        onl = []
        for blk in range(first // BLOCK, first // BLOCK + size // BLOCK):
            fin = None
            if u.samples_programme and u.network is not None:
                fin = sample_finishes(u.network, BLOCK, block_rng(self.seed, blk), u.order)
            onl.append(online_months(u, fin, BLOCK).T)
        online = np.concatenate(onl, axis=1)
        base = jax.random.PRNGKey(self.seed)
        keys = jax.vmap(lambda b: jax.random.fold_in(base, b))(
            jnp.arange(first // BLOCK, first // BLOCK + size // BLOCK))
        t0 = time.perf_counter()
        res = jax.block_until_ready(  # type: ignore[no-untyped-call]
            self._compiled[size](keys, jnp.asarray(online, self.dtype), paths))
        return self._output(first, paths, online, res, time.perf_counter() - t0)

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
