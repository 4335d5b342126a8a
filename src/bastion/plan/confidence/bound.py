"""A valid upper bound on what any plan reaches: perfect foresight, per future, with statistics.

In each of K planning futures the plan's own model of that future (`future_index`: its line
and supplier availability per month, online months, surges; `build_model`: the plan's builder)
is solved with a single objective, a set of targets' shortfall (each over its units), every
other choice free: no cost stage, build decisions integer as in the plan, consumption unmet only
in a month its stockpile is empty (`stockout_rule`, the simulator's own rule). The set is met in
the future when the optimum meets every target of it (within MET_TOLERANCE of its units; a solve
that does not end optimal counts as met). The model's recourse is at least as loose as the
simulator's policy (docs/method-confidence.md, "What is approximate"), so a plan made now and
played by the simulator in that future meets the set only where this model can.

Statements per target A (docs/method-confidence.md, "Not reachable: the bound"):
- alone: P(A met) <= F(A), the share of futures in which A can be met at all;
- with higher priorities H (a few candidate sets, premise.py): P(A met) <= P(A and every h met)
  + P(some h missed) <= F(A and H) + sum over H of (1 - P_h), where sum over H of P_h is at
  least what the lexicographic objective guarantees H in any plan it ranks as high as this
  one (premise.py: a level this plan holds at its requests is held by such a plan; at the
  first level it leaves short, the level's capped sum is).
F is estimated on K futures with the one-sided Clopper-Pearson upper bound; Bonferroni over
every statement tried and every estimate of this plan's P(met) read by the premises (ALPHA:
ALPHA_PREMISE for the estimates, the rest split equally over the statements), so the smallest
bound holds with confidence 1 - ALPHA.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from bastion.plan.build import build_model
from bastion.plan.confidence.binomial import clopper_pearson_upper
from bastion.plan.confidence.futures import Futures
from bastion.plan.confidence.premise import (
    ALPHA_PREMISE,
    Estimate,
    Held,
    candidates,
    estimates,
)
from bastion.plan.confidence.saa import future_index
from bastion.plan.index import PlanIndex
from bastion.plan.model import INF, LinearModel
from bastion.plan.solve import HighsSolver, SolveStatus
from bastion.scenario.model import Scenario

BOUND_FUTURES = 20
"""Futures solved with perfect foresight (drawn on streams of their own: futures.BOUND_BLOCK_BASE)."""
ALPHA = 0.05
"""Each target's bound holds with confidence 1 - ALPHA (Bonferroni over its statements and the
premises' estimates)."""
MET_TOLERANCE = 1e-4
"""A set is counted met when each shortfall is at most this share of its target's units (looser
than the simulator's 1e-6: counting more futures met only raises the bound, so it stays valid
whatever the solver's own tolerances)."""
SOLVE_SECONDS = 60.0
"""Time limit of each future's solve; a solve stopped by it counts the set as met (valid)."""


def most_met_to_prove(count: int, requested: float, slack: float, alpha: float) -> int:
    """The most futures (of count) a set may be met in for its bound at 1 - alpha (+ slack) to
    stay below `requested`; -1 when no count proves it."""
    best = -1
    for met in range(count + 1):
        if clopper_pearson_upper(met, count, alpha) + slack < requested:
            best = met
        else:
            break
    return best


