"""Economics: learning-curve unit cost, cash by year against budget, joint cost-schedule confidence."""

from bastion.economics.allocation import DeliveredCost
from bastion.economics.api import economics
from bastion.economics.cost import CashYear, discount_factor
from bastion.economics.jcl import JclResult, goal_months, jcl, joint_probability
from bastion.economics.learning import (
    cumulative_average,
    learning_exponent,
    lot_sum,
    partial_sum,
    unit_cost,
)
from bastion.economics.result import EconomicsResult, LineMonth, UnitCostYear
from bastion.economics.settings import EconomicsSettings

__all__ = [
    "CashYear",
    "DeliveredCost",
    "EconomicsResult",
    "EconomicsSettings",
    "JclResult",
    "LineMonth",
    "UnitCostYear",
    "cumulative_average",
    "discount_factor",
    "economics",
    "goal_months",
    "jcl",
    "joint_probability",
    "learning_exponent",
    "lot_sum",
    "partial_sum",
    "unit_cost",
]
