"""Build the plan model: index sets -> variables -> constraints -> objectives.

The families are chosen from the tables `VARIABLES` and `CONSTRAINTS`; each
`define_*` function adds one concern. Objectives: "level-<p>" (10 x unmet
consumption + target shortfall of priority p's customers) and "cost".
"""

from __future__ import annotations

from bastion.plan.constraints import CONSTRAINTS
from bastion.plan.index import PlanIndex
from bastion.plan.model import LinearModel
from bastion.plan.variables import VARIABLES


def committed_costs(ix: PlanIndex) -> list[tuple[str, int, float]]:
    """Mandatory lines' fixed costs and capex, constants of the cost: (kind, month, amount)."""
    out: list[tuple[str, int, float]] = []
    for line in ix.lines:
        if line.optional:
            continue
        if line.fixed_cost > 0:
            out.extend(("fixed", m, line.fixed_cost) for m in range(max(0, line.online), ix.n))
        pay = max(0, line.online - line.build_months)
        if line.capex > 0 and pay < ix.n:
            out.append(("capex", pay, line.capex))
    return out


def build_model(ix: PlanIndex) -> LinearModel:
    """Every variable and constraint family of the plan, with the objectives."""
    model = LinearModel()
    for define_vars in VARIABLES:
        define_vars(model, ix)
    for define_rows in CONSTRAINTS:
        define_rows(model, ix)
    model.add_offset("cost", sum(v for _, _, v in committed_costs(ix)))
    return model