def foresight_sets(scenario: Scenario, ix0: PlanIndex, online0: dict[str, int], fut: Futures,
                   sets: list[tuple[int, ...]], count: int = BOUND_FUTURES,
                   stop: list[int] | None = None, *, relaxed: bool = False,
                   served: bool = True) -> list[tuple[int, int]]:
    """Per set of target positions: (met, solved): in how many of the first `count` planning
    futures one plan (knowing that future) meets every target of the set, of how many solved.
    stop[k]: a set met in more than this many futures is not solved further (its bound can no
    longer prove anything). A future whose solve does not end optimal counts as met (the bound
    stays valid). relaxed: build decisions continuous; served: the stockout rule."""
    met = [0] * len(sets)
    solved = [0] * len(sets)
    n = min(count, fut.count)
    limit = stop if stop is not None else [n] * len(sets)
    for s in range(n):
        live = [k for k in range(len(sets)) if met[k] <= limit[k]]
        if not live:
            break
        ixs = future_index(scenario, ix0, online0, fut, s)
        m = build_model(ixs)
        if served:
            stockout_rule(m, ixs, max(ixs.targets[t].by for k in live for t in sets[k]))
        solver = HighsSolver(m)
        if relaxed:
            solver.set_integrality(solver.integer_cols, False)
        short = m.vars["Target-shortfall"].start
        met_here: list[set[int]] = []  # sets met in this future
        for k in sorted(live, key=lambda k: -len(sets[k])):  # larger sets first
            if any(set(sets[k]) <= g for g in met_here):  # a superset is met: so is this set
                solved[k] += 1
                met[k] += 1
                met_here.append(set(sets[k]))
                continue
            cost = np.zeros(m.n_col)
            for t in sets[k]:
                cost[short + t] = 1.0 / max(1.0, ixs.targets[t].units)
            solver.set_objective(cost)
            out = solver.solve(time_limit=SOLVE_SECONDS,
                               method=None if solver.is_mip else "simplex")
            solved[k] += 1
            if out.status is not SolveStatus.OPTIMAL or out.x is None or all(
                    float(out.x[short + t]) <= MET_TOLERANCE * max(1.0, ixs.targets[t].units)
                    for t in sets[k]):
                met[k] += 1
                met_here.append(set(sets[k]))
    return list(zip(met, solved, strict=True))


def stock_cap(ix: PlanIndex) -> float | None:
    """More than any stockpile can hold: every initial stock plus every line's and supplier's
    capacity over the horizon; None when a supplier has no capacity (no such bound)."""
    if any(sp.capacity is None for sp in ix.supplies):
        return None
    per_month = sum(ln.capacity for ln in ix.lines) + sum(float(sp.capacity or 0.0)
                                                          for sp in ix.supplies)
    return float(np.sum(ix.init_pile) + np.sum(ix.init_store)) + ix.n * per_month + 1.0


def stockout_rule(m: LinearModel, ix: PlanIndex, upto: int) -> None:
    """Consumption goes unmet only in a month the stockpile is empty (the simulator's rule),
    up to month `upto`: a binary e per (stockpile, month) with consumption, unmet <= consumption
    x e and stockpile <= CAP x (1 - e), CAP = `stock_cap` (no rule when there is none: the model
    may then skip consumption, a looser bound)."""
    cap = stock_cap(ix)
    un, pile = m.vars["Consumption-unmet"], m.vars["Stockpile-level"]
    keep = un.keys["month"] <= upto
    if cap is None or not keep.any():
        return
    q, month = un.keys["pile"][keep], un.keys["month"][keep]
    e = m.add_vars("Stockout", 0.0, 1.0, {"pile": q, "month": month}, integer=True)
    r1 = m.add_rows("Unmet-only-when-empty", -INF, 0.0, {"pile": q, "month": month})
    m.add_terms(r1.index, un.index[keep], 1.0)
    m.add_terms(r1.index, e.index, -ix.consumption[q, month])
    r2 = m.add_rows("Empty-when-unmet", -INF, cap, {"pile": q, "month": month})
    m.add_terms(r2.index, pile.start + q * ix.n + month, 1.0)
    m.add_terms(r2.index, e.index, cap)


@dataclass(frozen=True)
class Statement:
    """P(A) <= F(A and H) + the misses of H: H (`higher`) held by the objective (premise.py)."""

    higher: tuple[int, ...]  # target positions, by priority level
    held: tuple[Held, ...]  # H by level, with what the objective keeps for it
    met: int  # futures in which A and every target of H can be met together
    solved: int
    count: int
    alpha: float  # its Clopper-Pearson bound holds at 1 - alpha

    @property
    def slack(self) -> float:
        """Sum over H of 1 - P_h, at most (premise.py)."""
        return sum(g.slack for g in self.held)

    @property
    def upper(self) -> float:
        """Upper bound on P(A met) by any plan the objective ranks as high as this one."""
        return min(1.0, clopper_pearson_upper(self.met + self.count - self.solved, self.count,
                                              self.alpha) + self.slack)


