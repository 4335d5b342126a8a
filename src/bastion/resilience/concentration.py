"""Concentration and dependency: sources per purchased item, HHI, non-EU/NATO share, SPOFs.

HHI is the Herfindahl-Hirschman index of supply capacity on a 0..1 scale
(sum of squared capacity shares; 1 = one source; multiply by 10,000 for the
antitrust convention). Where a source's capacity is unlimited, shares are
split equally among the unlimited sources (basis "equal").
"""

from __future__ import annotations

from dataclasses import dataclass

from bastion.resilience.countries import outside_eu_nato
from bastion.scenario.model import Scenario


@dataclass(frozen=True)
class ItemConcentration:
    """One purchased item's sources and their concentration."""

    item: str
    sources: tuple[str, ...]
    countries: tuple[str, ...]
    capacity_per_month: float | None  # None: some source is unlimited
    hhi: float | None  # None: no source
    non_eu_nato_share: float | None
    basis: str  # "capacity" | "equal" | "none"
    single_point: bool


@dataclass(frozen=True)
class MadeItemDependency:
    """One made item: the lines and sites that can make it."""

    item: str
    lines: tuple[str, ...]
    sites: tuple[str, ...]
    single_line: bool
    single_site: bool


def _shares(caps: list[float | None]) -> tuple[list[float], str]:
    if not caps:
        return [], "none"
    if any(c is None for c in caps):
        k = sum(1 for c in caps if c is None)
        return [1.0 / k if c is None else 0.0 for c in caps], "equal"
    total = sum(c or 0.0 for c in caps)
    if total <= 0:
        return [1.0 / len(caps)] * len(caps), "equal"
    return [(c or 0.0) / total for c in caps], "capacity"


def item_concentration(scenario: Scenario) -> tuple[ItemConcentration, ...]:
    """Every purchased item (made: false), in file order."""
    out = []
    for iid, item in scenario.items.items():
        if item.made:
            continue
        src = [(sid, sup.country, sup.supplies[iid].capacity_per_month)
               for sid, sup in scenario.suppliers.items() if iid in sup.supplies]
        caps = [c for _, _, c in src]
        shares, basis = _shares(caps)
        hhi = sum(s * s for s in shares) if shares else None
        outside = sum(s for s, (_, country, _) in zip(shares, src, strict=True)
                      if outside_eu_nato(country)) if shares else None
        total = None if any(c is None for c in caps) else float(sum(c or 0.0 for c in caps))
        out.append(ItemConcentration(
            item=iid, sources=tuple(s for s, _, _ in src), countries=tuple(c for _, c, _ in src),
            capacity_per_month=total, hhi=hhi, non_eu_nato_share=outside, basis=basis,
            single_point=len(src) <= 1,
        ))
    return tuple(out)


def made_dependency(scenario: Scenario) -> tuple[MadeItemDependency, ...]:
    """Every made item: which lines (and sites) can make it; one line = a single point."""
    out = []
    lines = scenario.all_lines()
    for iid, item in scenario.items.items():
        if not item.made:
            continue
        ls = [lid for lid, (_s, ln) in lines.items() if iid in ln.makes]
        sites = tuple(dict.fromkeys(lines[lid][0] for lid in ls))
        out.append(MadeItemDependency(iid, tuple(ls), sites, len(ls) <= 1, len(sites) <= 1))
    return tuple(out)
