"""What fixes a short target (or a short consumption): the least change of one limit that meets
it, found by bisection.

For each short target, the candidates are the limits the plan runs into before the target's
month and whose family, relaxed as a whole, lowers that target's shortfall (diagnose.py):
one supplier's capacity for one item, one line's capacity, one line's online month. For each,
the plan is re-solved (shortfall stages up to the target's priority, no cost stage) with that
one limit lifted far (capacity x10 or unlimited, online at month 0): if the target is still
short, that limit alone cannot fix it. Otherwise the lifted plan uses at most `hi` more than
today's limit (so `hi` meets the target) and a bisection between 0 (short) and `hi` (met)
narrows the least change to a few percent; it is rounded up to two significant figures and
checked by one more re-solve. "From" is the first month in which the plan that meets the
target uses more than today's limit: the change is needed from then on, not before.

Bounded: at most MAX_CANDIDATES limits per target, MAX_STEPS bisection steps each, and
MAX_SOLVES re-solves in all; the same scenario gives the same answers on every machine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bastion.plan.index import PlanIndex
from bastion.plan.result import Fix, TargetPlan
from bastion.plan.solution import Solution, line_capacity
from bastion.plan.variant import Solved, Step, prefixed, solve_model, target_tolerance
from bastion.scenario.model import Scenario
from bastion.scenario.types import month_name

MAX_CANDIDATES = 3
MAX_STEPS = 7
MAX_SOLVES = 40
PRECISION = 0.02
LINE_FACTOR = 10.0


def nice_up(v: float) -> float:
    """`v` rounded up to two significant figures where that adds at most 5% (66.7 -> 67, 283 -> 290),
    else to three (1012 -> 1020, not 1100)."""
    if v <= 0:
        return 0.0
    for digits in (2, 3):
        step = 10.0 ** (math.floor(math.log10(v)) - digits + 1)
        up = math.ceil(v / step - 1e-9) * step
        if up <= v * 1.05:
            return float(f"{up:.{digits}g}")
    return float(f"{up:.3g}")


def nicest(lo: float, hi: float) -> float:
    """The number in (lo, hi] with the fewest significant figures (99.2, 101.5 -> 100)."""
    if hi <= 0:
        return hi
    for digits in range(1, 5):
        step = 10.0 ** (math.floor(math.log10(hi)) - digits + 1)
        c = float(f"{(math.floor(lo / step) + 1) * step:.{digits}g}")
        if lo < c <= hi:
            return c
    return hi


def qty(v: float) -> str:
    """3,400 or 0.25."""
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2f}".rstrip("0").rstrip(".")


@dataclass
class Search:
    """The re-solves of one plan's fix search: its inputs and the count of solves left."""

    scenario: Scenario
    online: dict[str, int]
    gap: float
    time_limit: float | None
    progress: Step | None
    solves_left: int = MAX_SOLVES

    def met(self, scenario: Scenario, online: dict[str, int], goal: Goal,
            note: str) -> Solution | None:
        """The plan of the variant when it meets the goal, else None (also when out of solves)."""
        if self.solves_left <= 0:
            return None
        self.solves_left -= 1
        r = solve_model(scenario, online, None, time_limit=self.time_limit, gap=self.gap, pool=True,
                        with_cost=False, upto=goal.priority, progress=prefixed(self.progress, note))
        if r.sol is None:
            return None
        return r.sol if goal.check(r.sol) else None


@dataclass(frozen=True)
class Goal:
    """What a fix must achieve: a target met (or a customer's consumption served) in the re-solved
    plan. `label` names it in progress texts; `item` and `by` (month index) bound the limits
    searched; `priority` the levels re-solved."""

    label: str
    priority: int
    item: int
    by: int
    check: Callable[[Solution], bool]


def target_goal(ix: PlanIndex, k: int, t: TargetPlan) -> Goal:
    """Target `k` met: its shortfall within the target tolerance."""
    tol = target_tolerance(t.units)
    tg = ix.targets[k]
    return Goal(f"{t.customer} {t.item} {t.by}", t.priority, tg.item, max(0, min(tg.by, ix.n - 1)),
                lambda sol: float(sol.shortfall[k]) <= tol)


