"""Tiny hand-computed scenarios: a mine (atm) made on a line from one fuze per unit."""

from __future__ import annotations

from bastion.scenario import Scenario, load_text

HEAD = """
bastion: 1
name: resilience case
horizon: {start: "2026-01", months: 24}
items:
  atm: {made: true, bom: {fuze: 1}}
  fuze: {made: false}
"""


def scenario(suppliers: str, lines: str, *, store: float = 0.0, pile: float = 0.0,
             risks: str = "", months: int = 24, site_ttr: float | None = None) -> Scenario:
    """Customer consumes 100 atm a month from month 0; lines online at month 0, no ramp."""
    site_disruption = "" if site_ttr is None else (
        f"\n    disruption: {{rate_per_year: 0.05, recovery_months: [0.5, {site_ttr}, {site_ttr + 1}]}}")
    text = HEAD.replace("months: 24", f"months: {months}") + "suppliers:\n" + suppliers + f"""
sites:
  plant:
    country: LV{site_disruption}
    initial_store: {{fuze: {store}}}
    lines:
{lines}
customers:
  army:
    country: LV
    initial_stock: {{atm: {pile}}}
    consumption: {{atm: 100}}
""" + risks
    return load_text(text)


def supplier(sid: str, cap: float | None = 100, ttr: float | None = 4, country: str = "LV") -> str:
    """One fuze supplier, lead time 0; recovery_months [1, ttr, ttr + 2]."""
    c = "" if cap is None else f", capacity_per_month: {cap}"
    d = "" if ttr is None else (
        f"\n    disruption: {{rate_per_year: 0.1, recovery_months: [0.5, {ttr}, {ttr + 2}]}}")
    return f"""  {sid}:
    country: "{country}"
    supplies:
      fuze: {{price: 1, lead_time_months: 0{c}}}{d}
"""


def line(lid: str, cap: float = 100, ttr: float | None = None) -> str:
    """One atm line, online from month 0, no ramp."""
    d = "" if ttr is None else (
        f"\n        outage: {{rate_per_year: 0.1, recovery_months: [0.5, {ttr}, {ttr + 1}]}}")
    return f"""      {lid}:
        makes: [atm]
        capacity_per_month: {cap}{d}
"""
