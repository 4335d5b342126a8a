"""One short GPU run of the JAX backend: 10 million paths on the reference scenario.

    pip install -e '.[jax]' 'jax[cuda12]'   # on the GPU machine
    python benchmarks/gpu_simulate.py [--paths 10000000] [--chunk 1048576]

Prints the device, the plan solve time, the compile+first chunk time, and
path-months per second for the kernel (device time, all chunks) and for the
whole `simulate` call. A warm-up run of one chunk compiles the kernel first.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import jax

from bastion.plan import solve_plan
from bastion.scenario import load_scenario
from bastion.simulate import simulate

REFERENCE = Path(__file__).resolve().parents[1] / "src/bastion/scenario/examples/baltic-atm-plant.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--paths", type=int, default=10_000_000)
    ap.add_argument("--chunk", type=int, default=1 << 20)
    a = ap.parse_args()
    print("devices:", jax.devices())
    s = load_scenario(REFERENCE)
    t = time.perf_counter()
    plan = solve_plan(s, explain=False, sensitivity=False)
    print(f"plan solve: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    simulate(s, plan, paths=a.chunk, seed=0, backend="jax", chunk=a.chunk)  # compile + warm-up
    print(f"warm-up ({a.chunk:,} paths, includes compile): {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    r = simulate(s, plan, paths=a.paths, seed=1, backend="jax", chunk=a.chunk)
    whole = time.perf_counter() - t
    pm = a.paths * r.months
    k = r.seconds["kernel"]
    print(f"paths {a.paths:,} x {r.months} months = {pm / 1e9:.2f} G path-months")
    print(f"kernel: {k:.2f} s = {pm / k / 1e9:.3f} G path-months/s")
    print(f"whole:  {whole:.2f} s = {pm / whole / 1e9:.3f} G path-months/s")
    for tg in r.targets:
        print(f"  {tg.customer} {tg.item} {tg.by}: P = {tg.probability:.4f} ± {tg.stderr:.4f}")
    print(f"first output P50 {r.first_output.p50}, P(within 24 months) "
          f"{r.first_output.p_within_24_months:.4f}")


if __name__ == "__main__":
    main()
