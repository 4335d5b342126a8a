"""The nodes of the resilience analysis: suppliers, lines, sites and risk groups."""

from __future__ import annotations

from dataclasses import dataclass

from bastion.scenario.model import Scenario
from bastion.scenario.types import mode_of


@dataclass(frozen=True)
class Node:
    """One node: what goes down together, and its time to recover (months)."""

    id: str
    kind: str  # supplier | line | site | risk
    ttr: float
    suppliers: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()  # every line that stops (a site's lines included)
    sites: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Unique across kinds (a risk may share an id with a supplier)."""
        return f"{self.kind}:{self.id}"


def _site_lines(scenario: Scenario, sites: list[str]) -> list[str]:
    return [lid for sid in sites for lid in scenario.sites[sid].lines]


def list_nodes(scenario: Scenario) -> tuple[Node, ...]:
    """Every supplier, line, site and risk group, in that order (file order within each)."""
    out: list[Node] = []
    for sid, sup in scenario.suppliers.items():
        ttr = mode_of(sup.disruption.recovery_months) if sup.disruption else 0.0
        out.append(Node(sid, "supplier", float(ttr), suppliers=(sid,)))
    for lid, (_site, line) in scenario.all_lines().items():
        ttr = mode_of(line.outage.recovery_months) if line.outage else 0.0
        out.append(Node(lid, "line", float(ttr), lines=(lid,)))
    for sid, site in scenario.sites.items():
        # TTR: the mode of the site's own disruption (every line stops); a site with
        # none has TTR 0 (SCENARIO.md), though a risk group naming it may have one
        ttr = mode_of(site.disruption.recovery_months) if site.disruption else 0.0
        out.append(Node(sid, "site", float(ttr),
                        lines=tuple(_site_lines(scenario, [sid])), sites=(sid,)))
    for risk in scenario.risks:
        at = risk.applies_to
        lines = list(dict.fromkeys([*at.lines, *_site_lines(scenario, list(at.sites))]))
        out.append(Node(risk.id, "risk", float(mode_of(risk.duration_months)),
                        suppliers=tuple(at.suppliers), lines=tuple(lines), sites=tuple(at.sites)))
    return tuple(out)
