"""Cross-reference checks on a scenario whose values are each valid on their own.

Each check returns `(path, message)` pairs; the loader turns paths into lines.
Checks are listed in `CHECKS` and all run, so every problem is reported at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from bastion.scenario.errors import Path
from bastion.scenario.model import MilestoneRef, Scenario
from bastion.scenario.types import month_index, month_name

Found = list[tuple[Path, str]]


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle in a directed graph (node -> successors) as [a, b, ..., a], or None."""
    state: dict[str, int] = {}
    for root in graph:
        if state.get(root):
            continue
        stack: list[tuple[str, list[str]]] = [(root, list(graph.get(root, ())))]
        trail = [root]
        state[root] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                state[node] = 2
                stack.pop()
                trail.pop()
                continue
            nxt = todo.pop()
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return [*trail[trail.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                trail.append(nxt)
                stack.append((nxt, list(graph.get(nxt, ()))))
    return None


def _items(s: Scenario) -> Found:
    out: Found = []
    for iid, item in s.items.items():
        for comp in item.bom:
            if comp not in s.items:
                out.append((("items", iid, "bom", comp), f"unknown item {comp}"))
            elif comp == iid:
                out.append((("items", iid, "bom", comp), "an item cannot be in its own bom"))
    graph = {iid: [c for c in item.bom if c != iid] for iid, item in s.items.items()}
    cycle = find_cycle(graph)
    if cycle is not None:
        out.append((("items", cycle[0], "bom"), "bom cycle: " + " -> ".join(cycle)))
    return out


def _suppliers(s: Scenario) -> Found:
    out: Found = []
    for sid, sup in s.suppliers.items():
        for iid in sup.supplies:
            path: Path = ("suppliers", sid, "supplies", iid)
            if iid not in s.items:
                out.append((path, f"unknown item {iid}"))
            elif s.items[iid].made:
                out.append((path, f"{iid} is made (made: true); suppliers supply bought items only"))
    return out


def _sites(s: Scenario) -> Found:
    out: Found = []
    seen: dict[str, str] = {}
    tasks = s.programme.tasks if s.programme is not None else {}
    for sid, site in s.sites.items():
        for iid in site.initial_store:
            if iid not in s.items:
                out.append((("sites", sid, "initial_store", iid), f"unknown item {iid}"))
        for lid, line in site.lines.items():
            base: Path = ("sites", sid, "lines", lid)
            if lid in seen:
                out.append((base, f"line id {lid} is already used at site {seen[lid]}"))
            seen.setdefault(lid, sid)
            for index, iid in enumerate(line.makes):
                if iid not in s.items:
                    out.append(((*base, "makes", index), f"unknown item {iid}"))
                elif not s.items[iid].made:
                    out.append(
                        (
                            (*base, "makes", index),
                            f"{iid} is bought (made: false); a line makes made items only",
                        )
                    )
            if isinstance(line.online, MilestoneRef) and line.online.milestone not in tasks:
                out.append(
                    (
                        (*base, "online", "milestone"),
                        f"milestone {line.online.milestone} is not a programme task",
                    )
                )
    if not seen:
        out.append((("sites",), "no site has a line: at least one line is needed"))
    return out


def _programme(s: Scenario) -> Found:
    if s.programme is None:
        return []
    out: Found = []
    prog = s.programme
    for tid, task in prog.tasks.items():
        for index, pred in enumerate(task.after):
            if pred not in prog.tasks:
                out.append((("programme", "tasks", tid, "after", index), f"unknown task {pred}"))
        for rid, units in task.uses.items():
            path: Path = ("programme", "tasks", tid, "uses", rid)
            if rid not in prog.resources:
                out.append((path, f"unknown resource {rid}"))
            elif units > prog.resources[rid]:
                out.append((path, f"uses {units} of {rid}, whose capacity is {prog.resources[rid]}"))
    cycle = find_cycle({tid: [p for p in t.after if p in prog.tasks] for tid, t in prog.tasks.items()})
    if cycle is not None:
        out.append(
            (
                ("programme", "tasks", cycle[0], "after"),
                "task cycle: " + " <- ".join(cycle) + " (x <- y: x is after y)",
            )
        )
    return out


def _customers(s: Scenario) -> Found:
    out: Found = []
    n = s.horizon.months
    for cid, cust in s.customers.items():
        base: Path = ("customers", cid)
        for key in ("initial_stock", "consumption"):
            for iid in getattr(cust, key):
                if iid not in s.items:
                    out.append(((*base, key, iid), f"unknown item {iid}"))
        for iid, rate in cust.consumption.items():
            if isinstance(rate, dict):
                for month in rate:
                    if month_index(month, s.horizon.start) >= n:
                        out.append(((*base, "consumption", iid, month), f"{month} is beyond the horizon"))
        for index, target in enumerate(cust.targets):
            path: Path = (*base, "targets", index)
            if target.item not in s.items:
                out.append(((*path, "item"), f"unknown item {target.item}"))
            k = month_index(target.by, s.horizon.start)
            if k >= n:
                last = _last_month(s)
                out.append(((*path, "by"), f"{target.by} is beyond the horizon (last month {last})"))
            elif k < 0:
                out.append(((*path, "by"), f"{target.by} is before the horizon starts ({s.horizon.start})"))
    return out


def _last_month(s: Scenario) -> str:
    return month_name(s.horizon.months - 1, s.horizon.start)


def _risks(s: Scenario) -> Found:
    out: Found = []
    lines = s.all_lines()
    known: dict[str, set[str]] = {"suppliers": set(s.suppliers), "lines": set(lines), "sites": set(s.sites)}
    seen: set[str] = set()
    for index, risk in enumerate(s.risks):
        if risk.id in seen:
            out.append((("risks", index, "id"), f"risk id {risk.id} is used twice"))
        seen.add(risk.id)
        for kind, ids in (
            ("suppliers", risk.applies_to.suppliers),
            ("lines", risk.applies_to.lines),
            ("sites", risk.applies_to.sites),
        ):
            for j, nid in enumerate(ids):
                if nid not in known[kind]:
                    out.append((("risks", index, "applies_to", kind, j), f"unknown {kind[:-1]} {nid}"))
    return out


def _dates(s: Scenario) -> Found:
    out: Found = []
    if s.programme is not None and s.programme.start is not None:
        k = month_index(s.programme.start, s.horizon.start)
        if k >= s.horizon.months:
            out.append((("programme", "start"), f"{s.programme.start} is beyond the horizon"))
    return out


def _delays(s: Scenario) -> Found:
    """A whole-month delay (lead time, acceptance, delivery) is at most the horizon's length."""
    n = s.horizon.months
    out: Found = []

    def check(value: int, path: Path) -> None:
        if value > n:
            out.append((path, f"{value} months is longer than the horizon ({n} months): nothing could arrive in it"))

    for sid, sup in s.suppliers.items():
        for iid, supply in sup.supplies.items():
            check(supply.lead_time_months, ("suppliers", sid, "supplies", iid, "lead_time_months"))
    for lid, (sid, line) in s.all_lines().items():
        check(line.acceptance_months, ("sites", sid, "lines", lid, "acceptance_months"))
    for cid, cust in s.customers.items():
        check(cust.delivery_months, ("customers", cid, "delivery_months"))
    return out


def _repeats(values: list[str], path: Path) -> Found:
    """A problem at each element of a list that repeats an earlier one."""
    out: Found = []
    first: dict[str, int] = {}
    for index, value in enumerate(values):
        if value in first:
            out.append(((*path, index), f"{value} is listed twice (first at [{first[value]}])"))
        first.setdefault(value, index)
    return out


def _duplicates(s: Scenario) -> Found:
    """No id is listed twice in a list of ids (`makes`, `after`, `applies_to`, `releasable_to`)."""
    out: Found = []
    for sid, site in s.sites.items():
        for lid, line in site.lines.items():
            out.extend(_repeats(line.makes, ("sites", sid, "lines", lid, "makes")))
    if s.programme is not None:
        for tid, task in s.programme.tasks.items():
            out.extend(_repeats(task.after, ("programme", "tasks", tid, "after")))
    for index, risk in enumerate(s.risks):
        for kind in ("suppliers", "lines", "sites"):
            out.extend(_repeats(getattr(risk.applies_to, kind), ("risks", index, "applies_to", kind)))
    rel = s.releasability
    if rel is not None:
        out.extend(_repeats(rel.releasable_to, ("releasability", "releasable_to")))
        for index, nation in enumerate(rel.releasable_to):
            if nation == rel.owner:
                out.append(
                    (("releasability", "releasable_to", index), f"{nation} is the owner: list only the other nations")
                )
    return out


def _named_things(s: Scenario) -> list[tuple[str, str, Path]]:
    """(id, kind, path) of every item, supplier, site, line, task, customer and risk, in file order."""
    found: list[tuple[str, str, Path]] = [(iid, "item", ("items", iid)) for iid in s.items]
    found += [(sid, "supplier", ("suppliers", sid)) for sid in s.suppliers]
    for sid, site in s.sites.items():
        found.append((sid, "site", ("sites", sid)))
        found += [(lid, "line", ("sites", sid, "lines", lid)) for lid in site.lines]
    if s.programme is not None:
        found += [(tid, "task", ("programme", "tasks", tid)) for tid in s.programme.tasks]
    found += [(cid, "customer", ("customers", cid)) for cid in s.customers]
    found += [(risk.id, "risk", ("risks", index, "id")) for index, risk in enumerate(s.risks)]
    return found


def _unique_ids(s: Scenario) -> Found:
    """An id names one thing only, across kinds (same-kind repeats are reported by their own checks)."""
    out: Found = []
    first: dict[str, str] = {}
    for nid, kind, path in _named_things(s):
        seen = first.get(nid)
        if seen is not None and seen != kind:
            out.append((path, f"id {nid} is already used by a {seen}: an id names one thing only"))
        first.setdefault(nid, kind)
    return out


CHECKS: tuple[Callable[[Scenario], Found], ...] = (
    _items,
    _suppliers,
    _sites,
    _programme,
    _customers,
    _risks,
    _dates,
    _duplicates,
    _unique_ids,
    _delays,
)


def cross_check(scenario: Scenario) -> Found:
    """Every cross-reference problem in the scenario, as (path, message) pairs."""
    found: Found = []
    for check in CHECKS:
        found.extend(check(scenario))
    return found


__all__ = ["CHECKS", "cross_check", "find_cycle"]
