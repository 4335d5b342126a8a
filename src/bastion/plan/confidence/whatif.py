"""What binds a target short of its confidence: the plan simulated with one source of risk removed.

For a target the plan at P leaves short, the same plan is simulated on scenarios that each
remove one source of uncertainty (docs/method-confidence.md, "What binds"): one supplier's
events (its own disruption, and its place in every correlated risk), every supplier's, every
line and site event (outages, site disruptions, risks naming lines or sites), the programme at
its mode durations, the customers' surges. The P(met) the plan would have without each source
says which one binds: a single source that lifts the target to its confidence, or none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bastion.plan.result import PlanResult
from bastion.scenario.model import Scenario

WHATIF_PATHS = 1024
"""Paths of each counterfactual simulation (one block; standard error at most 0.016)."""


def _without_suppliers(sc: Scenario, ids: set[str]) -> Scenario:
    sups = {k: v.model_copy(update={"disruption": None}) if k in ids else v
            for k, v in sc.suppliers.items()}
    risks = []
    for r in sc.risks:
        left = [s for s in r.applies_to.suppliers if s not in ids]
        at = r.applies_to.model_copy(update={"suppliers": left})
        if left or at.lines or at.sites:
            risks.append(r.model_copy(update={"applies_to": at}))
    return sc.model_copy(update={"suppliers": sups, "risks": risks})


def _without_plant_events(sc: Scenario) -> Scenario:
    sites = {}
    for sid, site in sc.sites.items():
        lines = {k: v.model_copy(update={"outage": None}) for k, v in site.lines.items()}
        sites[sid] = site.model_copy(update={"lines": lines, "disruption": None})
    risks = []
    for r in sc.risks:
        at = r.applies_to.model_copy(update={"lines": [], "sites": []})
        if at.suppliers:
            risks.append(r.model_copy(update={"applies_to": at}))
    return sc.model_copy(update={"sites": sites, "risks": risks})


def _programme_at_mode(sc: Scenario) -> Scenario:
    if sc.programme is None:
        return sc
    tasks = {k: v.model_copy(update={"duration_months": (v.duration_months[1],) * 3})
             for k, v in sc.programme.tasks.items()}
    return sc.model_copy(update={"programme": sc.programme.model_copy(update={"tasks": tasks})})


def _without_surges(sc: Scenario) -> Scenario:
    return sc.model_copy(update={"customers": {k: v.model_copy(update={"surge": None})
                                               for k, v in sc.customers.items()}})


Source = tuple[str, Callable[[Scenario], Scenario]]
EVERY_SUPPLIER = "every supplier's events"


def sources(sc: Scenario) -> list[Source]:
    """(the source in words, the scenario without it) per source of uncertainty it has."""
    risky = sorted({k for k, v in sc.suppliers.items() if v.disruption is not None
                    and v.disruption.rate_per_year > 0}
                   | {s for r in sc.risks if r.rate_per_year > 0 for s in r.applies_to.suppliers})
    def without(ids: set[str]) -> Callable[[Scenario], Scenario]:
        return lambda s: _without_suppliers(s, ids)

    out: list[Source] = [(f"supplier {k}'s events", without({k})) for k in risky]
    if len(risky) > 1:
        out.append((EVERY_SUPPLIER, without(set(risky))))
    plant = any(ln.outage is not None and ln.outage.rate_per_year > 0
                for _s, ln in sc.all_lines().values()) \
        or any(st.disruption is not None and st.disruption.rate_per_year > 0
               for st in sc.sites.values()) \
        or any(r.rate_per_year > 0 and (r.applies_to.lines or r.applies_to.sites)
               for r in sc.risks)
    if plant:
        out.append(("line and site events", _without_plant_events))
    if sc.programme is not None and any(t.duration_months[0] != t.duration_months[2]
                                        for t in sc.programme.tasks.values()):
        out.append(("the programme's spread (run at its mode durations)", _programme_at_mode))
    if any(c.surge is not None and c.surge.rate_per_year > 0 for c in sc.customers.values()):
        out.append(("customer surges", _without_surges))
    return out


@dataclass(frozen=True)
class WhatIf:
    """P(met) of each target, per source removed (words, probabilities in target order)."""

    rows: tuple[tuple[str, tuple[float, ...]], ...]
    paths: int

    def sentence(self, t: int, requested: float, validated: float) -> str:
        """What binds target t: the source whose removal lifts it most, and whether any one
        source alone lifts it to `requested`."""
        if not self.rows:
            return ""
        ranked = sorted(self.rows, key=lambda r: -r[1][t])
        single = [r for r in ranked if r[0] != EVERY_SUPPLIER]
        top = "; ".join(f"without {w} {p[t]:.2f}" for w, p in ranked[:3])
        if single and single[0][1][t] >= requested:
            return (f"what binds: {single[0][0]} (P(met) of this plan, {validated:.2f}, "
                    f"simulated on {self.paths:,} paths {top})")
        return (f"what binds: no single source of risk (P(met) of this plan, {validated:.2f}, "
                f"simulated on {self.paths:,} paths {top}): the losses of several add up")


def what_if(scenario: Scenario, plan: PlanResult, seed: int, short: dict[int, float],
            paths: int = WHATIF_PATHS, workers: int | None = None) -> WhatIf:
    """The plan simulated with each source of uncertainty removed, one at a time; short: the
    targets below their confidence (position -> P). Suppliers one by one only when removing
    every supplier's events lifts one of them to its P (else no single supplier can)."""
    from bastion.simulate import simulate

    rows = []
    every = sources(scenario)
    first = [s for s in every if not s[0].startswith("supplier ")]
    for words, change in first:
        sim = simulate(change(scenario), plan, paths=paths, seed=seed, workers=workers)
        rows.append((words, tuple(v.probability for v in sim.targets)))
    lifted = any(w == EVERY_SUPPLIER and p[t] >= q for w, p in rows for t, q in short.items())
    single = [s for s in every if s[0].startswith("supplier ")]
    if lifted or (len(single) == 1 and not any(w == EVERY_SUPPLIER for w, _p in rows)):
        for words, change in single:
            sim = simulate(change(scenario), plan, paths=paths, seed=seed, workers=workers)
            rows.append((words, tuple(v.probability for v in sim.targets)))
    return WhatIf(tuple(rows), paths)
