"""Result types of the programme engine (plain frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["RcpspSolution", "RiskSummary", "Schedule", "TaskRisk"]


@dataclass(frozen=True)
class Schedule:
    """A deterministic programme schedule (mode durations), in months from its start.

    Attributes:
        tasks: task ids, in file order.
        starts, finishes: per task, months (multiples of 0.01).
        makespan: the latest finish.
        critical_path: ids of the critical tasks, by start then file order
            (zero total float; with resources, see ``docs/method-programme.md``).
        optimal: whether the schedule is proven optimal (least makespan, then
            least sum of finishes). CPM without resources is always optimal.
        method: ``"cpm"`` or ``"cp-sat"``.
        solver_seconds: wall time spent in the solver.
    """

    tasks: tuple[str, ...]
    starts: tuple[float, ...]
    finishes: tuple[float, ...]
    makespan: float
    critical_path: tuple[str, ...]
    optimal: bool
    method: str
    solver_seconds: float = 0.0

    def start_of(self, task: str) -> float:
        """Start of a task, months from programme start."""
        return self.starts[self.tasks.index(task)]

    def finish_of(self, task: str) -> float:
        """Finish of a task, months from programme start."""
        return self.finishes[self.tasks.index(task)]


@dataclass(frozen=True)
class RcpspSolution:
    """A PSPLIB-style solution in integer periods.

    Attributes:
        makespan: periods from 0 to the last finish.
        starts: start period of each job, in file order (job 1 first).
        optimal: proven optimal.
        lower_bound: the best proven lower bound on the makespan.
        seconds: wall time of the whole solve (heuristic included).
    """

    makespan: int
    starts: tuple[int, ...]
    optimal: bool
    lower_bound: int
    seconds: float


@dataclass(frozen=True)
class TaskRisk:
    """Sampled finish of one task: percentiles (months) and criticality index."""

    task: str
    p10: float
    p50: float
    p90: float
    mean: float
    criticality: float


@dataclass(frozen=True, eq=False)
class RiskSummary:
    """Summary of sampled schedules.

    Attributes:
        paths: number of sampled paths.
        makespan_sorted: (n,) programme finishes, ascending: the S-curve is
            ``P(finish <= makespan_sorted[k]) = (k + 1) / n``.
        s_curve: ``(x, P(programme finish <= x))`` on a grid of months.
        tasks: per task percentiles and criticality index, file order.
        finishes: (n, T) sampled finishes, for further queries.
    """

    paths: int
    makespan_sorted: npt.NDArray[np.float64]
    s_curve: tuple[tuple[float, float], ...]
    tasks: tuple[TaskRisk, ...]
    finishes: npt.NDArray[np.float64]

    def task(self, task: str) -> TaskRisk:
        """The summary of one task by id."""
        for t in self.tasks:
            if t.task == task:
                return t
        raise KeyError(task)

    def probability_finish_by(self, task: str, x: float) -> float:
        """Share of paths in which ``task`` finishes at or before ``x`` months."""
        k = [t.task for t in self.tasks].index(task)
        return float(np.mean(self.finishes[:, k] <= x + 1e-6))
