"""Generate a large, seeded plan scenario (YAML the loader accepts).

    python benchmarks/generate.py --months 240 --seed 1 > large.yaml

Default shape: 100 items in a 4-level bom (4 products, 12 subassemblies,
24 parts, 60 bought materials), 40 suppliers, 6 sites x 3 lines (the third
optional, with capex and a yearly capex budget), 8 customers at 3 priority
levels with consumption and targets.
"""

from __future__ import annotations

import argparse
import random
import sys

import yaml


def month(start_year: int, index: int) -> str:
    """'YYYY-MM' of month `index` from January of `start_year`."""
    return f"{start_year + index // 12:04d}-{index % 12 + 1:02d}"


def generate(months: int = 240, seed: int = 1, *, products: int = 4, subs: int = 12,
             parts: int = 24, materials: int = 60, suppliers: int = 40, sites: int = 6,
             customers: int = 8, start_year: int = 2026) -> dict:
    """The scenario as a plain dict."""
    rng = random.Random(seed)
    prod = [f"prod-{k}" for k in range(products)]
    sub = [f"sub-{k}" for k in range(subs)]
    part = [f"part-{k}" for k in range(parts)]
    mat = [f"mat-{k}" for k in range(materials)]
    items: dict[str, dict] = {}
    # each product uses 3 of its own subassemblies, each sub 2 parts, each part 2-3 materials
    for k, p in enumerate(prod):
        mine = sub[3 * k: 3 * k + 3]
        items[p] = {"made": True, "bom": {s: 1 for s in mine}, "scrap_rate": 0.02,
                    "holding_cost_per_month": 0.5}
    for k, s in enumerate(sub):
        items[s] = {"made": True, "bom": {part[2 * k]: 1, part[2 * k + 1]: 2},
                    "scrap_rate": 0.01, "holding_cost_per_month": 0.2}
    for p in part:
        items[p] = {"made": True, "bom": {m: rng.choice([0.5, 1, 2]) for m in rng.sample(mat, 3)},
                    "holding_cost_per_month": 0.1}
    for m in mat:
        items[m] = {"made": False, "holding_cost_per_month": 0.05}

    sups: dict[str, dict] = {f"sup-{k}": {"country": rng.choice(["LV", "LT", "EE", "PL", "DE",
                                                                 "FI", "SE"]), "supplies": {}}
                             for k in range(suppliers)}
    for m in mat:
        for sid in rng.sample(sorted(sups), 2):
            sups[sid]["supplies"][m] = {"price": rng.randint(5, 60),
                                        "lead_time_months": rng.randint(1, 6),
                                        "capacity_per_month": rng.choice([3000, 6000, 12000])}

    site_map: dict[str, dict] = {}
    for s in range(sites):
        p = s % products
        mine_sub = sub[3 * p: 3 * p + 3]
        mine_part = [pt for sb in mine_sub for pt in items[sb]["bom"]]
        online = rng.randint(0, 36)
        lines = {
            f"l{s}-a": {"makes": [prod[p]], "capacity_per_month": rng.choice([600, 800, 1000]),
                        "online": month(start_year, online), "ramp_months": rng.randint(0, 6),
                        "acceptance_months": 1, "variable_cost_per_unit": 50,
                        "fixed_cost_per_month": 100000, "capex": 10_000_000, "build_months": 12},
            f"l{s}-b": {"makes": mine_sub + mine_part, "capacity_per_month": 6000,
                        "online": month(start_year, online), "ramp_months": 3,
                        "variable_cost_per_unit": 8, "fixed_cost_per_month": 50000},
            f"l{s}-c": {"makes": [prod[p]], "capacity_per_month": rng.choice([800, 1200]),
                        "online": month(start_year, online + rng.randint(6, 24)), "ramp_months": 4,
                        "acceptance_months": 1, "variable_cost_per_unit": 45,
                        "fixed_cost_per_month": 120000, "capex": rng.choice([15e6, 25e6]),
                        "build_months": rng.randint(6, 18), "optional": True},
        }
        site_map[f"site-{s}"] = {"country": "LV" if s % 2 else "PL", "lines": lines,
                                 "initial_store": {m: 1000 for m in rng.sample(mat, 5)}}

    cust: dict[str, dict] = {}
    years = months // 12
    for c in range(customers):
        p = rng.sample(prod, 2)
        targets = [{"item": p[0], "by": month(start_year, min(months - 1, 12 * y - 1)),
                    "units": rng.randint(5, 20) * 1000 * y // 2}
                   for y in range(2, years + 1, max(1, years // 4))]
        cust[f"cust-{c}"] = {"country": rng.choice(["LV", "LT", "EE", "PL"]),
                             "priority": 1 + c % 3, "delivery_months": rng.randint(0, 2),
                             "initial_stock": {p[0]: 500},
                             "consumption": {p[0]: rng.randint(20, 80),
                                             p[1]: {month(start_year, 24): rng.randint(10, 40)}},
                             "targets": targets}
    budget = {start_year + y: rng.choice([20e6, 30e6, 40e6]) for y in range(0, years, 2)}
    return {"bastion": 1, "name": f"generated {months} months seed {seed}",
            "horizon": {"start": month(start_year, 0), "months": months},
            "items": items, "suppliers": sups, "sites": site_map, "customers": cust,
            "budget": {"capex_per_year": budget}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--months", type=int, default=240)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    yaml.safe_dump(generate(args.months, args.seed), sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
