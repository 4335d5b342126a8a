"""The bridge from a Scenario's `programme` to the programme engine's Network.

Times in the engine count from `programme.start`; `offset_months` converts
them to months from `horizon.start`, the clock of the plan and the simulator.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from bastion.programme.network import Network
from bastion.programme.result import Schedule
from bastion.scenario.model import MilestoneRef, Scenario
from bastion.scenario.types import month_index


def network_of(scenario: Scenario) -> Network:
    """The programme of `scenario` as a Network (an empty one when there is no programme)."""
    prog = scenario.programme
    if prog is None or not prog.tasks:
        return Network(tasks=(), durations=np.zeros((0, 3)), preds=())
    tasks = tuple(prog.tasks)
    index = {tid: k for k, tid in enumerate(tasks)}
    resources = tuple(prog.resources)
    demand = np.array(
        [[task.uses.get(r, 0) for r in resources] for task in prog.tasks.values()], dtype=np.int64
    ).reshape(len(tasks), len(resources))
    return Network(
        tasks=tasks,
        durations=np.array([task.duration_months for task in prog.tasks.values()], dtype=np.float64),
        preds=tuple(tuple(index[p] for p in task.after) for task in prog.tasks.values()),
        resources=resources,
        capacity=np.array([prog.resources[r] for r in resources], dtype=np.int64),
        demand=demand,
    )


def offset_months(scenario: Scenario) -> int:
    """Months from `horizon.start` to `programme.start`."""
    return month_index(scenario.programme_start(), scenario.horizon.start)


def milestone_lines(scenario: Scenario) -> dict[str, str]:
    """Line id -> the milestone task that brings it online (lines online at a milestone only)."""
    return {
        lid: line.online.milestone
        for lid, (_sid, line) in scenario.all_lines().items()
        if isinstance(line.online, MilestoneRef)
    }


@dataclass(frozen=True)
class ScenarioProgramme:
    """A scenario's programme with its deterministic schedule, on the horizon's clock."""

    scenario: Scenario
    network: Network
    schedule: Schedule
    offset: int

    def finish_from_horizon(self) -> dict[str, float]:
        """Task id -> finish in months from `horizon.start` (mode durations)."""
        return {t: f + self.offset for t, f in zip(self.schedule.tasks, self.schedule.finishes, strict=True)}

    @cached_property
    def sgs_order(self) -> tuple[int, ...]:
        """The list the sampler's serial SGS follows: tasks by start in the deterministic optimum."""
        from bastion.programme.sgs import list_from_starts

        return list_from_starts(self.network, self.schedule.starts)


#: CP-SAT's work limit per stage for a scenario's programme (plan, simulate, schedule, run all
#: use it, so they see the same schedule), in CP-SAT's deterministic time: about 2 seconds of
#: one core of the development machine (measured on the 1,000-task scale programme: 0.125 units
#: in 1.4 CPU s). Programmes of tens of tasks are proven optimal in milliseconds; a large one
#: (1,000 tasks sharing resources) keeps the best schedule found within the work, starting from
#: the best of several priority-rule schedules (`optimal: false`). A work limit, unlike a
#: wall-clock one, stops the search at the same point on any machine and under any load, so the
#: schedule, and the plan and simulation built on it, are the same each run.
SCENARIO_WORK_LIMIT = 0.2
#: The wall-clock safety net per stage behind SCENARIO_WORK_LIMIT (reached only on a machine
#: tens of times slower than the development one; the schedule may then differ between runs).
SCENARIO_SAFETY_S = 60.0

_LAST: list[tuple[Scenario, ScenarioProgramme]] = []
"""The last scenario's schedule under the work limit (scenarios are frozen: `plan` and then
`simulate` in one process solve it once)."""
_LAST_LOCK = threading.Lock()


def deterministic_schedule(scenario: Scenario, time_limit_s: float | None = None) -> ScenarioProgramme:
    """The optimal schedule of the scenario's programme with mode durations.

    time_limit_s None (default): CP-SAT stops each stage after SCENARIO_WORK_LIMIT of work (the
    same schedule on any machine); the last scenario's schedule is kept and reused. A number:
    a wall-clock limit per stage instead (`bastion schedule --time-limit`).
    """
    from bastion.programme.rcpsp import schedule

    if time_limit_s is not None:
        net = network_of(scenario)
        return ScenarioProgramme(scenario, net, schedule(net, time_limit_s=time_limit_s),
                                 offset_months(scenario))
    with _LAST_LOCK:
        if _LAST and _LAST[0][0] is scenario:
            return _LAST[0][1]
    net = network_of(scenario)  # solved outside the lock: other threads' scenarios never wait
    prog = ScenarioProgramme(scenario, net, schedule(net, time_limit_s=SCENARIO_SAFETY_S,
                                                     work_limit=SCENARIO_WORK_LIMIT),
                             offset_months(scenario))
    with _LAST_LOCK:
        _LAST[:] = [(scenario, prog)]
    return prog
