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

Two statements per target A (docs/method-confidence.md, "Not reachable: the bound"):
- alone: P(A met) <= F(A), the share of futures in which A can be met at all;
- with the higher priorities H held at their confidences P_h (the lexicographic objective holds
  them first): P(A met) <= P(A and every h met) + P(some h missed) <= F(A and H) + sum (1 - P_h).
F is estimated on K futures; each statement uses the one-sided Clopper-Pearson upper bound at
1 - ALPHA / 2 (Bonferroni over the two), so the smaller of the two holds with 95 % confidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bastion.plan.build import build_model
from bastion.plan.confidence.futures import Futures
from bastion.plan.confidence.saa import future_index
from bastion.plan.index import PlanIndex
from bastion.plan.model import INF, LinearModel
from bastion.plan.solve import HighsSolver, SolveStatus
from bastion.scenario.model import Scenario

BOUND_FUTURES = 20
"""Futures solved with perfect foresight (the first of the planning futures)."""
ALPHA = 0.05
"""The bound holds with confidence 1 - ALPHA (each of its two statements at 1 - ALPHA / 2)."""
MET_TOLERANCE = 1e-4
"""A set is counted met when each shortfall is at most this share of its target's units (looser
than the simulator's 1e-6: counting more futures met only raises the bound, so it stays valid
whatever the solver's own tolerances)."""
SOLVE_SECONDS = 60.0
"""Time limit of each future's solve; a solve stopped by it counts the set as met (valid)."""


def clopper_pearson_upper(met: int, count: int, alpha: float) -> float:
    """One-sided upper confidence bound at 1 - alpha on a binomial share met / count (exact:
    the p with P(Binomial(count, p) <= met) = alpha; 1 when every trial succeeded)."""
    if count <= 0 or met >= count:
        return 1.0

    def cdf(p: float) -> float:  # P(Binomial(count, p) <= met)
        if p <= 0.0:
            return 1.0
        if p >= 1.0:
            return 0.0
        lp, lq = math.log(p), math.log1p(-p)
        return math.fsum(math.exp(math.lgamma(count + 1) - math.lgamma(k + 1)
                                  - math.lgamma(count - k + 1) + k * lp + (count - k) * lq)
                         for k in range(met + 1))

    lo, hi = met / count, 1.0
    for _ in range(60):  # cdf falls as p rises: bisection to ~1e-18
        mid = (lo + hi) / 2
        if cdf(mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


def most_met_to_prove(count: int, requested: float, slack: float = 0.0) -> int:
    """The most futures (of count) a set may be met in for its bound (+ slack) to stay below
    `requested`; -1 when no count proves it."""
    best = -1
    for met in range(count + 1):
        if clopper_pearson_upper(met, count, ALPHA / 2) + slack < requested:
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
class Bound:
    """The bound on one target's probability of being met, whatever the plan.

    A set solved in fewer than `count` futures (stopped once it could prove nothing) counts
    the futures not solved as met: the bound stays valid, and proves nothing."""

    met_alone: int  # futures in which the target can be met at all
    solved_alone: int
    met_joint: int  # ... together with every higher target in `higher`
    solved_joint: int
    count: int  # futures drawn for the bound
    higher: tuple[int, ...]  # higher-priority target positions held at their confidence
    slack: float  # sum over them of 1 - P_h

    @property
    def upper_alone(self) -> float:
        """Upper bound on P(met) by any plan (confidence 1 - ALPHA / 2)."""
        return clopper_pearson_upper(self.met_alone + self.count - self.solved_alone,
                                     self.count, ALPHA / 2)

    @property
    def upper_joint(self) -> float:
        """Upper bound on P(met) by a plan holding the higher targets at their confidence."""
        if not self.higher:
            return 1.0
        return min(1.0, clopper_pearson_upper(self.met_joint + self.count - self.solved_joint,
                                              self.count, ALPHA / 2) + self.slack)

    @property
    def upper(self) -> float:
        """The smaller of the two (confidence 1 - ALPHA)."""
        return min(self.upper_alone, self.upper_joint)


def target_bounds(scenario: Scenario, ix0: PlanIndex, online0: dict[str, int], fut: Futures,
                  targets: list[int], requested: dict[int, float],
                  higher: dict[int, tuple[int, ...]], count: int = BOUND_FUTURES
                  ) -> dict[int, Bound]:
    """The bound of each target in `targets`; requested: position -> P; higher[t]: the
    higher-priority targets held at their confidence (requested[h]) in its joint statement."""
    n = min(count, fut.count)
    want: dict[tuple[int, ...], int] = {}  # set -> most met futures that still prove
    for t in targets:
        p = requested[t]
        one = (t,)
        want[one] = max(want.get(one, -1), most_met_to_prove(n, p))
        h = tuple(higher.get(t, ()))
        if h:
            slack = sum(1.0 - requested[k] for k in h)
            want[(t, *h)] = max(want.get((t, *h), -1), most_met_to_prove(n, p, slack))
    sets = sorted(want)
    got = dict(zip(sets, foresight_sets(scenario, ix0, online0, fut, sets, n,
                                        [want[g] for g in sets]), strict=True))
    out = {}
    for t in targets:
        h = tuple(higher.get(t, ()))
        alone = got[(t,)]
        joint = got[(t, *h)] if h else alone
        out[t] = Bound(met_alone=alone[0], solved_alone=alone[1], met_joint=joint[0],
                       solved_joint=joint[1], count=n, higher=h,
                       slack=sum(1.0 - requested[k] for k in h))
    return out


def bound_text(b: Bound, requested: float, names: list[str]) -> str:
    """One sentence: what perfect foresight allows, and whether it proves `requested` out of
    reach (names: each target position's words)."""
    def seen(met: int, solved: int, upper: float) -> str:
        if solved < b.count:  # stopped once it could prove nothing
            return f"in {met} of the first {solved} futures solved"
        return f"in {met} of {b.count} futures (95 % bound {upper:.2f})"

    alone = (f"with perfect foresight of each future (the plan's own model of it, any plan) it "
             f"can be met {seen(b.met_alone, b.solved_alone, b.upper_alone)}")
    held = ", ".join(names[h] for h in b.higher)
    joint = ""
    if b.higher:
        joint = (f"; together with {held} (held at their confidence, whose misses add "
                 f"{b.slack:.2f}) {seen(b.met_joint, b.solved_joint, b.upper_joint)}")
    why = "whatever the plan" if b.upper_joint >= b.upper_alone else (
        f"while {held} holds its confidence" if len(b.higher) == 1
        else f"while {held} hold their confidence")
    verdict = (f"not reachable {why}: at most {b.upper:.2f} < {requested:.2f} (perfect "
               f"foresight, {b.count} futures, 95 %)" if b.upper < requested
               else "not proven unreachable (with foresight a plan could reach it): the gap is "
                    "the price of committing the plan before the future is known, or a plan the "
                    "search did not find")
    return alone + joint + "; " + verdict


def bound_json(b: Bound, requested: float) -> dict[str, object]:
    """The bound's numbers for the JSON (docs/method-confidence.md, "Not reachable")."""
    return {"futures": b.count, "met_alone": b.met_alone, "solved_alone": b.solved_alone,
            "upper_alone": round(b.upper_alone, 6), "higher": list(b.higher),
            "met_with_higher": b.met_joint if b.higher else None,
            "solved_with_higher": b.solved_joint if b.higher else None,
            "upper_with_higher": round(b.upper_joint, 6) if b.higher else None,
            "upper": round(b.upper, 6), "proven_unreachable": b.upper < requested,
            "confidence": 1 - ALPHA}
