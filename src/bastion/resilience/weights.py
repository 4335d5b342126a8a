"""The weight that makes losses of different items comparable: the item's unit cost.

Units of different items are never added as they are. A loss is weighted by
its item's standard unit cost, in the scenario's currency:
- a bought item: the lowest price among its supplies;
- a made item: the lowest variable cost per unit of a line that makes it,
  plus each bom component's unit cost x quantity / (1 - scrap_rate).
When some item that customers hold (consumes or targets) has a unit cost of
0, costs cannot rank it, and every item weighs 1 (basis "units"): the
weighted total is then a plain count, shown as such.
"""

from __future__ import annotations

from bastion.scenario.model import Scenario

BASIS_UNITS = "units"


def unit_costs(scenario: Scenario) -> dict[str, float]:
    """Item -> standard unit cost (see the module's note)."""
    lines = [ln for _s, ln in scenario.all_lines().values()]
    out: dict[str, float] = {}

    def cost(iid: str) -> float:
        if iid in out:
            return out[iid]
        item = scenario.items[iid]
        if not item.made:
            prices = [float(sup.supplies[iid].price) for sup in scenario.suppliers.values()
                      if iid in sup.supplies]
            v = min(prices, default=0.0)
        else:
            comp = sum(cost(c) * float(q) for c, q in item.bom.items()) / (1.0 - item.scrap_rate)
            var = [float(ln.variable_cost_per_unit) for ln in lines if iid in ln.makes]
            v = min(var, default=0.0) + comp
        out[iid] = v
        return v

    for iid in scenario.items:
        cost(iid)
    return out


def held_items(scenario: Scenario) -> list[str]:
    """Items some customer consumes or targets (the items a loss can be of), in file order."""
    held: set[str] = set()
    for c in scenario.customers.values():
        held.update(c.consumption)
        held.update(t.item for t in c.targets)
    return [i for i in scenario.items if i in held]


def loss_weights(scenario: Scenario) -> tuple[dict[str, float], str]:
    """Item -> weight, and the basis stated in the output."""
    costs = unit_costs(scenario)
    if all(costs[i] > 0 for i in held_items(scenario)):
        return costs, f"unit cost ({scenario.currency})"
    return {i: 1.0 for i in scenario.items}, BASIS_UNITS
