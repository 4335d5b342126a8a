"""Country sets used by the concentration analysis, with their source and date.

EU: the 27 member states since 1 February 2020 (United Kingdom's exit), per
https://european-union.europa.eu/principles-countries-history/eu-countries_en
(checked for this release; no accession since). ISO 3166 alpha-2 codes, so
Greece is GR (the EU's own protocol code is EL).

NATO: the 32 members since Sweden's accession on 7 March 2024, per
https://www.nato.int/cps/en/natohq/topics_52044.htm (checked for this release).

Update both sets (and `AS_OF`) when membership changes.
"""

from __future__ import annotations

AS_OF = "2026-11-27"
SOURCE_EU = "european-union.europa.eu 'EU countries' (27 members since 2020-02-01)"
SOURCE_NATO = "nato.int 'NATO member countries' (32 members since 2024-03-07)"

EU: frozenset[str] = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})

NATO: frozenset[str] = frozenset({
    "AL", "BE", "BG", "CA", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR",
    "HU", "IS", "IT", "LT", "LU", "LV", "ME", "MK", "NL", "NO", "PL", "PT", "RO", "SE",
    "SI", "SK", "TR", "US",
})

EU_OR_NATO: frozenset[str] = EU | NATO


def outside_eu_nato(country: str) -> bool:
    """True when `country` (ISO alpha-2, any case) is in neither the EU nor NATO."""
    return country.upper() not in EU_OR_NATO