@dataclass(frozen=True)
class Bound:
    """The bound on one target's probability of being met.

    A set solved in fewer than `count` futures (stopped once it could prove nothing) counts
    the futures not solved as met: the bound stays valid, and proves nothing."""

    met_alone: int  # futures in which the target can be met at all
    solved_alone: int
    count: int  # futures drawn for the bound
    alpha: float  # each statement's Clopper-Pearson bound holds at 1 - alpha
    statements: tuple[Statement, ...] = ()  # with higher priorities
    estimates: Mapping[int, Estimate] = field(default_factory=dict)  # the premises' reading
    alpha_premise: float = 0.0  # spent on the estimates (0 without statements)

    @property
    def upper_alone(self) -> float:
        """Upper bound on P(met) by any plan (confidence 1 - alpha)."""
        return clopper_pearson_upper(self.met_alone + self.count - self.solved_alone,
                                     self.count, self.alpha)

    @property
    def best(self) -> Statement | None:
        """The joint statement with the smallest bound (None without any)."""
        return min(self.statements, key=lambda s: s.upper, default=None)

    @property
    def upper(self) -> float:
        """The smallest of every statement's bound (confidence 1 - ALPHA)."""
        return min([self.upper_alone, *(s.upper for s in self.statements)])


def target_bounds(scenario: Scenario, ix0: PlanIndex, online0: dict[str, int], fut: Futures,
                  targets: list[int], requested: Mapping[int, float], prio: Sequence[int],
                  probability: Mapping[int, float], paths: int, count: int = BOUND_FUTURES
                  ) -> dict[int, Bound]:
    """The bound of each target in `targets`. requested: position -> P (the targets with a
    confidence); prio: every position's priority; probability: this plan's P(met) per target
    with a confidence, on `paths` fresh paths (premise.py), at least those of a higher priority
    than some target of `targets`."""
    n = min(count, fut.count)
    by = [int(t.by) for t in ix0.targets]
    want: dict[tuple[int, ...], int] = {}  # set -> most met futures that still prove
    plans: dict[int, tuple[dict[int, Estimate], list[tuple[Held, ...]], float]] = {}
    for t in targets:
        p = requested[t]
        higher = [h for h in requested if prio[h] < prio[t]]
        est = estimates({h: probability[h] for h in higher}, paths,
                        ALPHA_PREMISE / len(higher)) if higher else {}
        tried = candidates(t, requested, prio, by, {h: e.lower for h, e in est.items()})
        alpha = (ALPHA - ALPHA_PREMISE) / (1 + len(tried)) if tried else ALPHA
        plans[t] = (est, tried, alpha)
        want[(t,)] = max(want.get((t,), -1), most_met_to_prove(n, p, 0.0, alpha))
        for c in tried:
            key = (t, *(h for g in c for h in g.targets))
            want[key] = max(want.get(key, -1),
                            most_met_to_prove(n, p, sum(g.slack for g in c), alpha))
    sets = sorted(want)
    got = dict(zip(sets, foresight_sets(scenario, ix0, online0, fut, sets, n,
                                        [want[g] for g in sets]), strict=True))
    out = {}
    for t in targets:
        est, tried, alpha = plans[t]
        alone = got[(t,)]
        statements = []
        for c in tried:
            higher_t = tuple(h for g in c for h in g.targets)
            met, solved = got[(t, *higher_t)]
            statements.append(Statement(higher_t, c, met, solved, n, alpha))
        out[t] = Bound(met_alone=alone[0], solved_alone=alone[1], count=n, alpha=alpha,
                       statements=tuple(statements), estimates=est if tried else {},
                       alpha_premise=ALPHA_PREMISE if tried else 0.0)
    return out


_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
          9: "nine"}


