"""The bridge from a Scenario's `programme` to the programme engine's Network.

Times in the engine count from `programme.start`; `offset_months` converts
them to months from `horizon.start`, the clock of the plan and the simulator.
"""

from __future__ import annotations

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


#: CP-SAT's wall-clock limit per stage for a scenario's programme (plan, simulate, schedule, run
#: all use it, so they see the same schedule). Programmes of tens of tasks are proven optimal in
#: milliseconds; a large one (1,000 tasks sharing resources) keeps the best schedule found in the
#: time, starting from the best of several priority-rule schedules (`optimal: false`).
SCENARIO_TIME_LIMIT_S = 2.0


def deterministic_schedule(scenario: Scenario, time_limit_s: float = SCENARIO_TIME_LIMIT_S) -> ScenarioProgramme:
    """The optimal schedule of the scenario's programme with mode durations (see SCENARIO_TIME_LIMIT_S)."""
    from bastion.programme.rcpsp import schedule

    net = network_of(scenario)
    return ScenarioProgramme(scenario, net, schedule(net, time_limit_s=time_limit_s), offset_months(scenario))
