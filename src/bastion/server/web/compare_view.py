"""The outputs of two runs side by side: the headline figures as `bastion runs compare` reads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bastion.cli.headline_view import delta_text, describe, value_text


@dataclass(frozen=True)
class Output:
    label: str
    before: str
    after: str
    change: str
    changed: bool


def outputs(diff: dict[str, Any], currency: str = "EUR") -> list[Output]:
    """Each headline figure (targets, probabilities, cost, first output, most exposed): before, after,
    and the change in words; changed figures first."""
    rows = []
    for entry in diff["headline"]:
        described = describe(entry["key"])
        if described is None:
            continue
        label, kind = described
        only = entry.get("only_in")
        before = "-" if only == "b" else value_text(entry["a"], kind, currency)
        after = "-" if only == "a" else value_text(entry["b"], kind, currency)
        change = ""
        if entry["changed"]:
            change = {"a": "removed", "b": "added"}.get(only or "") or delta_text(entry, kind, currency)
        rows.append(Output(label, before, after, change, bool(entry["changed"])))
    return sorted(rows, key=lambda o: not o.changed)
