"""`simulate`: scenario (+ plan) -> chunks of paths on a backend -> streaming statistics -> result.

Pure: no printing, no files. Progress goes to an optional callback
``progress(done_paths, total_paths)``; the CLI draws the bar.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bastion.plan.result import PlanResult
from bastion.scenario.model import Scenario
from bastion.scenario.types import month_name
from bastion.simulate.accumulate import Accumulator, hist_quantiles
from bastion.simulate.adapter import PlanArrays, plan_arrays
from bastion.simulate.events import BLOCK, Uncertainty, uncertainty_of
from bastion.simulate.numpy_backend import ChunkOutput, fan_upper, run_chunk
from bastion.simulate.params import KernelParams, kernel_params
from bastion.simulate.quantiles import exact_target_quantiles, hist_target_quantiles
from bastion.simulate.result import Fan, FirstOutput, PerPath, SimulationResult, TargetRisk

Progress = Callable[[int, int], None]
Compiling = Callable[[bool], None]
"""Told True before the compiled step is compiled (not found in its cache), False after."""
BACKENDS = ("numpy", "jax", "compiled", "auto")


class BackendError(RuntimeError):
    """A backend that cannot run here (e.g. JAX not installed)."""


class ChunkRunner(Protocol):
    """Runs paths [first, first + paths) and returns their chunk output."""

    def __call__(self, first: int, paths: int) -> ChunkOutput: ...


def default_chunk(p: KernelParams, u: Uncertainty, backend: str, paths: int = 0, workers: int = 1
                  ) -> int:
    """Paths per chunk (whole blocks).

    JAX on an accelerator: every path at once, which `simulate` cuts to what
    the device holds (:func:`bastion.simulate.jax_backend.accelerator_chunk`).
    JAX on the CPU: 2 blocks (the scan's working set stays in cache; measured
    best of 1-64 blocks). numpy: 1-8 blocks, at least 4 chunks per worker so
    the pool stays busy. compiled: up to 16 blocks (the threads share a chunk), fewer when
    its coverage array would pass 64 MiB (:func:`bastion.simulate.compiled.compiled_chunk`).
    """
    if backend == "compiled":
        from bastion.simulate.compiled import compiled_chunk

        return compiled_chunk(p, u)
    if backend == "jax":
        import jax

        return 2 * BLOCK if jax.default_backend() == "cpu" else -(-max(1, paths) // BLOCK) * BLOCK
    blocks = -(-paths // (4 * max(1, workers) * BLOCK))
    return int(min(8, max(1, blocks))) * BLOCK


@dataclass(frozen=True)
class _Factory:
    """A picklable recipe for a chunk runner (sent to worker processes)."""

    p: KernelParams
    u: Uncertainty
    seed: int
    backend: str
    precision: str
    paths: int = 0
    threads: int | None = None

    def __call__(self) -> ChunkRunner:
        return _runner(self.p, self.u, self.seed, self.backend, self.precision, self.paths,
                       self.threads)


def _runner(p: KernelParams, u: Uncertainty, seed: int, backend: str, precision: str = "float32",
            paths: int = 0, threads: int | None = None, compiling: Compiling | None = None
            ) -> ChunkRunner:
    upper = fan_upper(p)
    if backend == "compiled":
        from bastion.simulate.compiled_tables import compiled_supported

        if not compiled_supported(p):
            raise BackendError("the compiled backend needs non-negative initial stores and plan "
                               "quantities; use --backend numpy")
        try:
            from bastion.simulate.compiled import CompiledRunner

            return CompiledRunner(p, u, seed, upper, total_paths=paths, threads=threads,
                                  compiling=compiling)
        except ImportError as error:
            raise BackendError("the compiled backend needs numba (`pip install numba`)") from error
    if backend == "numpy":
        def run(first: int, paths: int) -> ChunkOutput:
            return run_chunk(p, u, seed, first, paths, upper)
        return run
    if backend == "jax":
        try:
            from bastion.simulate.jax_backend import JaxRunner
        except ImportError as error:
            raise BackendError("the jax backend needs `pip install bastion[jax]`") from error
        return JaxRunner(p, u, seed, upper, dtype=precision, total_paths=paths)
    raise BackendError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def _forkable() -> bool:
    """Whether worker processes may be forked: not once JAX is loaded here (its runtime threads
    do not fork); 'spawn' instead runs the caller's main script again in each worker, so scripts
    need the `if __name__ == "__main__":` guard then (the CLI has it)."""
    return "jax" not in sys.modules


def _chunks(paths: int, chunk: int) -> Iterator[tuple[int, int]]:
    for first in range(0, paths, chunk):
        yield first, min(chunk, paths - first)


_WORKER: list[ChunkRunner] = []
"""The chunk runner of a pool worker process (set by the initializer)."""


def _init_worker(make: _Factory) -> None:
    _WORKER[:] = [make()]


def _work(first: int, paths: int) -> ChunkOutput:
    return _WORKER[0](first, paths)


def run_paths(runner: ChunkRunner | _Factory, acc: Accumulator, paths: int,
              chunk: int, workers: int, progress: Progress | None, backend: str = "numpy") -> None:
    """Run every chunk (on `workers` processes) and add them to `acc` in path order.

    runner: a chunk runner, or (with workers > 1) a picklable factory of one,
    built once in each worker process ('fork' for numpy, 'spawn' for JAX,
    whose runtime is not fork-safe, and for numpy once JAX is loaded here).
    Chunks are whole blocks and are added in path order, so the result does
    not depend on the number of workers.
    """
    done = 0
    if workers <= 1:
        run: ChunkRunner = runner() if isinstance(runner, _Factory) else runner
        try:
            for first, k in _chunks(paths, chunk):
                acc.add(run(first, k))
                done += k
                if progress is not None:
                    progress(done, paths)
        finally:
            close = getattr(run, "close", None)
            if close is not None:
                close()
        return
    import multiprocessing as mp

    ctx = mp.get_context("fork" if backend == "numpy" and _forkable() else "spawn")  # numba's
    # thread pools are not fork-safe either
    assert isinstance(runner, _Factory), "worker processes need a runner factory"
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(runner,)) as pool:
        window: deque[Future[ChunkOutput]] = deque()
        for first, k in _chunks(paths, chunk):
            window.append(pool.submit(_work, first, k))
            if len(window) >= 2 * workers:
                out = window.popleft().result()
                acc.add(out)
                done += out.paths
                if progress is not None:
                    progress(done, paths)
        while window:
            out = window.popleft().result()
            acc.add(out)
            done += out.paths
            if progress is not None:
                progress(done, paths)


def _first_output(acc: Accumulator, pa: PlanArrays, offset: int) -> FirstOutput:
    n, h, total = pa.n, acc.first_hist, max(acc.paths, 1)
    cum = np.cumsum(h)

    def quant(q: float) -> str | None:
        k = int(np.searchsorted(cum, q * total - 1e-9, side="left"))
        return month_name(k, pa.start) if k < n else None

    within = float(h[: max(0, min(n, offset + 24))].sum()) / total
    return FirstOutput(
        p10=quant(0.1), p50=quant(0.5), p90=quant(0.9), p_within_24_months=within,
        stderr=math.sqrt(within * (1 - within) / total),
        histogram=tuple((month_name(k, pa.start), int(h[k])) for k in range(n) if h[k]),
        never=int(h[n]),
    )


def _result(acc: Accumulator, pa: PlanArrays, u: Uncertainty, scenario: Scenario, seed: int,
            backend: str, chunk: int, workers: int, seconds: dict[str, float]) -> SimulationResult:
    p, total = acc.p, max(acc.paths, 1)
    targets = []
    for k, (c, i, by, units) in enumerate(pa.targets):
        prob = float(acc.met[k]) / total
        thr = float(p.target_thr[k])
        if acc.by_values is not None:  # every path's value kept: exact quantiles
            vals = np.concatenate([v[:, k] for v in acc.by_values]) if acc.by_values else np.zeros(0)
            q10, q50, q90 = exact_target_quantiles(vals, (0.1, 0.5, 0.9), thr, units)
        else:
            q10, q50, q90 = hist_target_quantiles(acc.by_hist[k], acc.by_edges[k], (0.1, 0.5, 0.9),
                                                  float(acc.by_min[k]), float(acc.by_max[k]), thr, units)
        targets.append(TargetRisk(c, i, by, units, prob, math.sqrt(prob * (1 - prob) / total),
                                  q10, q50, q90, float(acc.by_sum[k]) / total))
    months = tuple(month_name(m, pa.start) for m in range(pa.n))
    fans = []
    for q, (c, i) in enumerate(pa.piles):
        qs = [hist_quantiles(acc.fan_hist[q, m], float(acc.upper[q]), (0.1, 0.5, 0.9),
                             float(acc.fan_min[q, m]), float(acc.fan_max[q, m])) for m in range(pa.n)]
        fans.append(Fan(c, i, months, tuple(v[0] for v in qs), tuple(v[1] for v in qs),
                        tuple(v[2] for v in qs)))
    kinds = ("capex", "purchases", "production", "fixed", "holding")
    cost = {k: float(v) / total for k, v in zip(kinds, acc.cost_sum, strict=True)}
    cost["total"] = sum(cost.values())

    def cat(parts: list[np.ndarray], shape: tuple[int, ...], dtype: type) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(shape, dtype=dtype)

    return SimulationResult(
        paths=acc.paths, seed=seed, backend=backend, classification=scenario.marking(),
        currency=scenario.currency, start=pa.start, months=pa.n, targets=tuple(targets),
        first_output=_first_output(acc, pa, u.offset if u.network is not None else _offset(scenario)),
        expected_unmet=float(acc.unmet_sum.sum()) / total,
        expected_unmet_by_pile=tuple((c, i, float(acc.unmet_sum[q]) / total)
                                     for q, (c, i) in enumerate(pa.piles)),
        p_any_unmet=acc.unmet_any / total, expected_cost=cost, fans=tuple(fans),
        per_path=PerPath(cat(acc.kept_cost, (0,), np.float64),
                         cat(acc.kept_met, (0, p.t), np.int16),
                         cat(acc.kept_first, (0,), np.int16)),
        chunk=chunk, workers=workers, seconds=seconds,
    )


def _offset(scenario: Scenario) -> int:
    from bastion.programme.scenario import offset_months

    return offset_months(scenario)


def prepare(scenario: Scenario, plan: PlanResult | None = None
            ) -> tuple[PlanArrays, Uncertainty, KernelParams]:
    """Plan arrays, uncertainty and kernel parameters of a scenario (solving the plan if not given)."""
    if plan is None:
        from bastion.plan import solve_plan

        plan = solve_plan(scenario, explain=False, sensitivity=False)
    pa = plan_arrays(scenario, plan)
    u = uncertainty_of(scenario, pa)
    return pa, u, kernel_params(pa, u.surge_factor)


def simulate(scenario: Scenario, plan: PlanResult | None = None, *, paths: int = 10_000,
             seed: int = 0, backend: str = "numpy", chunk: int | None = None,
             workers: int | None = None, progress: Progress | None = None,
             keep_paths: int = 100_000, precision: str = "float32",
             max_bytes: int | None = None, compiling: Compiling | None = None) -> SimulationResult:
    """Play the plan's policy over `paths` sampled futures (docs/method-simulate.md).

    chunk: paths per chunk (rounded up to whole blocks of 1,024; results do not
    depend on it); workers: processes running chunks (default: every core for
    numpy from 4 blocks of paths on, 1 for JAX and compiled, whose threads share each chunk);
    keep_paths: per-path rows kept for economics. backend: numpy, jax, compiled (numba; the same
    numbers as numpy, bit for bit) or auto (compiled from AUTO_MIN_PATH_MONTHS path-months on when
    numba imports, else numpy; :func:`bastion.simulate.compiled.choose_backend`). compiling: told
    when the compiled step compiles (the first run, then it loads from numba's cache).
    max_bytes: memory limit of the chunks in flight (`bastion.guard.fit_chunk`: fewer paths
    at a time, then fewer workers; `bastion.guard.TooLarge` if one block does not fit).
    """
    if paths < 1:
        raise ValueError("paths must be at least 1")
    t0 = time.perf_counter()
    pa, u, p = prepare(scenario, plan)
    from bastion.simulate.compiled import choose_backend

    backend = choose_backend(backend, p, paths)
    cores = os.cpu_count() or 1
    if workers is None:  # processes pay off from a few chunks on (numpy, when forkable);
        # JAX compiles per process; the compiled step's threads share each chunk
        workers = cores if backend == "numpy" and paths >= 4 * BLOCK and _forkable() else 1
    workers = max(1, min(int(workers), cores))
    threads = max(1, cores // workers) if backend == "compiled" and workers > 1 else None
    t1 = time.perf_counter()
    factory = _Factory(p, u, seed, backend, precision, paths, threads)
    runner = _runner(p, u, seed, backend, precision, paths, threads, compiling)  # fails early
    t_compile = time.perf_counter() - t1
    chunk = default_chunk(p, u, backend, paths, workers) if chunk is None else max(1, int(chunk))
    chunk = -(-chunk // BLOCK) * BLOCK
    if backend == "jax":  # a chunk beyond the device's estimated memory or 32-bit indexing is cut
        from bastion.simulate.jax_backend import accelerator_chunk

        chunk = min(chunk, accelerator_chunk(p, u, itemsize=8 if precision == "float64" else 4))
    if max_bytes is not None:  # before anything is drawn: fit the chunks in flight to the limit
        from bastion.guard import fit_chunk

        chunk, workers = fit_chunk(scenario, paths, chunk, workers, max_bytes)
    workers = min(workers, -(-paths // chunk))
    if workers > 1:  # each worker runs every workers-th chunk: no drawing ahead, no nested pools
        factory = dataclasses.replace(factory, paths=0)
        close = getattr(runner, "close", None)
        if close is not None:
            close()
    acc = Accumulator(p, pa.fixed_cost, pa.built, pa.capex, fan_upper(p), keep_paths)
    run_paths(runner if workers <= 1 else factory, acc, paths, chunk, workers, progress, backend)
    t2 = time.perf_counter()
    seconds = {"prepare": round(t1 - t0, 4), "simulate": round(t2 - t1, 4),
               "kernel": round(acc.kernel_seconds, 4)}
    if backend == "compiled":
        seconds["compile"] = round(t_compile, 4)  # compiling, or loading from numba's cache
    return _result(acc, pa, u, scenario, seed, backend, chunk, workers, seconds)
