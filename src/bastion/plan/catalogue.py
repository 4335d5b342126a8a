"""The scenario's names and limits that a reader of the plan needs beside its ids.

Carried in the plan's JSON (`catalogue`) so that a report, also one rebuilt from a stored run,
can show names instead of codes, tell finished items from sub-assemblies, and draw orders
against each supplier's capacity, without the scenario file.
"""

from __future__ import annotations

from typing import Any

from bastion.scenario.model import Scenario


def catalogue(scenario: Scenario) -> dict[str, Any]:
    """Items, customers, suppliers, sites and lines: names (empty when the file gives none) and
    the figures the report draws against (supplier and line capacities, priorities)."""
    delivered = {i for c in scenario.customers.values()
                 for i in (*c.initial_stock, *c.consumption, *(t.item for t in c.targets))}
    return {
        "items": {iid: {"name": it.name, "unit": it.unit, "made": it.made, "finished": iid in delivered}
                  for iid, it in scenario.items.items()},
        "customers": {cid: {"name": c.name, "priority": c.priority, "country": c.country}
                      for cid, c in scenario.customers.items()},
        "suppliers": {sid: {"name": s.name, "country": s.country,
                            "capacity": {i: o.capacity_per_month for i, o in s.supplies.items()}}
                      for sid, s in scenario.suppliers.items()},
        "sites": {sid: {"name": s.name, "country": s.country} for sid, s in scenario.sites.items()},
        "risks": {r.id: {"name": r.name} for r in scenario.risks},
        "lines": {lid: {"site": sid, "capacity": line.capacity_per_month, "makes": list(line.makes)}
                  for lid, (sid, line) in scenario.all_lines().items()},
    }
