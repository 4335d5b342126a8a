"""The programme network: tasks, triangular durations, precedences and resources.

The engine does not know the scenario model. Whoever calls it (the scenario
adapter, the PSPLIB reader, a test) builds a :class:`Network`; building one
checks it completely, so every engine can trust it.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

__all__ = ["Network", "NetworkError", "to_centi", "topological_order"]


class NetworkError(ValueError):
    """A network that cannot be scheduled; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("; ".join(self.problems))


def _find_cycle(preds: Sequence[Sequence[int]], remaining: set[int]) -> list[int]:
    """Return one precedence cycle among ``remaining`` tasks, in execution order.

    Every task left over by Kahn's algorithm has a predecessor that is also left
    over, so walking predecessors must revisit a task: that loop is a cycle.
    """
    start = min(remaining)
    seen: dict[int, int] = {}
    walk: list[int] = []
    node = start
    while node not in seen:
        seen[node] = len(walk)
        walk.append(node)
        node = min(p for p in preds[node] if p in remaining)
    loop = walk[seen[node] :]
    loop.reverse()  # walked against the arrows: reverse to read a -> b -> c
    # start the cycle at its lowest index, so messages are stable
    k = loop.index(min(loop))
    return loop[k:] + loop[:k]


def topological_order(preds: Sequence[Sequence[int]], names: Sequence[str] | None = None) -> tuple[int, ...]:
    """Order tasks so that every task comes after its predecessors.

    Among the tasks that are ready, the one earliest in file order goes first,
    so a file already in precedence order keeps its order.

    Raises:
        NetworkError: the precedences contain a cycle; the message names it,
            e.g. ``"precedence cycle: a -> b -> c -> a"``.
    """
    t = len(preds)
    succs: list[list[int]] = [[] for _ in range(t)]
    indeg = [0] * t
    for j, ps in enumerate(preds):
        for p in set(ps):
            succs[p].append(j)
            indeg[j] += 1
    ready = [j for j in range(t) if indeg[j] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in succs[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                heapq.heappush(ready, j)
    if len(order) < t:
        remaining = set(range(t)) - set(order)
        loop = _find_cycle(preds, remaining)
        label = [names[i] if names is not None else str(i) for i in loop]
        raise NetworkError([f"precedence cycle: {' -> '.join([*label, label[0]])}"])
    return tuple(order)


def _empty_capacity() -> IntArray:
    return np.zeros(0, dtype=np.int64)


def _empty_demand() -> IntArray:
    return np.zeros((0, 0), dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Network:
    """A build-up programme as the engine sees it.

    Attributes:
        tasks: task ids, in file order.
        durations: (T, 3) float64 months, ``[min, mode, max]`` of a triangular
            distribution; ``[a, a, a]`` is the constant ``a``.
        preds: predecessor task indices of each task.
        resources: renewable resource ids.
        capacity: (R,) int64 units of each resource available at any time.
        demand: (T, R) int64 units of each resource a task holds while it runs.
            Left empty (shape (0, 0)) it means no task demands anything.
        order: a topological order (computed; ties by file order).

    Equality is identity (the arrays make value equality ambiguous). The
    arrays are stored read-only copies.
    """

    tasks: tuple[str, ...]
    durations: FloatArray
    preds: tuple[tuple[int, ...], ...]
    resources: tuple[str, ...] = ()
    capacity: IntArray = field(default_factory=_empty_capacity)
    demand: IntArray = field(default_factory=_empty_demand)
    order: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        t, r = len(self.tasks), len(self.resources)
        problems: list[str] = []
        durations = (
            np.array(self.durations, dtype=np.float64).reshape(-1, 3)
            if np.size(self.durations)
            else np.zeros((0, 3))
        )
        capacity = np.array(self.capacity, dtype=np.int64).reshape(-1)
        demand = np.array(self.demand, dtype=np.int64)
        if demand.size == 0:
            demand = np.zeros((t, r), dtype=np.int64)
        if np.shape(self.durations) != (t, 3):
            problems.append(f"durations must have shape ({t}, 3), got {np.shape(self.durations)}")
        if capacity.shape != (r,):
            problems.append(f"capacity must have shape ({r},), got {capacity.shape}")
        if demand.shape != (t, r):
            problems.append(f"demand must have shape ({t}, {r}), got {demand.shape}")
        if len(self.preds) != t:
            problems.append(f"preds must have {t} entries, got {len(self.preds)}")
        if len(set(self.tasks)) != t:
            dup = sorted({x for x in self.tasks if self.tasks.count(x) > 1})
            problems.append(f"duplicate task ids: {', '.join(dup)}")
        if problems:
            raise NetworkError(problems)
        for j, ps in enumerate(self.preds):
            for p in ps:
                if not 0 <= p < t:
                    problems.append(f"task {self.tasks[j]}: predecessor index {p} out of range")
                elif p == j:
                    problems.append(f"precedence cycle: {self.tasks[j]} -> {self.tasks[j]}")
        for j, (lo, mode, hi) in enumerate(durations):
            if not np.all(np.isfinite([lo, mode, hi])):
                problems.append(f"task {self.tasks[j]}: duration range is not finite")
            elif lo < 0 or not lo <= mode <= hi:
                problems.append(
                    f"task {self.tasks[j]}: duration range [{lo:g}, {mode:g}, {hi:g}] "
                    "must satisfy 0 <= min <= mode <= max"
                )
        for k, name in enumerate(self.resources):
            if capacity[k] < 0:
                problems.append(f"resource {name}: negative capacity {capacity[k]}")
            for j in range(t):
                if demand[j, k] < 0:
                    problems.append(f"task {self.tasks[j]}: negative demand {demand[j, k]} of {name}")
                elif demand[j, k] > capacity[k]:
                    problems.append(
                        f"task {self.tasks[j]} demands {demand[j, k]} of resource {name}, "
                        f"above its capacity {capacity[k]}"
                    )
        order: tuple[int, ...] = ()
        if not problems:
            try:
                order = topological_order(self.preds, self.tasks)
            except NetworkError as exc:
                problems.extend(exc.problems)
        if problems:
            raise NetworkError(problems)
        for arr in (durations, capacity, demand):
            arr.flags.writeable = False
        object.__setattr__(self, "durations", durations)
        object.__setattr__(self, "capacity", capacity)
        object.__setattr__(self, "demand", demand)
        object.__setattr__(self, "preds", tuple(tuple(sorted(set(ps))) for ps in self.preds))
        object.__setattr__(self, "order", order)

    @classmethod
    def from_names(
        cls,
        durations: Mapping[str, Sequence[float]],
        after: Mapping[str, Sequence[str]] | None = None,
        capacity: Mapping[str, int] | None = None,
        demand: Mapping[str, Mapping[str, int]] | None = None,
    ) -> Network:
        """Build a network from ids: ``durations[task] = [min, mode, max]``.

        ``after[task]`` lists predecessor ids, ``capacity[resource]`` the units
        available, ``demand[task][resource]`` the units a task holds.
        """
        tasks = tuple(durations)
        index = {name: i for i, name in enumerate(tasks)}
        after = after or {}
        problems = [
            f"task {task}: unknown predecessor {p}"
            for task, ps in after.items()
            for p in ps
            if p not in index
        ]
        problems += [f"unknown task {task} in after" for task in after if task not in index]
        demand_map = demand or {}
        capacity = capacity or {}
        resources = tuple(capacity)
        for task, needs in demand_map.items():
            if task not in index:
                problems.append(f"unknown task {task} in demand")
            problems += [f"task {task}: unknown resource {r}" for r in needs if r not in capacity]
        if problems:
            raise NetworkError(problems)
        preds = tuple(tuple(index[p] for p in after.get(task, ())) for task in tasks)
        dem = np.array(
            [[demand_map.get(task, {}).get(r, 0) for r in resources] for task in tasks], dtype=np.int64
        ).reshape(len(tasks), len(resources))
        return cls(
            tasks=tasks,
            durations=np.array([list(durations[t]) for t in tasks], dtype=np.float64).reshape(-1, 3),
            preds=preds,
            resources=resources,
            capacity=np.array([capacity[r] for r in resources], dtype=np.int64),
            demand=dem,
        )

    @property
    def size(self) -> int:
        """The number of tasks T."""
        return len(self.tasks)

    @property
    def has_resources(self) -> bool:
        """Whether any task demands any resource (otherwise CPM is the schedule)."""
        return bool(self.demand.size) and bool(np.any(self.demand > 0))

    def index(self, task: str) -> int:
        """The index of a task id."""
        return self.tasks.index(task)

    def successors(self) -> tuple[tuple[int, ...], ...]:
        """Successor indices of each task."""
        succs: list[list[int]] = [[] for _ in self.tasks]
        for j, ps in enumerate(self.preds):
            for p in ps:
                succs[p].append(j)
        return tuple(tuple(s) for s in succs)

    def mode_centi(self) -> IntArray:
        """Mode durations in whole hundredths of a month (the programme's resolution)."""
        return to_centi(self.durations[:, 1])


def to_centi(months: npt.ArrayLike) -> IntArray:
    """Months to integer hundredths of a month, rounded to nearest."""
    return np.rint(np.asarray(months, dtype=np.float64) * 100.0).astype(np.int64)
