"""Names instead of codes: the scenario's readable names, from the plan's `catalogue`.

A run without a catalogue (an older stored run, or one without a plan) keeps its codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bastion.report.fmt import section

KINDS = ("items", "customers", "suppliers", "sites", "lines", "risks")


@dataclass(frozen=True)
class Names:
    """Look-ups of one run's catalogue: `name(kind, code)` is the name, else the code."""

    catalogue: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def entry(self, kind: str, code: Any) -> dict[str, Any]:
        """The catalogue's record of `code` (empty when unknown)."""
        rec = self.catalogue.get(kind, {}).get(str(code))
        return rec if isinstance(rec, dict) else {}

    def name(self, kind: str, code: Any) -> str:
        """The readable name of `code`, or the code where the scenario gives none."""
        n = self.entry(kind, code).get("name")
        return n if isinstance(n, str) and n.strip() else str(code)

    def both(self, kind: str, code: Any) -> str:
        """'Name (code)', or the code alone where there is no name."""
        n = self.name(kind, code)
        return n if n == str(code) else f"{n} ({code})"

    def node(self, code: Any) -> str:
        """A resilience node (supplier, line, site or risk) by name."""
        for kind in ("suppliers", "sites", "lines", "risks"):
            if str(code) in self.catalogue.get(kind, {}):
                return self.name(kind, code)
        return str(code)

    def finished(self, item: Any) -> bool | None:
        """True for an item delivered to customers, False for an intermediate, None if unknown."""
        f = self.entry("items", item).get("finished")
        return f if isinstance(f, bool) else None

    def unit(self, item: Any) -> str:
        """The item's unit of quantity ("units" for "each" or unknown)."""
        u = self.entry("items", item).get("unit")
        return "units" if not isinstance(u, str) or u in ("", "each") else u


def names(run: dict[str, Any]) -> Names:
    """The run's names (from the plan's catalogue)."""
    plan = section(run, "plan")
    cat = plan.get("catalogue") if plan is not None else None
    if not isinstance(cat, dict):
        return Names()
    return Names({k: v for k, v in cat.items() if k in KINDS and isinstance(v, dict)})
