"""The buffer route's rounds: the level search (levels.py), validated, then correction rounds;
and the comparison of validated plans by priority level (docs/method-confidence.md, "The buffer
route": "Validation and correction", "Choosing the cover").

Pure: no printing, no files.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from bastion.plan.confidence.levels import Searched, goal, search_levels, slack
from bastion.plan.index import Floor
from bastion.plan.result import PlanResult
from bastion.scenario.model import Scenario
from bastion.simulate.result import SimulationResult

Step = Callable[[str], None]

BUFFER_CORRECTIONS = 1
"""The buffer route's correction rounds after validation (each one more level-by-level search)."""
RAISE_ERRORS = 1.0
"""A correction round raises a short target's goal by its gap to P plus this many standard
errors of its validated probability."""
KEEP_BEST_ROUND = True
"""The buffer route keeps, of its validated rounds, the best by priority level in order (per
level, the sum over its targets of min(P, p + stderr)); else the last round."""
TIE_ERRORS = 2.0
"""Two validated plans compared level by level (`better`) tie at a level whose sums differ by
at most this many standard errors of the difference."""


def validated_key(sim: SimulationResult, conf: dict[int, float], prio: list[int]
                  ) -> tuple[float, ...]:
    """Per priority level in order: the sum over its targets of min(P, p + stderr) (a target
    that validates counts P; rounded to 1e-9 so that ties are ties)."""
    return tuple(round(sum(min(conf[t], sim.targets[t].probability + sim.targets[t].stderr)
                           for t in conf if prio[t] == q), 9)
                 for q in sorted({prio[t] for t in conf}))


def better(a: SimulationResult, b: SimulationResult, conf: dict[int, float], prio: list[int]
           ) -> bool:
    """True when validated plan `a` is better than `b` by priority level in order: the first
    level whose sums (`validated_key`) differ by more than TIE_ERRORS standard errors of the
    difference (sqrt of the sum of both plans' squared errors over the level's targets)
    decides; False when every level ties."""
    ka, kb = validated_key(a, conf, prio), validated_key(b, conf, prio)
    for k, q in enumerate(sorted({prio[t] for t in conf})):
        err = math.sqrt(sum(a.targets[t].stderr ** 2 + b.targets[t].stderr ** 2
                            for t in conf if prio[t] == q))
        if abs(ka[k] - kb[k]) > TIE_ERRORS * err:
            return ka[k] > kb[k]
    return False


@dataclass
class Rounds:
    """The rounds' outcome: the state kept, its validation, and the history of every round."""

    found: Searched
    sim: SimulationResult
    history: list[dict[str, object]] = field(default_factory=list)


def search_rounds(scenario: Scenario, base: PlanResult, conf: dict[int, float], prio: list[int],
                  units: list[float], *, futures: int, seed: int, rounds: int,
                  time_limit: float | None, gap: float, progress: Step | None,
                  validate: Callable[[PlanResult], list[tuple[float, float]]],
                  simulate_plan: Callable[[PlanResult], SimulationResult],
                  floors: tuple[Floor, ...]) -> Rounds:
    """The level search from `base` (the plan with the component buffers `floors`), validated
    (`simulate_plan`); then up to BUFFER_CORRECTIONS rounds that raise the in-sample goal of a
    target validated short; the best validated round kept (KEEP_BEST_ROUND)."""
    raise_by: dict[int, float] = {}
    start: tuple[dict[int, int], dict[int, float]] = ({}, {})
    history: list[dict[str, object]] = []
    kept: Rounds | None = None
    for rnd in range(BUFFER_CORRECTIONS + 1):
        found = search_levels(scenario, base, conf, prio, units, futures=futures, seed=seed,
                              rounds=rounds, start=start, raise_by=raise_by,
                              time_limit=time_limit, gap=gap, progress=progress,
                              validate=validate, floors=floors)
        sim = simulate_plan(found.plan)
        history.extend({"round": rnd + 1, "method": "buffer", **h} for h in found.history)
        history.append({"round": rnd + 1, "method": "buffer", "validated": {
            str(t): round(sim.targets[t].probability, 4) for t in conf}})
        if kept is None or not KEEP_BEST_ROUND or \
                validated_key(sim, conf, prio) > validated_key(kept.sim, conf, prio):
            kept = Rounds(found, sim)
        n_met = {t: int(found.met(t, units[t]).sum()) for t in conf}
        low = {t: conf[t] - sim.targets[t].probability + RAISE_ERRORS * sim.targets[t].stderr
               for t in conf
               if sim.targets[t].probability < conf[t] - sim.targets[t].stderr
               and n_met[t] >= goal(conf[t], futures, raise_by.get(t, 0.0))
               - slack(conf[t], futures)}
        if not low or rnd == BUFFER_CORRECTIONS:
            break
        # the goal becomes the in-sample share reached plus the validation's gap to P
        raise_by = {**raise_by, **{t: max(raise_by.get(t, 0.0), n_met[t] / futures - conf[t] + v)
                                   for t, v in low.items()}}
        start = (dict(found.early), dict(found.extra))
    if kept is None:  # the loop runs at least once
        raise RuntimeError("no round was searched")
    kept.history = history
    return kept
