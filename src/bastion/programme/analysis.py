"""The programme questions a planner asks: the schedule, its critical path, and
how likely first output is within 24 months (scenario-aware; pure, no output).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.programme.result import RiskSummary
from bastion.programme.risk import (
    finish_month_index,
    online_month_index,
    sample_schedules_in_blocks,
    summarise,
)
from bastion.programme.scenario import (
    ScenarioProgramme,
    deterministic_schedule,
    milestone_lines,
)
from bastion.scenario.model import MilestoneRef, Scenario
from bastion.scenario.types import month_index, month_name

IntArray = npt.NDArray[np.int64]
FIRST_OUTPUT_WINDOW = 24
"""Months counted from `programme.start` in the headline question."""


def first_output_months(scenario: Scenario, finishes: npt.NDArray[np.float64], offset: int) -> IntArray:
    """Per path, the first month (from horizon start) in which a committed line can produce.

    `finishes` is (n, T) task finishes from programme start. Optional lines are
    left out (the plan decides whether they are built). Returns -1 for a path
    when no committed line exists.
    """
    n = finishes.shape[0]
    tasks = list(scenario.programme.tasks) if scenario.programme is not None else []
    best = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    found = False
    for _lid, (_sid, line) in scenario.all_lines().items():
        if line.optional:
            continue
        found = True
        if isinstance(line.online, MilestoneRef):
            k = tasks.index(line.online.milestone)
            month = online_month_index(finishes[:, k] + offset)
        elif line.online is None:
            month = np.zeros(n, dtype=np.int64)
        else:
            month = np.full(n, month_index(line.online, scenario.horizon.start), dtype=np.int64)
        best = np.minimum(best, np.maximum(month, 0))
    return best if found else np.full(n, -1, dtype=np.int64)


def critical_steps(tasks: list[tuple[str, float, float]]) -> list[list[str]]:
    """The critical path as steps: each step the critical tasks that run side by side.

    `tasks` are (id, start, finish) of the critical tasks. Sorted by start, a
    task joins the current step when it starts before every task of the step
    has finished (their intervals overlap), else it opens the next step; a
    zero-duration milestone at a step's end opens the next one.
    """
    steps: list[list[str]] = []
    end = -math.inf
    for task, start, finish in sorted(tasks, key=lambda t: (round(t[1], 6), round(t[2], 6))):
        if steps and round(start, 6) < round(end, 6):
            steps[-1].append(task)
            end = max(end, finish)
        else:
            steps.append([task])
            end = finish
    return steps


SIDE_BY_SIDE = " ∥ "


def critical_path_text(steps: list[list[str]]) -> str:
    """The critical path as a path: "a → b → (c ∥ d) → e", where c and d run side by side
    (the wording of `bastion schedule` and of the report's Gantt)."""
    return " → ".join(s[0] if len(s) == 1 else "(" + SIDE_BY_SIDE.join(s) + ")" for s in steps)


def month_of_finish(months: float) -> int:
    """The month (index from programme start) in which a finish at `months` falls: ceil(f) - 1, 0 for f = 0."""
    f = round(float(months), 6)
    return math.ceil(f) - 1 if f > 0 else 0


@dataclass(frozen=True, eq=False)
class ScheduleAnalysis:
    """The deterministic schedule and, when sampled, its risk, on calendar months."""

    scenario: Scenario
    programme: ScenarioProgramme
    risk: RiskSummary | None
    first_output: IntArray | None  # per path, month index from horizon start
    seed: int

    def _cal(self, months_from_programme_start: float) -> str:
        return month_name(int(months_from_programme_start), self.scenario.programme_start())

    def p_first_output_within(self, months: int = FIRST_OUTPUT_WINDOW) -> float | None:
        """Share of paths whose first output month is one of the first `months` of the programme."""
        if self.first_output is None or self.first_output.size == 0 or self.first_output[0] < 0:
            return None
        k = self.first_output - self.programme.offset
        return float(np.mean(k <= months - 1))

    def to_json(self) -> dict[str, Any]:
        """The schedule JSON object (ARCHITECTURE.md keys plus extras)."""
        sched = self.programme.schedule
        start_month = self.scenario.programme_start()
        starts = np.array(sched.starts)
        finishes = np.array(sched.finishes)
        fin_idx = finish_month_index(finishes, starts)
        online = {
            lid: month_name(
                int(online_month_index(sched.finish_of(task) + self.programme.offset)),
                self.scenario.horizon.start,
            )
            for lid, task in milestone_lines(self.scenario).items()
        }
        out: dict[str, Any] = {
            "classification": self.scenario.marking(),
            "programme_start": start_month,
            "makespan_months": round(sched.makespan, 6),
            "optimal": sched.optimal,
            "method": sched.method,
            "finish": {t: month_name(int(k), start_month) for t, k in zip(sched.tasks, fin_idx, strict=True)},
            "makespan_month": self._cal(month_of_finish(sched.makespan)),
            "critical_path": list(sched.critical_path),
            "critical_steps": critical_steps(
                [(t, s, f) for t, s, f in zip(sched.tasks, sched.starts, sched.finishes, strict=True)
                 if t in sched.critical_path]
            ),
            "tasks": [
                {
                    "task": t,
                    "start_months": round(s, 6),
                    "finish_months": round(f, 6),
                    "start": month_name(int(np.floor(round(s, 6))), start_month),
                    "finish": month_name(int(k), start_month),
                    "critical": t in sched.critical_path,
                }
                for t, s, f, k in zip(sched.tasks, sched.starts, sched.finishes, fin_idx, strict=True)
            ],
            "line_online": online,
        }
        if self.risk is not None:
            out["risk"] = self._risk_json()
        return out

    def _risk_json(self) -> dict[str, Any]:
        risk = self.risk
        assert risk is not None
        fo = self.first_output
        first: dict[str, Any] | None = None
        if fo is not None and fo.size and fo[0] >= 0:
            q = np.percentile(fo, [10, 50, 90], method="inverted_cdf")
            first = {
                "p10": month_name(int(q[0]), self.scenario.horizon.start),
                "p50": month_name(int(q[1]), self.scenario.horizon.start),
                "p90": month_name(int(q[2]), self.scenario.horizon.start),
                "p_within_24_months": self.p_first_output_within(),
            }
        return {
            "paths": risk.paths,
            "seed": self.seed,
            "first_output": first,
            "makespan": {
                f"p{q}": round(float(np.percentile(risk.makespan_sorted, q)), 4) for q in (10, 50, 90)
            },
            "makespan_month": {
                f"p{q}": self._cal(month_of_finish(float(np.percentile(risk.makespan_sorted, q))))
                for q in (10, 50, 90)
            },
            "milestones": {
                t.task: {
                    "p10": round(t.p10, 4),
                    "p50": round(t.p50, 4),
                    "p90": round(t.p90, 4),
                    "p10_month": self._cal(month_of_finish(t.p10)),
                    "p50_month": self._cal(month_of_finish(t.p50)),
                    "p90_month": self._cal(month_of_finish(t.p90)),
                    "criticality": round(t.criticality, 4),
                }
                for t in risk.tasks
            },
            "s_curve": [[x, p] for x, p in risk.s_curve],
        }


def analyse_schedule(
    scenario: Scenario, paths: int = 10_000, seed: int = 0, time_limit_s: float | None = None
) -> ScheduleAnalysis:
    """The deterministic schedule (CP-SAT limited to `time_limit_s` per stage, or by default to
    SCENARIO_WORK_LIMIT of work: `deterministic_schedule`), and `paths` sampled ones."""
    prog = deterministic_schedule(scenario, time_limit_s=time_limit_s)
    risk = None
    first = None
    if paths > 0 and prog.network.size > 0:
        samples = sample_schedules_in_blocks(prog.network, paths, seed, prog.sgs_order)
        risk = summarise(prog.network, samples)
        first = first_output_months(scenario, samples.finishes, prog.offset)
    return ScheduleAnalysis(scenario, prog, risk, first, seed)


def no_programme(scenario: Scenario) -> dict[str, Any]:
    """The schedule JSON of a scenario without programme tasks: each line online at its given month."""
    from bastion.online import line_online_months

    start = scenario.horizon.start
    return {
        "classification": scenario.marking(),
        "makespan_months": 0.0,
        "finish": {},
        "critical_path": [],
        "critical_steps": [],
        "tasks": [],
        "line_online": {lid: month_name(max(0, k), start) for lid, k in line_online_months(scenario).items()},
        "note": "the scenario has no programme tasks: every line is online at its given month",
    }
