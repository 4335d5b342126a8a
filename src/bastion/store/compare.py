"""Compare two runs: what changed in the scenario, and how the headline numbers moved.

Pure functions of two `RunRecord`s returning JSON-able dicts, for `bastion runs compare`.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, TypeGuard

import yaml

from bastion.store.record import RunRecord

#: Keys that name an element of a list of objects (a target, a line, a node, a year...):
#: headline lists are matched element by element on these, not on position.
IDENTIFYING_KEYS = ("customer", "item", "by", "line", "site", "supplier", "node", "kind", "name", "year")

_KEY = re.compile(r"^(?:-\s+)?((?:[^\s:#{\[-]|-(?=\S))[^:#]*?)\s*:(?:\s|$)")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def compare(a: RunRecord, b: RunRecord, *, context: int = 3) -> dict[str, Any]:
    """How run `b` differs from run `a`.

    Keys: `a` and `b` (id, time, scenario name and file), `scenario` (`changed`, the
    unified `diff` of the texts with `context` lines, `added`/`removed` line counts, and
    `changes`: each changed line with the YAML keys it sits under, see `line_changes`),
    `settings` (seed, paths, status, confidence, futures: each {a, b, changed}; see
    `confidence_setting`), `versions` (the packages whose
    versions differ) and `headline` (see `diff_values`).
    """
    texts = compare_texts(
        a.scenario_text, b.scenario_text, f"{a.run_id}/{a.scenario_file}", f"{b.run_id}/{b.scenario_file}",
        context=context,
    )
    settings = {
        name: {"a": getattr(a, name), "b": getattr(b, name), "changed": getattr(a, name) != getattr(b, name)}
        for name in ("seed", "paths", "status")
    }
    for name, value in (("confidence", confidence_setting), ("futures", futures_setting)):
        settings[name] = {"a": value(a), "b": value(b), "changed": value(a) != value(b)}
    versions = {
        name: {"a": a.versions.get(name), "b": b.versions.get(name)}
        for name in sorted(set(a.versions) | set(b.versions))
        if a.versions.get(name) != b.versions.get(name)
    }
    return {
        "a": _identity(a),
        "b": _identity(b),
        "scenario": {
            "changed": texts["changed"],
            "hash_a": a.scenario_hash,
            "hash_b": b.scenario_hash,
            "diff": texts["diff"],
            "added": texts["added"],
            "removed": texts["removed"],
            "changes": texts["changes"],
        },
        "settings": settings,
        "versions": versions,
        "headline": diff_values(a.headline, b.headline),
    }


def confidence_setting(record: RunRecord) -> float | str | None:
    """The confidence a run planned at: None for the deterministic plan, the level when every
    target asked the same, else the levels asked, e.g. "0.9, 0.95" (targets' own `confidence`)."""
    block = record.results.get("confidence")
    if not isinstance(block, dict):
        return None
    asked = sorted({t["requested"] for t in block.get("targets", [])
                    if isinstance(t, dict) and isinstance(t.get("requested"), int | float)})
    if not asked:
        return None
    return float(asked[0]) if len(asked) == 1 else ", ".join(f"{p:g}" for p in asked)


def futures_setting(record: RunRecord) -> int | None:
    """The number of sampled futures a confidence plan used (None without one)."""
    block = record.results.get("confidence")
    value = block.get("futures") if isinstance(block, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def scenario_diff(a: RunRecord, b: RunRecord, *, context: int = 3) -> str:
    """The unified diff from `a`'s scenario text to `b`'s ("" when they are the same)."""
    return unified_diff(
        a.scenario_text, b.scenario_text, f"{a.run_id}/{a.scenario_file}", f"{b.run_id}/{b.scenario_file}",
        context=context,
    )


def unified_diff(text_a: str, text_b: str, name_a: str, name_b: str, *, context: int = 3) -> str:
    """The unified diff from `text_a` to `text_b` ("" when they are the same)."""
    lines = difflib.unified_diff(
        text_a.splitlines(keepends=True), text_b.splitlines(keepends=True), fromfile=name_a, tofile=name_b, n=context
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def compare_texts(text_a: str, text_b: str, name_a: str, name_b: str, *, context: int = 3) -> dict[str, Any]:
    """How scenario text `b` differs from `a`: `changed`, the unified `diff`, `added`/`removed` line
    counts, and `changes` (see `line_changes`). `compare` and the server's revision diff use it."""
    diff = unified_diff(text_a, text_b, name_a, name_b, context=context)
    added = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
    return {
        "changed": text_a != text_b,
        "diff": diff,
        "added": added,
        "removed": removed,
        "changes": line_changes(text_a, text_b),
    }


def line_changes(text_a: str, text_b: str) -> list[dict[str, Any]]:
    """Each changed line: {`where`, `kind`, `line_a`, `a`, `line_b`, `b`} (1-based; None where absent).

    `where` is the dotted chain of YAML keys the line sits under, ending with its own key
    (`suppliers.steel-works-lv.supplies.body-casting`), found from indentation: a plain
    reading that works for block-style YAML and JSON-like nesting alike. A list item is
    named by its identifying values (`customers.pl-af.targets[atm-1/2034-12]` for
    `- {item: atm-1, by: "2034-12", units: 10000}`). `kind` is "changed" (a line of `a`
    replaced by a line of `b` at the same `where`), "added" (only in `b`) or "removed"
    (only in `a`).
    """
    lines_a, lines_b = text_a.splitlines(), text_b.splitlines()
    changes: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(a=lines_a, b=lines_b, autojunk=False)
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds = [(i, _where(lines_a, i)) for i in range(a_start, a_end)]
        news = [(i, _where(lines_b, i)) for i in range(b_start, b_end)]
        pending = list(olds)
        for index_b, where in news:
            match = next((o for o in pending if o[1] == where), None)
            if match is not None:  # removed lines above the match stay removed, in text order
                before = pending[: pending.index(match)]
                changes.extend(_change(lines_a, i, lines_b, None, w) for i, w in before)
                pending = pending[pending.index(match) + 1:]
                changes.append(_change(lines_a, match[0], lines_b, index_b, where))
            else:
                changes.append(_change(lines_a, None, lines_b, index_b, where))
        changes.extend(_change(lines_a, i, lines_b, None, w) for i, w in pending)
    return changes


def _change(lines_a: list[str], index_a: int | None, lines_b: list[str], index_b: int | None,
            where: str) -> dict[str, Any]:
    kind = "changed" if index_a is not None and index_b is not None else (
        "added" if index_b is not None else "removed")
    return {
        "where": where,
        "kind": kind,
        "line_a": None if index_a is None else index_a + 1,
        "a": None if index_a is None else lines_a[index_a],
        "line_b": None if index_b is None else index_b + 1,
        "b": None if index_b is None else lines_b[index_b],
    }


def diff_values(a: Any, b: Any, *, changed_only: bool = False) -> list[dict[str, Any]]:
    """Leaf-by-leaf comparison of two JSON values (headlines, or any result objects).

    Each leaf is keyed by its path (`cost.total`, `targets[army/155mm/2028-12].probability`;
    list elements are named by their `IDENTIFYING_KEYS` values where that names them
    uniquely, else by position). Each entry has `key`, `a`, `b` (None where absent),
    `changed`, `only_in` ("a" or "b") for a leaf present on one side only, and: for two
    numbers, `delta` (b - a) and `relative` (delta / |a|, None if a is 0); for two
    "YYYY-MM" months, `delta_months`.
    """
    left, right = flatten(a), flatten(b)
    keys = list(left) + [key for key in right if key not in left]
    entries = []
    for key in keys:
        value_a, value_b = left.get(key), right.get(key)
        changed = key not in left or key not in right or value_a != value_b
        if changed_only and not changed:
            continue
        entry: dict[str, Any] = {"key": key, "a": value_a, "b": value_b, "changed": changed}
        if key not in left or key not in right:
            entry["only_in"] = "b" if key not in left else "a"
        if _is_number(value_a) and _is_number(value_b):
            delta = value_b - value_a
            entry["delta"] = delta
            entry["relative"] = delta / abs(value_a) if value_a else None
        elif isinstance(value_a, str) and isinstance(value_b, str):
            months_a, months_b = _months(value_a), _months(value_b)
            if months_a is not None and months_b is not None:
                entry["delta_months"] = months_b - months_a
        entries.append(entry)
    return entries


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """The leaves of a JSON value by path (see `diff_values`); an empty dict or list is a leaf."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for label, item in zip(_labels(value), value, strict=True):
            out.update(flatten(item, f"{prefix}[{label}]"))
        return out
    return {prefix: value}


def _labels(items: list[Any]) -> list[str]:
    labels = []
    for item in items:
        if not isinstance(item, dict):
            break
        parts = [str(item[key]) for key in IDENTIFYING_KEYS if key in item and item[key] is not None]
        if not parts:
            break
        labels.append("/".join(parts))
    if len(labels) == len(items) and len(set(labels)) == len(labels):
        return labels
    return [str(index) for index in range(len(items))]


def _where(lines: list[str], index: int | None) -> str:
    """The dotted YAML keys above line `index`, read from indentation; list items as `key[label]`."""
    if index is None:
        return ""
    own = lines[index]
    keys: list[str] = []
    key = _KEY.match(own.strip())
    if key:
        keys.append(_unquote(key.group(1)))
    label, indent = _item_label(own), _content_depth(own)
    if label is not None:
        indent = _dash_depth(own)
    for line in reversed(lines[:index]):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        depth = _content_depth(line)
        if label is None and depth == indent and stripped.startswith("- "):
            label, indent = _item_label(line), _dash_depth(line)  # the list item we are in
            continue
        bare_key = label is not None and stripped.endswith(":") and depth == indent
        if depth >= indent and not bare_key:
            continue
        key = _KEY.match(stripped)
        if key:
            name = _unquote(key.group(1))
            keys.append(f"{name}[{label}]" if label is not None else name)
            label = None
        indent = _dash_depth(line) if stripped.startswith("- ") else depth
        if indent == 0:
            break
    return ".".join(reversed(keys))


def _content_depth(line: str) -> int:
    return len(line) - len(line.lstrip(" -"))


def _dash_depth(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _item_label(line: str) -> str | None:
    """`L1` for `- id: L1` or `- L1`, `atm-1/2034-12` for `- {item: atm-1, by: "2034-12", ...}`;
    None for a line that starts no list item, or names nothing."""
    stripped = line.strip()
    if not stripped.startswith("- "):
        return None
    item = stripped[2:].strip()
    if item.startswith("{"):
        return _flow_label(item)
    item = item.split("#", 1)[0].strip()
    value = item.split(":", 1)[1].strip() if _KEY.match(item) else item
    return _unquote(value) or None


def _flow_label(item: str) -> str | None:
    """The identifying values of a one-line flow mapping, joined by "/" (None if it names nothing)."""
    try:
        value = yaml.safe_load(item)
    except yaml.YAMLError:
        return None
    if not isinstance(value, dict):
        return None
    parts = [str(value[key]) for key in IDENTIFYING_KEYS if value.get(key) is not None]
    return "/".join(parts) or None


def _unquote(text: str) -> str:
    return text.strip().strip("\"'")


def _identity(record: RunRecord) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "created_at": record.created_at.isoformat(),
        "scenario_name": record.scenario_name,
        "scenario_file": record.scenario_file,
    }


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _months(value: str) -> int | None:
    match = _MONTH.match(value)
    return int(match.group(1)) * 12 + int(match.group(2)) - 1 if match else None
