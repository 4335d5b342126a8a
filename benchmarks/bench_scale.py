"""The scale benchmark of issue 21: a large generated scenario through every command.

    python benchmarks/bench_scale.py                       # the full size of the issue
    python benchmarks/bench_scale.py --suppliers 100 --customers 20 --tasks 100   # seconds
    python benchmarks/bench_scale.py --write scale.yaml    # only write the scenario

Default shape (issue 21, "Scale"): 1,500 suppliers each supplying 1-3 of 20 bought
items, 2 made items (a product and its sub-assembly), 2 sites with 2 lines each whose
online dates are milestones of a 1,000-task programme (a layered DAG, 3 shared
resources), 300 customers with consumption and targets (sized with the number of
customers so that the lines can about meet them), a 120-month horizon.

Each command runs as its own process (`python -m bastion CMD FILE --json`); the table
gives its wall time, CPU time (user + system: on a shared machine the better measure of
the work), peak resident memory (both from os.wait4's rusage) and exit code.
Goals: plan < 60 s and < 2 GB, simulate (10,000 paths) < 60 s, schedule < 10 s,
resilience < 5 min.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

COUNTRIES = ["LV", "LT", "EE", "PL", "DE", "FI", "SE", "CZ", "NL", "FR"]
GOALS = {"plan": (60.0, 2048.0), "simulate": (60.0, None), "schedule": (10.0, None),
         "resilience": (300.0, None)}


def month(start_year: int, index: int) -> str:
    """'YYYY-MM' of month `index` from January of `start_year`."""
    return f"{start_year + index // 12:04d}-{index % 12 + 1:02d}"


def programme(tasks: int, rng: random.Random) -> dict:
    """A layered DAG of `tasks` tasks (about 20 a layer), 3 renewable resources.

    Each task after the first layer follows 1-3 tasks of the layer before; one task in
    four holds one unit of a resource. The last task of the programme is `sat-1`, and
    `sat-2` is the last task of the layer before (the lines' milestones).
    """
    width = 20
    layers: list[list[str]] = []
    out: dict[str, dict] = {}
    for k in range(tasks - 2):
        if k % width == 0:
            layers.append([])
        tid = f"t{k:04d}"
        lo = round(rng.uniform(0.1, 1.0), 2)
        mode = round(lo + rng.uniform(0.0, 1.0), 2)
        task: dict = {"duration_months": [lo, mode, round(mode + rng.uniform(0.1, 2.0), 2)]}
        if len(layers) > 1:
            task["after"] = sorted(rng.sample(layers[-2], min(len(layers[-2]), rng.randint(1, 3))))
        if rng.random() < 0.25:
            task["uses"] = {rng.choice(["crew", "range", "engineering"]): 1}
        out[tid] = task
        layers[-1].append(tid)
    last = layers[-1]
    out["sat-2"] = {"duration_months": [0.5, 1, 2], "after": sorted(last[: len(last) // 2])}
    out["sat-1"] = {"duration_months": [0.5, 1, 2], "after": sorted(last), "uses": {"range": 1}}
    return {"resources": {"crew": 4, "range": 2, "engineering": 3}, "tasks": out}


def generate(suppliers: int = 1500, customers: int = 300, tasks: int = 1000, bought: int = 20,
             months: int = 120, seed: int = 1, start_year: int = 2026) -> dict:
    """The scenario as a plain dict (deterministic in its arguments)."""
    rng = random.Random(seed)
    mats = [f"mat-{k:02d}" for k in range(bought)]
    sub_bom = {m: rng.choice([0.5, 1, 2]) for m in mats[: bought // 2]}
    prod_bom: dict[str, float] = {"sub-0": 1, **{m: rng.choice([0.25, 1]) for m in mats[bought // 2:]}}
    items: dict[str, dict] = {
        "prod-0": {"made": True, "bom": prod_bom, "scrap_rate": 0.02, "holding_cost_per_month": 0.5},
        "sub-0": {"made": True, "bom": sub_bom, "scrap_rate": 0.01, "holding_cost_per_month": 0.2},
    }
    for m in mats:
        items[m] = {"made": False, "holding_cost_per_month": 0.05}
    sups: dict[str, dict] = {}
    for k in range(suppliers):
        supplies = {m: {"price": rng.randint(5, 60), "lead_time_months": rng.randint(1, 6),
                        "capacity_per_month": rng.choice([200, 500, 1000])}
                    for m in sorted(rng.sample(mats, rng.randint(1, 3)))}
        sups[f"sup-{k:04d}"] = {"country": rng.choice(COUNTRIES), "supplies": supplies,
                                "disruption": {"rate_per_year": rng.choice([0.05, 0.1, 0.2]),
                                               "recovery_months": [1, 2, 4]}}
    sites: dict[str, dict] = {}
    for s in range(2):
        lines = {
            f"l{s}-a": {"makes": ["prod-0", "sub-0"], "capacity_per_month": 3000,
                        "online": {"milestone": f"sat-{s + 1}"}, "ramp_months": 6,
                        "acceptance_months": 1, "variable_cost_per_unit": 50,
                        "fixed_cost_per_month": 100000,
                        "outage": {"rate_per_year": 0.3, "recovery_months": [0.25, 0.5, 2]}},
            f"l{s}-b": {"makes": ["prod-0", "sub-0"], "capacity_per_month": 2000,
                        "online": month(start_year, 36 + 6 * s), "ramp_months": 3,
                        "variable_cost_per_unit": 55, "fixed_cost_per_month": 80000},
        }
        sites[f"site-{s}"] = {"country": "LV" if s else "PL", "lines": lines,
                              "initial_store": {m: 1000 for m in mats[:5]}}
    cust: dict[str, dict] = {}
    for c in range(customers):
        targets = [{"item": "prod-0", "by": month(start_year, min(months - 1, 12 * y - 1)),
                    "units": rng.randint(1, 10) * y * max(1, 4500 // customers)}
                   for y in range(4, months // 12 + 1, 3)]
        cust[f"cust-{c:03d}"] = {"country": rng.choice(COUNTRIES[:4]), "priority": 1 + c % 3,
                                 "delivery_months": rng.randint(0, 2),
                                 "consumption": {"prod-0": rng.randint(1, 8)},
                                 "targets": targets}
    prog = programme(tasks, rng)
    prog["start"] = month(start_year, 1)
    return {"bastion": 1, "name": f"scale {suppliers} suppliers {customers} customers {tasks} tasks",
            "horizon": {"start": month(start_year, 0), "months": months},
            "items": items, "suppliers": sups, "sites": sites, "customers": cust,
            "programme": prog}


def run(cmd: list[str], timeout: float) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS (MiB), exit code and CPU seconds (user + system) of one process
    (killed at `timeout`)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = t0 + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in (0, 3) and proc.stderr is not None:
        sys.stderr.write(proc.stderr.read().decode(errors="replace")[-2000:])
    return wall, usage.ru_maxrss / 1024, code, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suppliers", type=int, default=1500)
    ap.add_argument("--customers", type=int, default=300)
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--paths", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--commands", nargs="*", default=["schedule", "plan", "simulate", "resilience"])
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds before a command is killed")
    ap.add_argument("--max-memory", default=None, help="passed to the commands that take it")
    ap.add_argument("--write", default=None, help="write the scenario to this file and stop")
    args = ap.parse_args()
    doc = generate(args.suppliers, args.customers, args.tasks, months=args.months, seed=args.seed)
    text = yaml.safe_dump(doc, sort_keys=False)
    if args.write:
        Path(args.write).write_text(text)
        return
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "scale.yaml"
        file.write_text(text)
        load = os.getloadavg()
        print(f"scenario: {doc['name']}, {args.months} months, {len(text) / 2**20:.1f} MiB of YAML; "
              f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        print("| command | wall s | CPU s | peak RSS MiB | exit | goal |")
        print("|---|---|---|---|---|---|")
        for name in args.commands:
            cmd = [sys.executable, "-m", "bastion", name, str(file), "--json"]
            if name == "simulate":
                cmd += ["--paths", str(args.paths)]
            if args.max_memory and name in ("plan", "simulate", "resilience", "schedule"):
                cmd += ["--max-memory", args.max_memory]
            wall, rss, code, cpu = run(cmd, args.timeout)
            secs, mib = GOALS.get(name, (None, None))
            met = (secs is None or wall <= secs) and (mib is None or rss <= mib) and code in (0, 3)
            goal = f"< {secs:.0f} s" + (f", < {mib:.0f} MiB" if mib else "")
            print(f"| {name} | {wall:.1f} | {cpu:.1f} | {rss:.0f} | {code} | {goal}: {'met' if met else 'NOT met'} |",
                  flush=True)


if __name__ == "__main__":
    main()
