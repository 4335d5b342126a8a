"""How a sum of money reads, in every output (terminal, report, workbook notes, web, JSON texts).

One rule, so the headline, the report and the price of confidence never disagree: whole units
below a million ("63,375 EUR"), millions with one decimal ("12.3 M EUR"), billions with two
("2.50 bn EUR"); a difference may carry its sign ("+50,000 EUR"). docs/method.md.
"""

from __future__ import annotations


def money_text(value: float, currency: str = "", *, signed: bool = False) -> str:
    """`value` in `currency` at its size; `signed` puts "+" before a gain or zero."""
    unit = f" {currency}" if currency else ""
    sign = "+" if signed and value >= 0 else ""
    size = abs(value)
    if size >= 1e9:
        return f"{sign}{value / 1e9:,.2f} bn{unit}"
    if size >= 1e6:
        return f"{sign}{value / 1e6:,.1f} M{unit}"
    return f"{sign}{value:,.0f}{unit}"