def consumption_goal(ix: PlanIndex, q: int) -> Goal:
    """Stockpile `q`'s consumption served in every month."""
    c, i = (int(v) for v in ix.pile_pairs[q])
    tol = 1e-6 * max(1.0, float(ix.consumption[q].sum()))
    return Goal(f"{ix.customers[c]} {ix.items[i]} consumption", int(ix.priority[c]), i, ix.n - 1,
                lambda sol: float(sol.pile_unmet[q].sum()) <= tol)


def with_supply(scenario: Scenario, supplier: str, item: str, capacity: float | None) -> Scenario:
    """`scenario` with one supplier's monthly capacity for one item set to `capacity`."""
    sup = scenario.suppliers[supplier]
    offer = sup.supplies[item].model_copy(update={"capacity_per_month": capacity})
    sup = sup.model_copy(update={"supplies": {**sup.supplies, item: offer}})
    return scenario.model_copy(update={"suppliers": {**scenario.suppliers, supplier: sup}})


def with_line(scenario: Scenario, line_id: str, capacity: float) -> Scenario:
    """`scenario` with one line's capacity per month set to `capacity`."""
    site_id, line = scenario.all_lines()[line_id]
    site = scenario.sites[site_id]
    line = line.model_copy(update={"capacity_per_month": capacity})
    site = site.model_copy(update={"lines": {**site.lines, line_id: line}})
    return scenario.model_copy(update={"sites": {**scenario.sites, site_id: site}})


def closure(ix: PlanIndex, item: int) -> set[int]:
    """`item` and every item in its bill of materials, all levels down."""
    seen, todo = {item}, [item]
    while todo:
        for comp, _ in ix.bom.get(todo.pop(), ()):
            if comp not in seen:
                seen.add(comp)
                todo.append(comp)
    return seen


def _first(mask: np.ndarray) -> int | None:
    hit = np.flatnonzero(mask)
    return int(hit[0]) if len(hit) else None


def candidates(ix: PlanIndex, sol: Solution, item: int, by: int, families: set[str],
               limit: int | None = MAX_CANDIDATES) -> list[tuple[int, str, int]]:
    """(first binding month, kind, position) of each limit worth a search, earliest first."""
    items = closure(ix, item)
    out: list[tuple[int, str, int]] = []
    if "supplier_capacity" in families:
        for j, s in enumerate(ix.supplies):
            if s.item in items and s.capacity is not None and s.capacity > 0:
                m = _first(sol.supply_orders[j, : by + 1] >= s.capacity * (1 - 1e-4) - 1e-6)
                if m is not None:
                    out.append((m, "supplier_capacity", j))
    cap = line_capacity(ix, sol)
    for li, line in enumerate(ix.lines):
        if not items.intersection(line.makes):
            continue
        c = cap[li, : by + 1]
        m = _first((c > 0) & (sol.line_output[li, : by + 1] >= c * (1 - 1e-4) - 1e-6))
        if "line_capacity" in families and m is not None and line.capacity > 0:
            out.append((m, "line_capacity", li))
        m0 = sol.built.get(li, line.online) if line.optional else line.online
        if "online" in families and 0 < m0 <= by:
            out.append((m0, "line_online", li))
    out.sort(key=lambda c: (c[0], c[1], c[2]))
    return out[:limit]


Variant = Callable[[float], tuple[Scenario, dict[str, int]]]
"""A change (units a month, or months) -> the scenario and online months with it made."""


