"""Benchmark the Monte-Carlo simulator: path-months per second (median of 5).

    python benchmarks/bench_simulate.py [--paths N] [--backend numpy|jax|compiled] [--large] [--repeat 5]

"kernel": the month loop only (events already sampled), one chunk of paths.
"whole": `simulate(scenario, plan)` end to end (sampling, kernel, statistics;
the plan is solved once beforehand and reported separately).
"--large" adds the generated scenario of benchmarks/generate.py (if present).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import yaml

from bastion.plan import solve_plan
from bastion.scenario import Scenario, load_scenario, load_text
from bastion.simulate import prepare, simulate
from bastion.simulate.numpy_backend import run_months, sample_chunk

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent / "src/bastion/scenario/examples/baltic-atm-plant.yaml"


def large() -> Scenario | None:
    """The generated large scenario, or None when benchmarks/generate.py is missing."""
    path = HERE / "generate.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("generate", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return load_text(yaml.safe_dump(mod.generate(months=240, seed=1), sort_keys=False))


def bench(name: str, s: Scenario, paths: int, backend: str, repeat: int) -> None:
    t0 = time.perf_counter()
    plan = solve_plan(s, explain=False, sensitivity=False)
    t_plan = time.perf_counter() - t0
    pa, u, p = prepare(s, plan)
    pm = paths * pa.n
    print(f"== {name}: {pa.n} months, {p.sp} store pairs, {p.ss} supplies, {p.li} line-items, "
          f"{p.dl} delivery routes, {u.risky} risky nodes; plan solve {t_plan:.2f} s")
    if backend == "numpy":
        chunk = min(paths, 16384)
        online, cov = sample_chunk(u, 0, 0, chunk)
        ks = []
        for _ in range(repeat):
            t = time.perf_counter()
            run_months(p, u, online, cov)
            ks.append(time.perf_counter() - t)
        k = statistics.median(ks)
        print(f"kernel  {chunk:>9,} paths: {k:8.3f} s  {chunk * pa.n / k / 1e6:8.2f} M path-months/s")
    ws, kern = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        r = simulate(s, plan, paths=paths, seed=1, backend=backend)
        ws.append(time.perf_counter() - t)
        kern.append(r.seconds["kernel"])
    w = statistics.median(ws)
    if backend != "numpy":
        k = statistics.median(kern)
        print(f"kernel  {paths:>9,} paths: {k:8.3f} s  {pm / k / 1e6:8.2f} M path-months/s")
    print(f"whole   {paths:>9,} paths: {w:8.3f} s  {pm / w / 1e6:8.2f} M path-months/s "
          f"(+ plan solve {t_plan:.2f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--paths", type=int, default=10_000)
    ap.add_argument("--backend", default="numpy", choices=("numpy", "jax", "compiled"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--large", action="store_true")
    a = ap.parse_args()
    bench("reference (baltic-atm-plant)", load_scenario(REFERENCE), a.paths, a.backend, a.repeat)
    if a.large:
        s = large()
        if s is None:
            print("benchmarks/generate.py not found: large scenario skipped", file=sys.stderr)
        else:
            bench("large generated (generate.py --months 240 --seed 1)", s, a.paths, a.backend,
                  a.repeat)


if __name__ == "__main__":
    main()
