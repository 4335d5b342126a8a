"""Supply-chain resilience: time to survive / time to recover per node, exposure, mitigation."""

from bastion.resilience.analysis import ResilienceError, resilience
from bastion.resilience.concentration import ItemConcentration, MadeItemDependency
from bastion.resilience.mitigation import ItemMitigation, Mitigation
from bastion.resilience.result import NodeResilience, ResilienceResult

__all__ = [
    "ItemConcentration",
    "ItemMitigation",
    "MadeItemDependency",
    "Mitigation",
    "NodeResilience",
    "ResilienceError",
    "ResilienceResult",
    "resilience",
]
