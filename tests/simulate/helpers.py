"""Helpers for the simulator tests: inline scenarios, plans, deterministic traces."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bastion.plan import PlanResult, solve_plan
from bastion.scenario import Scenario, load_text
from bastion.simulate import prepare
from bastion.simulate.numpy_backend import run_months, sample_chunk

REFERENCE = Path(__file__).resolve().parents[2] / "src/bastion/scenario/examples/baltic-atm-plant.yaml"


def scenario(text: str) -> Scenario:
    """Load a scenario written inline."""
    return load_text(textwrap.dedent(text))


def plan_of(s: Scenario) -> PlanResult:
    """The plan, without diagnosis."""
    return solve_plan(s, explain=False, sensitivity=False)


def certain(tree: dict[str, Any]) -> dict[str, Any]:
    """The scenario tree with every rate 0 and every range degenerate (at its mode)."""
    tree = dict(tree)
    for sup in tree.get("suppliers", {}).values():
        sup.pop("disruption", None)
    for site in tree.get("sites", {}).values():
        for line in site.get("lines", {}).values():
            line.pop("outage", None)
    for cust in tree.get("customers", {}).values():
        cust.pop("surge", None)
    tree.pop("risks", None)
    for task in (tree.get("programme") or {}).get("tasks", {}).values():
        d = task.get("duration_months")
        if isinstance(d, list):
            task["duration_months"] = [d[1]] * 3
    return tree


def reference_certain() -> Scenario:
    """The reference scenario with its uncertainty switched off."""
    tree = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    return load_text(yaml.safe_dump(certain(tree), sort_keys=False))


def trace(s: Scenario, plan: PlanResult, paths: int = 2, seed: int = 0) -> dict[str, Any]:
    """Sampled paths month by month: production (LI, N, P) in the plan's entry order, piles (Q, N, P)."""
    pa, u, p = prepare(s, plan)
    online, cov = sample_chunk(u, seed, 0, paths)
    state, piles, outs = run_months(p, u, online, cov, trace=True)
    prod = np.stack([o.production for o in outs], axis=1)  # (LI kernel order, N, P)
    inv = np.empty_like(p.entry_perm)
    inv[p.entry_perm] = np.arange(len(inv))
    store = np.stack([o.store for o in outs], axis=1)
    return {"pa": pa, "production": prod[inv], "piles": np.moveaxis(piles, 0, 1), "store": store,
            "state": state}
