"""The production-and-stockpile plan: a lexicographic MILP solved with HiGHS."""

from bastion.plan.index import Relax
from bastion.plan.optimise import solve_plan
from bastion.plan.result import (
    CostBreakdown,
    Explanation,
    Fix,
    LevelShortfall,
    LinePlan,
    PlanResult,
    Sensitivity,
    TargetPlan,
)
from bastion.plan.solve import SolveStatus
from bastion.plan.tables import PlanTables, Table

__all__ = [
    "CostBreakdown",
    "Explanation",
    "Fix",
    "LevelShortfall",
    "LinePlan",
    "PlanResult",
    "PlanTables",
    "Relax",
    "Sensitivity",
    "SolveStatus",
    "Table",
    "TargetPlan",
    "solve_plan",
]