def _bisect(search: Search, goal: Goal, hi: float, hi_sol: Solution,
            make: Variant, note: str, whole: bool = False,
            guess: float | None = None) -> tuple[float, Solution]:
    """The least change in (0, hi] that meets the goal (hi meets it), and its plan; `guess`, a
    likely answer, is tried first."""
    lo, steps = 0.0, 0
    if guess is not None and 0 < guess < hi * (1 - PRECISION):
        sol = search.met(*make(guess), goal, f"{note}{qty(guess)}: ")
        if sol is not None:
            hi, hi_sol = guess, sol
        else:
            lo = guess
    while steps < MAX_STEPS and hi - lo > (1.0 if whole else max(0.1, PRECISION * hi)):
        mid = math.floor((lo + hi) / 2) if whole else (lo + hi) / 2
        if whole and mid <= lo:
            break
        sol = search.met(*make(mid), goal, f"{note}{qty(mid)}: ")
        steps += 1
        if sol is not None:
            hi, hi_sol = mid, sol
        else:
            lo = mid
    if not whole:
        nice = nicest(lo, hi)
        if nice < hi - 1e-9:
            sol = search.met(*make(nice), goal, f"{note}{qty(nice)}: ")
            if sol is not None:
                return nice, sol
        nice = nice_up(hi)
        if nice > hi + 1e-9:
            sol = search.met(*make(nice), goal, f"{note}{qty(nice)}: ")
            if sol is not None:
                hi, hi_sol = nice, sol
    return hi, hi_sol


def spread(extra: np.ndarray, first: int, by: int) -> float | None:
    """A first guess: the extra the lifted plan used up to month `by`, spread evenly over the months
    from `first` (the limit's first binding month in the plan) to `by`."""
    total = float(np.maximum(extra[: by + 1], 0.0).sum())
    return nice_up(total / (by + 1 - first)) if total > 0 and first <= by else None


def _supply_fix(search: Search, ix: PlanIndex, goal: Goal, j: int, first: int) -> Fix | None:
    s = ix.supplies[j]
    item = ix.items[s.item]
    cap = float(s.capacity or 0.0)
    note = f"what fixes {goal.label}: {s.supplier} {item} capacity +"
    sol = search.met(with_supply(search.scenario, s.supplier, item, None), search.online, goal,
                     f"{note}unlimited: ")
    if sol is None:
        return None
    extra = sol.supply_orders[j] - cap
    hi = max(1.0, float(np.max(extra)))

    def make(d: float) -> tuple[Scenario, dict[str, int]]:
        return with_supply(search.scenario, s.supplier, item, cap + d), search.online

    d, sol = _bisect(search, goal, hi, sol, make, note, guess=spread(extra, first, goal.by))
    k0 = _first(sol.supply_orders[j] > cap + 1e-6 * max(1.0, cap))
    start = month_name(k0, ix.start) if k0 is not None else None
    text = (f"+{qty(d)} {item} a month from {s.supplier} (from {qty(cap)} to {qty(cap + d)})"
            + (f" from {start}" if start else ""))
    return Fix("supplier_capacity", s.supplier, item, d, cap, "units/month", start, text)


def _line_fix(search: Search, ix: PlanIndex, goal: Goal, li: int, first: int) -> Fix | None:
    line = ix.lines[li]
    cap = line.capacity
    note = f"what fixes {goal.label}: {line.id} capacity +"
    sol = search.met(with_line(search.scenario, line.id, cap * LINE_FACTOR), search.online, goal,
                     f"{note}x{LINE_FACTOR:g}: ")
    if sol is None:
        return None

    def needed(sol: Solution, base: float) -> np.ndarray:
        """Each month's output over the share of capacity it had (the capacity it needed)."""
        avail = line_capacity(ix, sol)[li] / max(base, 1e-12)  # the ramp's share, 0 when offline
        return np.where(avail > 0, sol.line_output[li] / np.maximum(avail, 1e-12), 0.0)

    extra = needed(sol, line.capacity) - cap
    hi = max(1.0, float(np.max(extra)))

    def make(d: float) -> tuple[Scenario, dict[str, int]]:
        return with_line(search.scenario, line.id, cap + d), search.online

    d, sol = _bisect(search, goal, hi, sol, make, note, guess=spread(extra, first, goal.by))
    k0 = _first(needed(sol, line.capacity) > cap + 1e-6 * max(1.0, cap))
    start = month_name(k0, ix.start) if k0 is not None else None
    text = (f"+{qty(d)} a month of {line.id} capacity (from {qty(cap)} to {qty(cap + d)})"
            + (f" from {start}" if start else ""))
    return Fix("line_capacity", line.id, None, d, cap, "units/month", start, text)


