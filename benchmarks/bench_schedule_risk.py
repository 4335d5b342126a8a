"""Benchmark schedule-risk sampling: paths per second for a 15-task programme.

Usage: python benchmarks/bench_schedule_risk.py [--paths N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bastion.programme.network import Network
from bastion.programme.risk import sample_finishes, sample_schedules, sgs_order


def programme(resources: bool) -> Network:
    """A 15-task build-up programme (two parallel streams joining), optionally one crew."""
    rng = np.random.default_rng(7)
    t = 15
    preds = (
        (),
        (0,),
        (0,),
        (1,),
        (2,),
        (1, 2),
        (3,),
        (4, 5),
        (6,),
        (7,),
        (8, 9),
        (5,),
        (10, 11),
        (12,),
        (13, 4),
    )
    mode = rng.uniform(1.0, 4.0, size=t).round(2)
    durations = np.stack([mode * 0.8, mode, mode * 1.5], axis=1).round(2)
    if not resources:
        return Network(tuple(f"t{i}" for i in range(t)), durations, preds)
    demand = rng.integers(0, 3, size=(t, 1))
    return Network(tuple(f"t{i}" for i in range(t)), durations, preds, ("crew",), np.array([3]), demand)


def rate(fn: object, n: int, repeat: int = 3) -> float:
    """Best time of ``repeat`` calls of fn(n)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(n)  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--paths", type=int, default=100_000)
    n = ap.parse_args().paths
    rng = np.random.default_rng(0)
    free = programme(False)
    tight = programme(True)
    order = sgs_order(tight)
    cases = {
        "no resources, sample_finishes": lambda k: sample_finishes(free, k, rng),
        "no resources, sample_schedules (+criticality)": lambda k: sample_schedules(free, k, rng),
        "one resource, sample_finishes (serial SGS)": lambda k: sample_finishes(tight, k, rng, order),
        "one resource, sample_schedules (+criticality)": lambda k: sample_schedules(tight, k, rng, order),
    }
    for name, fn in cases.items():
        k = n if "no resources" in name else max(1, n // 10)
        s = rate(fn, k)
        print(f"{name}: {k} paths in {s:.3f} s = {k / s:,.0f} paths/s")


if __name__ == "__main__":
    main()
