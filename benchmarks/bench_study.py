"""Benchmark `bastion study`: a grid of variants of the reference scenario on Dask local clusters.

    python benchmarks/bench_study.py [--variants 64] [--paths 2000] [--workers 1,2] [--json FILE]

    # a 16-core machine, one command:
    python benchmarks/bench_study.py --workers 1,4,8,16

For each worker count K it runs the same study (an 8 x 8 grid of the fuze supplier's
capacity and the 2028 capex ceiling, cut to --variants) through the real code path
(`bastion.study.execute`: LocalCluster of K processes, one Dask task per variant) and
prints:

- wall: seconds from the call to the last result, cluster start included; `start`
  is the cluster's start-up (until the first task is submitted);
- work: the sum of the variants' own seconds (plan + simulate inside the task), and
  their CPU seconds (the worker process's, while the variant ran): under load, CPU
  seconds per variant tell contention (they grow) from waiting (they do not);
- overhead per variant: (K x (wall - start) - work) / variants, the worker time
  spent on anything but the variants' own work (scheduling, transfer, idle tail);
- speed-up and parallel efficiency against the smallest K: T_min x K_min / (T_K x K);
- peak memory per worker: the largest resident set size (MiB) a worker reached.

It also checks that every K gave the same numbers (the study JSON, timings aside).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent / "src/bastion/scenario/examples/baltic-atm-plant.yaml"
FUZE = "suppliers.fuze-works-de.supplies.fuze-assy.capacity_per_month"
CAPEX = "budget.capex_per_year.2028"


def _grid(n: int) -> list[str]:
    """Two --vary options whose grid has at least n points (8 x 8 for 64)."""
    side = 1
    while side * side < n:
        side += 1
    fuzes = [900 + 100 * i for i in range(side)]
    capex = [5_000_000 * (i + 1) for i in range(side)]
    return [f"{FUZE}={','.join(map(str, fuzes))}", f"{CAPEX}={','.join(map(str, capex))}"]


def _comparable(study: dict[str, Any]) -> str:
    out = {k: v for k, v in study.items() if k not in ("study_id", "timings")}
    out["variants"] = [{k: v for k, v in var.items() if k != "timings"} for var in study["variants"]]
    return json.dumps(out, sort_keys=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", type=int, default=64)
    ap.add_argument("--paths", type=int, default=2_000)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts, e.g. 1,4,8,16")
    ap.add_argument("--scenario", type=Path, default=REFERENCE)
    ap.add_argument("--vary", action="append", default=None,
                    help="PATH=V1,V2,... (repeatable) instead of the reference's fuze x capex grid")
    ap.add_argument("--json", type=Path, default=None, help="also write the measurements here")
    args = ap.parse_args()

    from bastion.scenario.load import load_scenario
    from bastion.study import execute, prepare
    from bastion.study.engine import Progress

    text = args.scenario.read_text(encoding="utf-8")
    prepared = prepare(load_scenario(args.scenario), str(args.scenario), text, vary=args.vary or _grid(args.variants),
                       seed=1, paths=args.paths)
    prepared = dataclasses.replace(prepared, variants=prepared.variants[: args.variants])
    counts = [int(k) for k in args.workers.split(",")]
    print(f"== {len(prepared.variants)} variants of {args.scenario.name}, {args.paths:,} paths each; "
          f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python {sys.version.split()[0]}")
    rows: list[dict[str, Any]] = []
    reference: str | None = None
    for k in counts:
        first: list[float] = []

        def tell(p: Progress, first: list[float] = first) -> None:
            if not first:
                first.append(time.perf_counter())

        t0, c0 = time.perf_counter(), os.times()
        study = execute(prepared, study_id=f"bench-{k}", workers=k, tell=tell, versions={})
        wall, c1 = time.perf_counter() - t0, os.times()
        parent_cpu = (c1.user - c0.user) + (c1.system - c0.system)  # the client and the scheduler (this process)
        start = (first[0] - t0) if first else 0.0
        data = study.to_json()
        same = _comparable(data)
        if reference is None:
            reference = same
        elif same != reference:
            raise SystemExit(f"{k} workers gave different numbers from {counts[0]} worker(s)")
        timings = [v["timings"] for v in study.variants]
        work = sum(float(t.get("total") or 0.0) for t in timings)
        cpu = sum(float(t.get("cpu") or 0.0) for t in timings)
        peak: dict[str, float] = {}
        for t in timings:
            w = str(t.get("worker"))
            peak[w] = max(peak.get(w, 0.0), float(t.get("peak_rss_mib") or 0.0))
        n = len(study.variants)
        row = {"workers": k, "variants": n, "paths": args.paths, "wall_s": round(wall, 2),
               "start_s": round(start, 2), "work_s": round(work, 2),
               "per_variant_s": round(work / n, 3), "cpu_per_variant_s": round(cpu / n, 3),
               "load_average": [round(x, 2) for x in os.getloadavg()],
               "overhead_per_variant_ms": round(1000 * (k * (wall - start) - work) / n, 1),
               "parent_cpu_s": round(parent_cpu, 2),
               "peak_rss_mib_max": max(peak.values()) if peak else None,
               "statuses": sorted({v["status"] for v in study.variants})}
        rows.append(row)
        print(f"{k:>3} workers: wall {wall:7.2f} s (start {start:5.2f} s), work {work:7.2f} s "
              f"({work / n:.3f} s a variant, {cpu / n:.3f} s CPU), "
              f"overhead {row['overhead_per_variant_ms']:7.1f} ms a variant, "
              f"client and scheduler {parent_cpu:.2f} CPU s, "
              f"peak RSS per worker {row['peak_rss_mib_max']} MiB, statuses {row['statuses']}, "
              f"load average {row['load_average']}")
    base = rows[0]
    for row in rows:
        speed = base["wall_s"] / row["wall_s"]
        row["speedup"] = round(speed, 2)
        row["efficiency"] = round(speed * base["workers"] / row["workers"], 3)
        print(f"{row['workers']:>3} workers: speed-up {speed:5.2f}x over {base['workers']}, "
              f"parallel efficiency {row['efficiency']:.0%}")
    print("identical numbers on every worker count: yes")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
