"""What binds a target that cannot reach its confidence: the node that is down where it is missed."""

from __future__ import annotations

import numpy as np

from bastion.plan.confidence.futures import Futures
from bastion.scenario.model import Scenario


def what_binds(scenario: Scenario, fut: Futures, met: np.ndarray, by: int, by_name: str) -> str:
    """One sentence: the line, supplier or customer surge whose lost months up to `by` differ
    most between the planning futures in which the plan misses the target and those it meets."""
    miss = ~met
    if not miss.any():
        return ""
    if not met.any():
        return (f"missed in every one of the {len(met)} planning futures: not a matter of risk "
                "but of what the plan can hold at all")
    end = max(0, min(by, fut.line_avail.shape[2] - 1)) + 1
    names = [f"line {lid}" for lid in scenario.all_lines()]
    lost = [1.0 - fut.line_avail[:, :, :end]]
    names += [f"supplier {sid}" for sid in fut.suppliers]
    lost.append(1.0 - fut.supplier_avail[:, :, :end])
    names += [f"surge at {cid}" for cid in scenario.customers]
    lost.append(fut.surge[:, :, :end])
    months = np.concatenate([x.sum(axis=2) for x in lost], axis=1)  # (S, nodes) months lost
    in_miss = months[miss].mean(axis=0)
    in_met = months[met].mean(axis=0) if met.any() else np.zeros(months.shape[1])
    k = int(np.argmax(in_miss - in_met))
    if in_miss[k] - in_met[k] <= 1e-9:
        return (f"missed in {int(miss.sum())} of {len(met)} planning futures with no single "
                "node down longer there than elsewhere")
    return (f"where it is missed ({int(miss.sum())} of {len(met)} planning futures), {names[k]} is "
            f"down {in_miss[k]:.1f} months on average up to {by_name} "
            f"(where it is met: {in_met[k]:.1f})")
