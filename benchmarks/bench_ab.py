"""Two source trees of the compiled simulator compared in one run, interleaved (A/B ratios).

    git archive COMMIT | tar -x -C /tmp/base        # the "before" tree
    python benchmarks/bench_ab.py --base /tmp/base/src --new src [--repeat 3] [--kernel-only]

For a shared machine: absolute timings there depend on the load, so both trees run
alternately (A B B A ...) and each figure is a ratio or a CPU time. Kernel: CPU time per
path-month (``time.process_time``, one thread, reference scenario, 16,384 paths, median of 5)
of the compiled step (``run_step``), of drawing a chunk with its coverage
(``sample_chunk_hundredths``) and of the streaming statistics (``Accumulator.add``), each tree
in its own process with its own numba cache. Whole: ``bastion simulate --backend compiled
--json`` processes at 10,000 and 1,000,000 paths; marginal wall throughput and marginal CPU
per path-month (children's user + system time), and whether both trees print the same numbers.
On two idle cores the whole process is CPU-bound, so 2 / (marginal CPU per path-month) bounds
its marginal throughput there.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent / "src/bastion/scenario/examples/baltic-atm-plant.yaml"
VOLATILE = ("seconds", "chunk", "workers", "backend")

KERNEL = r'''
import os, sys, time
import numpy as np
from bastion.scenario import load_scenario
from bastion.plan import solve_plan
from bastion.simulate import prepare
from bastion.simulate import compiled as C
from bastion.simulate.numpy_backend import fan_upper, FAN_BINS
from bastion.simulate.accumulate import Accumulator
s = load_scenario(sys.argv[1])
pa, u, p = prepare(s, solve_plan(s, explain=False, sensitivity=False))
tb, dt, scale = C.flatten(p, u), C.draw_tables(u), FAN_BINS / fan_upper(p)
P = 16384
pm = P * u.n
online, hund = C.sample_chunk_hundredths(u, dt, 0, 0, P)
C.run_step(tb, online, hund, scale)
out = hund.copy()
def cpu(f):
    cs = []
    for _ in range(5):
        c0 = time.process_time(); f(); cs.append(time.process_time() - c0)
    return float(np.median(cs)) * 1e9 / pm
step = cpu(lambda: C.run_step(tb, online, hund, scale))
draw = cpu(lambda: C.sample_chunk_hundredths(u, dt, 0, 0, P, out))
r = C.CompiledRunner(p, u, 0, fan_upper(p), total_paths=0, threads=1)
co = r(0, P)
r.close()
def add():
    a = Accumulator(p, pa.fixed_cost, pa.built, pa.capex, fan_upper(p), 100_000)
    a.by_values = None
    a.add(co)
stats = cpu(add)
print(f"{step} {draw} {stats}")
'''


def kernel(src: str, cache: str, scenario: Path) -> list[float]:
    """[step, draw, statistics] CPU ns per path-month of one tree."""
    env = dict(os.environ, PYTHONPATH=src, NUMBA_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", KERNEL, str(scenario)], env=env, capture_output=True,
                         text=True, check=True)
    return [float(v) for v in out.stdout.split()[-3:]]


def whole(src: str, cache: str, scenario: Path, paths: int) -> tuple[float, float, dict[str, Any]]:
    """Wall and CPU seconds of one `bastion simulate` process, and its numbers."""
    env = dict(os.environ, PYTHONPATH=src, NUMBA_CACHE_DIR=cache)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "bastion", "simulate", str(scenario), "--paths", str(paths),
                          "--backend", "compiled", "--seed", "0", "--json"], env=env, capture_output=True,
                         text=True, check=False)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode not in (0, 3):
        sys.exit(out.stderr[-2000:])
    j = json.loads(out.stdout)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, {k: v for k, v in j.items() if k not in VOLATILE}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", required=True, help="the 'before' tree's src folder")
    ap.add_argument("--new", required=True, help="the 'after' tree's src folder")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--kernel-only", action="store_true")
    ap.add_argument("--scenario", type=Path, default=REFERENCE)
    a = ap.parse_args()
    trees = {"base": (a.base, tempfile.mkdtemp(prefix="ab-base-")),
             "new": (a.new, tempfile.mkdtemp(prefix="ab-new-"))}
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load {os.getloadavg()}", flush=True)
    for src, cache in trees.values():  # compile both into their caches first
        kernel(src, cache, a.scenario)
    ks: dict[str, list[list[float]]] = {"base": [], "new": []}
    for i in range(a.repeat):
        for name in ("base", "new") if i % 2 == 0 else ("new", "base"):
            ks[name].append(kernel(*trees[name], a.scenario))
            print(name, "kernel step/draw/statistics ns per path-month", ks[name][-1], flush=True)
    med = {n: [statistics.median(v[k] for v in ks[n]) for k in range(3)] for n in ks}
    for n in ("base", "new"):
        print(f"{n}: step {med[n][0]:.1f}, draw {med[n][1]:.1f}, statistics {med[n][2]:.1f}, "
              f"sum {sum(med[n]):.1f} ns per path-month (CPU, one thread)")
    print(f"new / base: step {med['new'][0] / med['base'][0]:.3f}, draw {med['new'][1] / med['base'][1]:.3f}, "
          f"sum {sum(med['new']) / sum(med['base']):.3f}")
    if a.kernel_only:
        return
    small, large = 10_000, 1_000_000
    months = 0
    res: dict[tuple[str, int], list[tuple[float, float]]] = {}
    nums: dict[tuple[str, int], dict[str, Any]] = {}
    for i in range(a.repeat):
        for paths in (small, large):
            for name in ("base", "new") if i % 2 == 0 else ("new", "base"):
                w, c, j = whole(*trees[name], a.scenario, paths)
                months = int(j["months"])
                res.setdefault((name, paths), []).append((w, c))
                nums[(name, paths)] = j
                print(f"{name} {paths:,} paths: wall {w:.2f} s, CPU {c:.2f} s", flush=True)
    pm = (large - small) * months
    rate = {}
    for n in ("base", "new"):
        dw = statistics.median(x[0] for x in res[(n, large)]) - statistics.median(x[0] for x in res[(n, small)])
        dc = statistics.median(x[1] for x in res[(n, large)]) - statistics.median(x[1] for x in res[(n, small)])
        rate[n] = (pm / dw, dc * 1e9 / pm)
        print(f"{n}: marginal {rate[n][0] / 1e6:.2f} M path-months/s wall, {rate[n][1]:.1f} ns CPU per "
              f"path-month (2 idle cores: at most {2e3 / rate[n][1]:.1f} M/s)")
    print(f"new / base: wall throughput {rate['new'][0] / rate['base'][0]:.3f}, "
          f"CPU per path-month {rate['new'][1] / rate['base'][1]:.3f}")
    print("same numbers:", all(nums[("base", p)] == nums[("new", p)] for p in (small, large)))
    print(f"load after {os.getloadavg()}")


if __name__ == "__main__":
    main()
