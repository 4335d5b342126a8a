"""Time the confidence plan on the packaged reference scenario (issue 15).

Usage: PYTHONPATH=src python benchmarks/confidence_reference.py [P] [S ...] [NAME=VALUE ...]
Prints, per S: seconds, cost at P, the deterministic cost, rounds, and per
target the in-sample share and the validated probability (10,000 paths).
NAME=VALUE sets a variant: `cover=3` is passed to `plan_at_confidence`; a dotted name sets a
constant of a module of bastion.plan.confidence (a Python literal), e.g. `levels.HOLD='exact'`,
`core.SEARCH_COVERS=2`, `levels.GIVE_BACK_STEPS=0`, `rounds.RAISE_ERRORS=0.0`,
`levels.HOLD_CHOICE='first'`, `levels.PRODUCTION_HOLD_FROM=3` (the fixed level instead of the rule).
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import resource
import sys
import time
from pathlib import Path

from bastion.plan.confidence import plan_at_confidence
from bastion.scenario.load import load_scenario


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the validation's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    args = [a for a in sys.argv[1:] if "=" not in a]
    cover: float | None = None
    for a in sys.argv[1:]:
        if "=" not in a:
            continue
        name, value = a.split("=", 1)
        if "." in name:
            mod, attr = name.rsplit(".", 1)
            setattr(importlib.import_module(f"bastion.plan.confidence.{mod}"), attr,
                    ast.literal_eval(value))
        elif name == "cover":
            cover = float(ast.literal_eval(value))
        else:
            raise SystemExit(f"unknown setting {name!r}")
    p = float(args[0]) if args else 0.9
    sizes = [int(v) for v in args[1:]] or [50]
    import bastion.scenario.examples as ex

    sc = load_scenario(Path(ex.__file__).parent / "baltic-atm-plant.yaml")
    for s in sizes:
        t0, c0 = time.perf_counter(), _cpu()
        r = plan_at_confidence(sc, p, futures=s, paths=10_000, cover=cover,
                               progress=lambda text: print("  ..", text, flush=True))
        secs, cpu = time.perf_counter() - t0, _cpu() - c0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({
            "P": p, "S": s, "variant": [a for a in sys.argv[1:] if "=" in a],
            "seconds": round(secs, 1), "cpu_seconds": round(cpu, 1),
            "load_average": [round(v, 2) for v in os.getloadavg()], "max_rss_mb": round(rss),
            "cost": r.price.cost, "deterministic_cost": r.price.deterministic_cost,
            "rounds": r.rounds, "price": r.price.text,
            "targets": [{"customer": t.customer, "by": t.by, "in_sample": t.in_sample,
                         "validated": t.validated.probability if t.validated else None,
                         "deterministic": t.deterministic_probability, "reached": t.reached,
                         "binds": t.binds}
                        for t in r.targets],
        }), flush=True)


if __name__ == "__main__":
    main()
