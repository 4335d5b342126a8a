"""Marginal throughput of the whole `bastion simulate` process, compiled and numpy in one run.

    python benchmarks/bench_marginal.py [--small 10000] [--large 1000000] [--repeat 1]
                                        [--backends compiled,numpy] [--scenario FILE]

For each backend, `python -m bastion simulate FILE --paths N --backend B --json` is run as a
separate process at N = --small and N = --large paths (plan solve, imports and statistics
included in both); marginal throughput = (large - small) x months / (time(large) -
time(small)) path-months per second, so the constant costs (imports, plan, compile or cache
load) cancel. First, the compiled step's first compile is timed in a fresh numba cache folder
and its later start (loading from that cache) is read from the next run's JSON
(`seconds.compile`). Every run's summary JSON is compared between the backends (they must be
identical but for the backend name and timings). Prints the machine, the date and the load
average before and after, and a markdown table for benchmarks/RESULTS-simulate.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent / "src/bastion/scenario/examples/baltic-atm-plant.yaml"


def run(scenario: Path, paths: int, backend: str, env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Wall seconds of one `bastion simulate` process and its JSON."""
    cmd = [sys.executable, "-m", "bastion", "simulate", str(scenario), "--paths", str(paths),
           "--backend", backend, "--seed", "0", "--json"]
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if out.returncode not in (0, 3):
        sys.exit(f"failed ({out.returncode}): {' '.join(cmd)}\n{out.stderr[-2000:]}")
    return wall, json.loads(out.stdout)


def core(j: dict[str, Any]) -> dict[str, Any]:
    """The numbers of a result (not the backend name, timings, chunk or workers)."""
    return {k: v for k, v in j.items() if k not in ("backend", "seconds", "chunk", "workers")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--large", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1, help="runs per size (median)")
    ap.add_argument("--backends", default="compiled,numpy")
    ap.add_argument("--scenario", type=Path, default=REFERENCE)
    a = ap.parse_args()
    from bastion.scenario import load_scenario

    months = load_scenario(a.scenario).horizon.months
    backends = [b.strip() for b in a.backends.split(",") if b.strip()]
    env = dict(os.environ)
    cache = tempfile.mkdtemp(prefix="bench-numba-")
    env["NUMBA_CACHE_DIR"] = cache
    try:
        import numba

        nb = numba.__version__
    except ImportError:
        nb = "not installed"
    import numpy

    load0 = os.getloadavg()
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.node()}, "
          f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}; Python "
          f"{platform.python_version()}, numpy {numpy.__version__}, numba {nb}; "
          f"load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}", flush=True)
    print(f"scenario {a.scenario.name}: {months} months", flush=True)
    if "compiled" in backends:
        wall, j = run(a.scenario, 1_000, "compiled", env)
        print(f"first compile (fresh cache): {j['seconds'].get('compile', float('nan')):.1f} s "
              f"(whole process {wall:.1f} s, 1,000 paths)", flush=True)
        wall, j = run(a.scenario, 1_000, "compiled", env)
        print(f"later start (loaded from the cache): {j['seconds'].get('compile', float('nan')):.2f} s "
              f"(whole process {wall:.1f} s, 1,000 paths)", flush=True)
    times: dict[tuple[str, int], float] = {}
    results: dict[tuple[str, int], dict[str, Any]] = {}
    for paths in (a.small, a.large):
        for backend in backends:
            walls = []
            for _ in range(a.repeat):
                wall, j = run(a.scenario, paths, backend, env)
                walls.append(wall)
            times[(backend, paths)] = statistics.median(walls)
            results[(backend, paths)] = j
            s = j["seconds"]
            print(f"{backend:>9} {paths:>10,} paths: {times[(backend, paths)]:8.2f} s wall "
                  f"(simulate {s['simulate']:.2f} s, kernel {s['kernel']:.2f} s)", flush=True)
    load1 = os.getloadavg()
    print(f"load average after {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    pm = (a.large - a.small) * months
    print(f"\n| backend | time at {a.small:,} paths | time at {a.large:,} paths | marginal M path-months/s |")
    print("|---|---:|---:|---:|")
    for b in backends:
        dt = times[(b, a.large)] - times[(b, a.small)]
        print(f"| {b} | {times[(b, a.small)]:.2f} s | {times[(b, a.large)]:.2f} s | "
              f"{pm / dt / 1e6 if dt > 0 else float('nan'):.2f} |")
    if len(backends) > 1:
        for paths in (a.small, a.large):
            same = all(core(results[(b, paths)]) == core(results[(backends[0], paths)]) for b in backends)
            print(f"results at {paths:,} paths identical across {', '.join(backends)}: {same}")
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