def _and(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def premise_words(s: Statement, names: Sequence[str]) -> str:
    """What the statement holds the higher priorities at, in a planner's words ("lv 2030 and
    lv 2033 keep 0.90 and ee 2031 keeps the 0.80 this plan gives it")."""
    full: dict[float, list[str]] = {}
    rest = []
    for g in s.held:
        if g.lack > 0:  # the level's others lack: the guarantee is the set's, together
            one = len(g.targets) == 1
            rest.append(f"{_and([names[h] for h in g.targets])} "
                        f"{'keeps' if one else 'keep together'} {g.total:.2f} (what this plan "
                        f"gives {'it' if one else 'them'}, less the {g.lack:.2f} the other "
                        f"targets of priority {g.priority} lack)")
            continue
        for h, keep, req in zip(g.targets, g.keeps, g.requested, strict=True):
            if keep >= req:
                full.setdefault(req, []).append(names[h])
            else:
                rest.append(f"{names[h]} keeps the {keep:.2f} this plan gives it")
    return _and([f"{_and(hs)} {'keeps' if len(hs) == 1 else 'keep'} {req:.2f}"
                 for req, hs in full.items()] + rest)


def bound_text(b: Bound, requested: float, names: Sequence[str]) -> str:
    """One sentence: what perfect foresight allows, and whether it proves `requested` out of
    reach (names: each target position's words)."""
    def seen(met: int, solved: int, upper: float) -> str:
        if solved < b.count:  # stopped once it could prove nothing
            return f"in {met} of the first {solved} futures solved"
        return f"in {met} of {b.count} futures (bound {upper:.2f})"

    text = (f"with perfect foresight of each future (the plan's own model of it, any plan) it "
            f"can be met {seen(b.met_alone, b.solved_alone, b.upper_alone)}")
    for s in b.statements:
        k = len(s.higher) + 1
        text += (f"; with the higher priorities at what the objective keeps for them "
                 f"({premise_words(s, names)}; misses at most {s.slack:.2f}), the "
                 f"{_WORDS.get(k, str(k))} can be met together {seen(s.met, s.solved, s.upper)}")
    best = b.best
    if b.upper_alone < requested or best is None:
        verdict = (f"not reachable whatever the plan: at most {b.upper_alone:.2f} < "
                   f"{requested:.2f} (perfect foresight, {b.count} futures, {100 * (1 - ALPHA):.0f} %)"
                   if b.upper_alone < requested else "")
    elif best.upper < requested:
        k = len(best.higher) + 1
        verdict = (f"not reachable while {premise_words(best, names)}: with perfect foresight "
                   f"the {_WORDS.get(k, str(k))} are met together in only {best.met} of "
                   f"{best.count} futures (bound {best.upper:.2f} < {requested:.2f}; {100 * (1 - ALPHA):.0f} % over "
                   f"every statement and estimate)")
    else:
        verdict = ""
    if not verdict:
        verdict = (f"not proven unreachable (with foresight a plan could reach it: the smallest "
                   f"bound, {b.upper:.2f}, is {b.upper - requested:.2f} above "
                   f"{requested:.2f}): the gap is the price of committing the plan before the "
                   f"future is known, or a plan the search did not find")
    return text + "; " + verdict


def _statement_json(s: Statement) -> dict[str, object]:
    return {"higher": list(s.higher),
            "premise": {str(h): round(k, 6) for g in s.held
                        for h, k in zip(g.targets, g.keeps, strict=True)},
            "lack": round(sum(g.lack for g in s.held), 6), "slack": round(s.slack, 6),
            "met": s.met, "solved": s.solved, "upper": round(s.upper, 6)}


def bound_json(b: Bound, requested: float) -> dict[str, object]:
    """The bound's numbers for the JSON (docs/method-confidence.md, "Not reachable")."""
    best = b.best
    return {"futures": b.count, "met_alone": b.met_alone, "solved_alone": b.solved_alone,
            "upper_alone": round(b.upper_alone, 6),
            "higher": list(best.higher) if best else [],
            "met_with_higher": best.met if best else None,
            "solved_with_higher": best.solved if best else None,
            "upper_with_higher": round(best.upper, 6) if best else None,
            "statements": [_statement_json(s) for s in b.statements],
            "estimates": {str(h): {"probability": e.probability, "paths": e.paths,
                                   "lower": round(e.lower, 6)} for h, e in b.estimates.items()},
            "alpha_statement": round(b.alpha, 6), "alpha_estimates": b.alpha_premise,
            "upper": round(b.upper, 6), "proven_unreachable": b.upper < requested,
            "confidence": 1 - ALPHA}
