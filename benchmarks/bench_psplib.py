"""Benchmark the CP-SAT RCPSP solver on PSPLIB J30 / J60.

Usage:
    python benchmarks/bench_psplib.py j30 [--limit 60] [--workers 2] [--sample K] [--data DIR]
    python benchmarks/bench_psplib.py j60 [--limit 60] [--workers 2] [--sample K] [--data DIR]

DIR holds ``j30/``, ``j60/`` and ``optimum/{j30,j60}.csv`` (PSPLIB's layout);
the default is ``../shared/data/psplib`` beside the repository. The few J30
instances the tests use are in ``tests/data/psplib`` (``--data`` that folder
runs the benchmark on them alone).

Prints one line per instance (name, makespan, optimum, proven, seconds) and a
summary; ``--sample K`` takes every K-th instance in sorted order.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

from bastion.programme.psplib import read_psplib, solve_psplib

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "psplib"


def known_optima(data: Path, kind: str) -> dict[str, int | None]:
    """Published optima; None where the instance is open (``lb..ub``)."""
    out: dict[str, int | None] = {}
    with (data / "optimum" / f"{kind}.csv").open() as fh:
        for row in csv.DictReader(fh):
            v = row["optimum"]
            out[row["problem"]] = int(v) if v.isdigit() else None
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["j30", "j60"])
    ap.add_argument("--limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sample", type=int, default=1)
    ap.add_argument("--data", type=Path, default=DATA, help="PSPLIB folder (default: ../shared/data/psplib)")
    args = ap.parse_args(argv)
    optima = args.data / "optimum" / f"{args.kind}.csv"
    if not optima.is_file():
        print(f"{optima}: not found; give the PSPLIB folder with --data DIR", file=sys.stderr)
        return 2
    opt = known_optima(args.data, args.kind)
    names = sorted(opt, key=lambda s: tuple(int(x) for x in s[3:-3].split("_")))[:: args.sample]
    times: list[float] = []
    proven = matched = known = wrong = 0
    t_all = time.perf_counter()
    for name in names:
        sol = solve_psplib(read_psplib(args.data / args.kind / name), args.limit, args.workers)
        best = opt[name]
        times.append(sol.seconds)
        proven += sol.optimal
        if best is not None:
            known += 1
            matched += sol.makespan == best
            wrong += sol.makespan < best or (sol.optimal and sol.makespan != best)
        print(f"{name}\t{sol.makespan}\t{best}\t{sol.optimal}\t{sol.seconds:.3f}", flush=True)
    print(
        f"# {args.kind}: {len(names)} instances, limit {args.limit:g} s, {args.workers} workers; "
        f"proven optimal {proven}; known optimum {known}, reached {matched} "
        f"({100 * matched / max(known, 1):.1f}%); inconsistent {wrong}; "
        f"median {statistics.median(times):.3f} s, mean {statistics.mean(times):.3f} s, "
        f"max {max(times):.2f} s; total {time.perf_counter() - t_all:.0f} s"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