def _online_fix(search: Search, ix: PlanIndex, base: Solution, goal: Goal, li: int) -> Fix | None:
    line = ix.lines[li]
    m0 = base.built.get(li, line.online) if line.optional else line.online
    first = line.first_candidate() if line.optional else 0
    if m0 <= first:
        return None
    note = f"what fixes {goal.label}: {line.id} online earlier by "

    def make(d: float) -> tuple[Scenario, dict[str, int]]:
        return search.scenario, {**search.online, line.id: int(m0 - d)}

    hi = float(m0 - first)
    sol = search.met(*make(hi), goal, f"{note}{qty(hi)}: ")
    if sol is None:
        return None
    d, sol = _bisect(search, goal, hi, sol, make, note, whole=True)
    new, old = month_name(int(m0 - d), ix.start), month_name(m0, ix.start)
    text = f"{line.id} online in {new} instead of {old} ({qty(d)} month{'s' if d != 1 else ''} earlier)"
    return Fix("line_online", line.id, None, d, float(m0), "months", new, text)


def _together_fix(search: Search, ix: PlanIndex, goal: Goal, caps: list[tuple[str, int]]) -> Fix | None:
    """The least common share by which every binding capacity (suppliers' and lines') must grow
    together to meet target k, when none alone can: bisection on the share in (0, 9]."""
    def make(f: float) -> tuple[Scenario, dict[str, int]]:
        sc = search.scenario
        for kind, pos in caps:
            if kind == "supplier_capacity":
                s = ix.supplies[pos]
                sc = with_supply(sc, s.supplier, ix.items[s.item], float(s.capacity or 0.0) * (1 + f))
            else:
                sc = with_line(sc, ix.lines[pos].id, ix.lines[pos].capacity * (1 + f))
        return sc, search.online

    note = f"what fixes {goal.label}: every binding capacity +"
    hi = LINE_FACTOR - 1
    sol = search.met(*make(hi), goal, f"{note}{hi * 100:.0f}%: ")
    if sol is None:
        return None
    f, sol = _bisect(search, goal, hi * 100, sol, lambda pc: make(pc / 100), note)
    share = f / 100
    parts = []
    for kind, pos in caps:
        if kind == "supplier_capacity":
            s = ix.supplies[pos]
            c = float(s.capacity or 0.0)
            parts.append(f"{s.supplier} {ix.items[s.item]} +{qty(c * share)} a month (from {qty(c)})")
        else:
            c = ix.lines[pos].capacity
            parts.append(f"{ix.lines[pos].id} +{qty(c * share)} a month (from {qty(c)})")
    nodes = "+".join(ix.lines[p].id if kd == "line_capacity" else
                     f"{ix.supplies[p].supplier}/{ix.items[ix.supplies[p].item]}" for kd, p in caps)
    text = f"every binding capacity +{qty(f)}% together: " + ", ".join(parts)
    return Fix("together", nodes, None, f, 100.0, "%", None, text)


def find_fixes(search: Search, base: Solved, goal: Goal, families: set[str],
               tried: set[str] | None = None) -> list[Fix]:
    """The fixes of a short goal (each alone meets it), smallest relative change first.

    families: those whose relaxation lowers the target's shortfall (single limits are searched
    there); tried: every family relaxed (when no single limit fixes it, the binding capacities of
    these are raised together)."""
    ix, sol = base.ix, base.sol
    assert sol is not None
    found: list[Fix] = []
    for m, kind, pos in candidates(ix, sol, goal.item, goal.by, families):
        if search.solves_left <= 0:
            break
        fix = (_supply_fix(search, ix, goal, pos, m) if kind == "supplier_capacity" else
               _line_fix(search, ix, goal, pos, m) if kind == "line_capacity" else
               _online_fix(search, ix, sol, goal, pos))
        if fix is not None:
            found.append(fix)
    if not found and search.solves_left > 0:
        caps = [(kind, pos) for _m, kind, pos in candidates(ix, sol, goal.item, goal.by,
                                                              families | (tried or set()), limit=None)
                if kind != "line_online"]
        if len(caps) > 1:
            fix = _together_fix(search, ix, goal, caps)
            if fix is not None:
                found.append(fix)
    return sorted(found, key=lambda f: f.change / max(f.current, 1.0) if f.unit != "months"
                  else f.change / 12.0)
