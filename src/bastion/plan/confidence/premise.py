"""What the contract's lexicographic objective guarantees the higher priorities: the premises of
the bound's joint statements (bound.py; docs/method-confidence.md, "Not reachable").

The objective (issue 15) takes the priority levels in order and, at each, minimises the
shortfall from each target's confidence: it maximises V(l) = sum over the level's targets of
min(P(met), requested). Let this plan give V(l) and every level above l its full sum of
requests (each of their targets at its request). Any plan the objective ranks at least as high
as this one then holds every level above l at its full sum too, so at l it gives at least V(l):
for a set H_l of the level's targets, sum over H_l of P(met) >= V(l) - sum of the requests of
the level's other targets = sum over H_l of min(P_h, requested_h) - what the others lack of
their requests. So the statement P(A) <= F(A and H) + sum over H of (1 - P_h) holds for every
such plan with sum over H_l of P_h replaced by that guarantee. This plan's P_h are estimated
on fresh paths; each is replaced by its lower Clopper-Pearson bound (Bonferroni over the
estimates read).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bastion.plan.confidence.binomial import clopper_pearson_lower
from bastion.plan.result import PlanResult
from bastion.scenario.model import Scenario

ALPHA_PREMISE = 0.01
"""The share of the bound's ALPHA spent on the premises: every estimate of this plan's P(met)
read for a target's statements holds at 1 - ALPHA_PREMISE / (their number)."""
PREMISE_PATHS = 10_000
"""Paths of the fresh simulation of the plan whose P(met) the premises read."""
PREMISE_SEED_OFFSET = 1
"""That simulation's seed: the validation's + 1 (neither the validation's paths, which steered
the search, nor the planning futures' streams)."""


@dataclass(frozen=True)
class Estimate:
    """This plan's P(met) of a higher-priority target on fresh paths, and its lower bound."""

    probability: float
    paths: int
    lower: float  # Clopper-Pearson, one-sided


@dataclass(frozen=True)
class Held:
    """A joint statement's targets at one higher priority level, and what the objective keeps
    for them together."""

    priority: int
    targets: tuple[int, ...]
    requested: tuple[float, ...]
    keeps: tuple[float, ...]  # each: min(lower bound of its P(met) in this plan, requested)
    lack: float  # what the level's other targets lack of their requests in this plan

    @property
    def total(self) -> float:
        """Sum of P(met) over `targets` in any plan the objective ranks as high as this one."""
        return max(0.0, sum(self.keeps) - self.lack)

    @property
    def slack(self) -> float:
        """Their misses: sum over `targets` of 1 - P(met), at most."""
        return len(self.targets) - self.total


def simulate_premises(scenario: Scenario, plan: PlanResult, targets: Sequence[int], seed: int,
                      workers: int | None) -> tuple[dict[int, float], int]:
    """The plan's P(met) of `targets` on PREMISE_PATHS fresh paths (seed: the validation's),
    and the number of paths."""
    from bastion.simulate import simulate

    if not targets:
        return {}, PREMISE_PATHS
    sim = simulate(scenario, plan, paths=PREMISE_PATHS, seed=seed + PREMISE_SEED_OFFSET,
                   workers=workers)
    return {t: float(sim.targets[t].probability) for t in targets}, sim.paths


def estimates(probability: Mapping[int, float], paths: int, alpha: float) -> dict[int, Estimate]:
    """Each probability (a share of `paths`) with its lower bound at 1 - alpha."""
    return {t: Estimate(p, paths, clopper_pearson_lower(round(p * paths), paths, alpha))
            for t, p in probability.items()}


def eligible(t: int, requested: Mapping[int, float], prio: Sequence[int],
             lower: Mapping[int, float]) -> tuple[int, ...]:
    """The higher-priority targets whose guarantee the objective gives for t's statements: the
    levels above t's, in order, down to the first whose targets this plan does not all hold at
    their request (lower bound; that level is included, the ones below it are not); a level
    with a target without a confidence stops it before (its objective is not the confidence
    shortfall alone)."""
    out: list[int] = []
    for level in sorted({prio[h] for h in range(len(prio)) if prio[h] < prio[t]}):
        members = [h for h in range(len(prio)) if prio[h] == level]
        if any(h not in requested for h in members):
            break
        out.extend(members)
        if any(lower[h] < requested[h] for h in members):
            break
    return tuple(out)


def held(higher: Sequence[int], requested: Mapping[int, float], prio: Sequence[int],
         lower: Mapping[int, float]) -> tuple[Held, ...]:
    """The set `higher`, level by level, with what the objective keeps for it."""
    out = []
    for level in sorted({prio[h] for h in higher}):
        mine = tuple(h for h in higher if prio[h] == level)
        others = [h for h in requested if prio[h] == level and h not in mine]
        out.append(Held(level, mine, tuple(requested[h] for h in mine),
                        tuple(min(lower[h], requested[h]) for h in mine),
                        float(sum(requested[h] - min(lower[h], requested[h])
                                  for h in others))))
    return tuple(out)


def candidates(t: int, requested: Mapping[int, float], prio: Sequence[int], by: Sequence[int],
               lower: Mapping[int, float]) -> list[tuple[Held, ...]]:
    """The sets H tried for t's joint statements: the eligible targets due by t's month, and
    every eligible target (each set once; none whose misses alone reach t's request)."""
    every = eligible(t, requested, prio, lower)
    out: list[tuple[Held, ...]] = []
    for hs in (tuple(h for h in every if by[h] <= by[t]), every):
        if hs and all(tuple(h for g in c for h in g.targets) != hs for c in out):
            c = held(hs, requested, prio, lower)
            if sum(g.slack for g in c) < requested[t]:
                out.append(c)
    return out
