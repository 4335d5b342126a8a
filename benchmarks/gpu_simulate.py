"""The JAX backend on a GPU: 10 million paths on the reference scenario, and kernel sweeps.

    python benchmarks/gpu_simulate.py --save DIR          # here: solve the plans, pickle them
    python benchmarks/gpu_simulate.py --load DIR [--paths 10000000] [--chunk 1048576]

On the GPU machine no plan is solved: the (scenario, plan) pairs pickled by
``--save`` are loaded (the reference scenario and the large generated one).
Prints the device; for the reference scenario the whole ``simulate`` call at
``--paths`` paths (kernel = device time of all chunks; whole = the call,
host-side programme sampling and statistics included) after a one-chunk
warm-up that compiles; then kernel-only sweeps over chunk sizes (one chunk
compiled, timed over ``--reps`` calls with fresh keys, online months at the
plan's months so no host sampling is timed), for the reference and the large
scenario. Each figure is path-months per second.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def save(folder: Path) -> None:
    from bench_simulate import REFERENCE, large

    from bastion.plan import solve_plan
    from bastion.scenario import load_scenario

    folder.mkdir(parents=True, exist_ok=True)
    s = load_scenario(REFERENCE)
    pairs = {"reference": s, "large": large()}
    for name, sc in pairs.items():
        if sc is None:
            continue
        t = time.perf_counter()
        plan = solve_plan(sc, explain=False, sensitivity=False)
        print(f"{name}: plan solved in {time.perf_counter() - t:.1f} s")
        (folder / f"{name}.pkl").write_bytes(pickle.dumps((sc, plan)))


def kernel_sweep(name: str, sc: Any, plan: Any, chunks: list[int], reps: int, variant: str) -> None:
    """variant: 'coverage/hist', e.g. 'window/sort'; hist 'none' skips the fan histograms
    (a benchmark-only stand-in that returns zeros, to show what they cost)."""
    import jax
    import jax.numpy as jnp

    from bastion.simulate import jax_backend
    from bastion.simulate.engine import prepare
    from bastion.simulate.events import BLOCK, online_months
    from bastion.simulate.jax_backend import JaxRunner
    from bastion.simulate.numpy_backend import fan_upper

    jax_backend.HISTOGRAMS["none"] = lambda bins, valid: jnp.zeros((bins.shape[0], 256), jnp.int32)
    coverage, _, hist = variant.partition("/")
    _pa, u, p = prepare(sc, plan)
    for size in chunks:
        r = JaxRunner(p, u, 0, fan_upper(p), events="device", coverage=coverage or "window",
                      hist=hist or None)
        fn = r._build(size)
        online = jnp.asarray(online_months(u, None, size).T, r.dtype)
        nb = size // BLOCK
        base = jax.random.PRNGKey(0)

        def keys(rep: int, nb: int = nb, base: Any = base) -> Any:
            return jax.vmap(lambda b: jax.random.fold_in(base, b))(jnp.arange(rep * nb, (rep + 1) * nb))

        t = time.perf_counter()
        jax.block_until_ready(fn(keys(0), online, size))
        first = time.perf_counter() - t
        ts = []
        for rep in range(1, reps + 1):
            k = keys(rep)
            jax.block_until_ready(k)
            t = time.perf_counter()
            jax.block_until_ready(fn(k, online, size))
            ts.append(time.perf_counter() - t)
        med = statistics.median(ts)
        extra = ""
        if u.risky:
            pf = jax.jit(r._components if r.coverage == "window" else r._pieces)
            jax.block_until_ready(pf(keys(0)))
            t = time.perf_counter()
            jax.block_until_ready(pf(keys(1)))
            extra = f"; event pieces alone {time.perf_counter() - t:.3f} s"
        print(f"{name} kernel {r.coverage}/{r.hist} chunk {size:>9,}: first call "
              f"{first:.2f} s, median of {reps} {med:.3f} s = {size * p.n / med / 1e9:.3f} G path-months/s"
              f"{extra}", flush=True)
        del fn, online, r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--save", type=Path)
    ap.add_argument("--load", type=Path)
    ap.add_argument("--paths", type=int, default=10_000_000)
    ap.add_argument("--chunk", type=int, default=1 << 20)
    ap.add_argument("--sweep", default="262144,1048576,2097152,4194304")
    ap.add_argument("--large-sweep", default="65536,262144,1048576")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--variants", default="window/sort",
                    help="coverage/hist variants of the kernel sweep, comma-separated (e.g. full/scatter)")
    a = ap.parse_args()
    if a.save:
        save(a.save)
        return
    import jax

    from bastion.simulate import simulate

    print("devices:", jax.devices(), "jax", jax.__version__, flush=True)
    folder = a.load or Path("/nonexistent")
    s, plan = pickle.loads((folder / "reference.pkl").read_bytes())
    t = time.perf_counter()
    simulate(s, plan, paths=a.chunk, seed=0, backend="jax", chunk=a.chunk)  # compile + warm-up
    print(f"warm-up ({a.chunk:,} paths, includes compile): {time.perf_counter() - t:.2f} s", flush=True)
    t = time.perf_counter()
    r = simulate(s, plan, paths=a.paths, seed=1, backend="jax", chunk=a.chunk)
    whole = time.perf_counter() - t
    pm = a.paths * r.months
    k = r.seconds["kernel"]
    print(f"reference whole simulate: paths {a.paths:,} x {r.months} months = {pm / 1e9:.2f} G path-months")
    print(f"  kernel (device, all chunks): {k:.2f} s = {pm / k / 1e9:.3f} G path-months/s")
    print(f"  whole call: {whole:.2f} s = {pm / whole / 1e9:.3f} G path-months/s")
    for tg in r.targets:
        print(f"  {tg.customer} {tg.item} {tg.by}: P = {tg.probability:.4f} ± {tg.stderr:.4f}")
    print(f"  first output P50 {r.first_output.p50}, P(within 24 months) "
          f"{r.first_output.p_within_24_months:.4f}", flush=True)
    variants = [v for v in a.variants.split(",") if v]
    for i, v in enumerate(variants):  # the first variant over the sweep, the others at --chunk
        sizes = [int(c) for c in a.sweep.split(",") if c] if i == 0 else [a.chunk]
        kernel_sweep("reference", s, plan, sizes, a.reps, v)
    if (folder / "large.pkl").exists() and a.large_sweep:
        s2, plan2 = pickle.loads((folder / "large.pkl").read_bytes())
        kernel_sweep("large", s2, plan2, [int(c) for c in a.large_sweep.split(",") if c], a.reps, variants[0])


if __name__ == "__main__":
    main()
