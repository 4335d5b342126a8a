"""The outputs of two runs side by side: the headline figures as `bastion runs compare` reads them,
with the names of customers, items and nodes beside their codes (from the runs' catalogues)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bastion.cli.headline_view import delta_text, describe, value_text

#: Headline keys the CLI's table leaves in their raw form, in words for the page.
LABELS: dict[str, tuple[str, str]] = {
    "worst_node_kind": ("Most exposed node: kind", "text"),
    "worst_node_tts_months": ("Most exposed node: time it can go without supply (months)", "number"),
    "worst_node_ttr_months": ("Most exposed node: time to recover (months)", "number"),
    "nodes": ("Supply nodes assessed (count)", "count"),
    "jcl_paths": ("Simulated futures behind the joint confidence (count)", "count"),
    "first_output_from": ("First output taken from", "text"),
}
_TARGET = re.compile(r"^(targets|jcl_by_target)\[([^/\]]+)/([^/\]]+)/([^\]]+)\]\.")


@dataclass(frozen=True)
class Output:
    label: str
    before: str
    after: str
    change: str
    changed: bool
    text: bool = False
    """A value in words (a status, a node's name): wraps, where numbers keep to one line."""


def catalogue(results: dict[str, Any]) -> dict[str, dict[str, str]]:
    """{kind: {code: name}} of a run's plan catalogue (items, customers, suppliers, sites, risks)."""
    found = (results.get("plan") or {}).get("catalogue") or {}
    return {kind: {code: str(v.get("name") or code) for code, v in (rows or {}).items() if isinstance(v, dict)}
            for kind, rows in found.items() if isinstance(rows, dict)}


def _named(code: str, names: dict[str, str]) -> str:
    name = names.get(code)
    return f"{name} ({code})" if name and name != code else code


def _node(value: Any, names: dict[str, dict[str, str]]) -> Any:
    if not isinstance(value, str):
        return value
    for kind in ("suppliers", "risks", "sites", "lines", "customers", "items"):
        if value in names.get(kind, {}):
            return _named(value, names[kind])
    return value


def _label(key: str, label: str, names: dict[str, dict[str, str]]) -> str:
    match = _TARGET.match(key)
    if not match:
        return label
    _table, customer, item, by = match.groups()
    plain = f"{customer} {item} by {by}"
    return label.replace(plain, f"{_named(customer, names.get('customers', {}))}, "
                                f"{_named(item, names.get('items', {}))} by {by}")


def outputs(
    diff: dict[str, Any], currency: str = "EUR", names: dict[str, dict[str, str]] | None = None
) -> list[Output]:
    """Each headline figure (targets, probabilities, cost, first output, most exposed): before, after,
    and the change in words; changed figures first. Codes get their names from `names` (catalogue)."""
    names = names or {}
    rows = []
    for entry in diff["headline"]:
        key = entry["key"]
        described = LABELS.get(key) or describe(key)
        if described is None:
            continue
        label, kind = described
        node = key == "worst_node"
        only = entry.get("only_in")
        a = _node(entry["a"], names) if node else entry["a"]
        b = _node(entry["b"], names) if node else entry["b"]
        before = "-" if only == "b" else value_text(a, kind, currency)
        after = "-" if only == "a" else value_text(b, kind, currency)
        change = ""
        if entry["changed"]:
            change = {"a": "removed", "b": "added"}.get(only or "") or delta_text(entry, kind, currency)
        rows.append(Output(_label(key, label, names), before, after, change, bool(entry["changed"]), kind == "text"))
    return sorted(rows, key=lambda o: not o.changed)
