"""Editing a scenario a section at a time in forms: the fields of a section, and a change applied
to the YAML text.

A section's fields are read from the revision's text (`read_tree` gives every value its line).
A changed value is written back into its own line (`key: value`, block or flow style alike), so
comments and layout stay and the revision's diff shows only what changed; where the line cannot
be found, the whole tree is written out again. Numbers are written as typed (the loader then
checks them and its error names the field); text is written quoted, so no input can change the
file's structure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from bastion.scenario.errors import Path, ScenarioError, format_path
from bastion.scenario.yamltree import TreeError, read_tree


@dataclass(frozen=True)
class Field:
    """One editable value: its path in the scenario, label, kind ("number" or "month") and value."""

    path: Path
    group: str
    label: str
    kind: str
    value: str

    @property
    def key(self) -> str:
        return format_path(self.path)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    help: str


SECTIONS = (
    Section("suppliers", "Suppliers and supplies", "Price, lead time and capacity a month of each supply."),
    Section("lines", "Sites and lines", "Capacity a month, capital cost and ramp of each production line."),
    Section("customers", "Customers and targets", "Stockpile targets: units by a month, and each customer's priority."),
    Section("items", "Items and bills of materials", "Quantity of each component per good unit, and scrap rates."),
    Section("programme", "Programme tasks", "Each build-up task's duration in months: min, mode, max "
            "(one number when it is certain)."),
    Section("risks", "Risks and budget", "Correlated risks' rates and durations (min, mode, max months), "
            "and the capital budget by year."),
)
SECTION_IDS = tuple(s.id for s in SECTIONS)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _leaf(tree: dict[str, object], path: Path) -> object:
    value: object = tree
    for part in path:
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value


def _mapping(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _named(doc: dict[str, object], kind: str, code: str) -> str:
    """`Name (code)` where the document names it, else the code."""
    name = _mapping(_mapping(doc.get(kind)).get(code)).get("name")
    return f"{name} ({code})" if isinstance(name, str) and name and name != code else code


def _paths(section: str, doc: dict[str, object]) -> Iterator[tuple[Path, str, str, str]]:
    """(path, group, label, kind) of every field of the section present in the document; money in the
    scenario's currency, quantities in units, names beside codes."""
    cur = str(doc.get("currency") or "EUR")
    if section == "suppliers":
        for sid, sup in _mapping(doc.get("suppliers")).items():
            for iid in _mapping(_mapping(sup).get("supplies")):
                group = f"{_named(doc, 'suppliers', sid)}: {_named(doc, 'items', iid)}"
                for key, label in (("capacity_per_month", "capacity a month (units)"),
                                   ("price", f"price ({cur} a unit)"), ("lead_time_months", "lead time (months)")):
                    yield ("suppliers", sid, "supplies", iid, key), group, label, "number"
    elif section == "lines":
        for site, data in _mapping(doc.get("sites")).items():
            for lid, line in _mapping(_mapping(data).get("lines")).items():
                for key, label in (("capacity_per_month", "capacity a month (units)"),
                                   ("capex", f"capital cost ({cur})"), ("ramp_months", "ramp (months)"),
                                   ("variable_cost_per_unit", f"cost per unit ({cur})"),
                                   ("fixed_cost_per_month", f"fixed cost a month ({cur})")):
                    if key == "capacity_per_month" or key in _mapping(line):
                        group = f"{_named(doc, 'sites', site)}: line {lid}"
                        yield ("sites", site, "lines", lid, key), group, label, "number"
    elif section == "customers":
        for cid, cust in _mapping(doc.get("customers")).items():
            if "priority" in _mapping(cust):
                yield ("customers", cid, "priority"), _named(doc, "customers", cid), "priority (1 first)", "number"
            targets = _mapping(cust).get("targets")
            for n, target in enumerate(targets if isinstance(targets, list) else []):
                item = _mapping(target).get("item")
                what = _named(doc, "items", item) if isinstance(item, str) else "?"
                group = f"{_named(doc, 'customers', cid)}: target {n + 1}, {what}"
                yield ("customers", cid, "targets", n, "units"), group, "units", "number"
                yield ("customers", cid, "targets", n, "by"), group, "by (YYYY-MM)", "month"
    elif section == "items":
        for iid, item in _mapping(doc.get("items")).items():
            for cid in _mapping(_mapping(item).get("bom")):
                group = f"{_named(doc, 'items', iid)}: bill of materials"
                yield ("items", iid, "bom", cid), group, f"{_named(doc, 'items', cid)} per unit", "number"
            if "scrap_rate" in _mapping(item):
                yield ("items", iid, "scrap_rate"), _named(doc, "items", iid), "scrap rate (0 to 1)", "number"
    elif section == "programme":
        for tid, task in _mapping(_mapping(doc.get("programme")).get("tasks")).items():
            name = _mapping(task).get("name")
            group = f"{name} ({tid})" if isinstance(name, str) and name else tid
            yield ("programme", "tasks", tid, "duration_months"), group, "duration (months: min, mode, max)", "range"
    elif section == "risks":
        risks = doc.get("risks")
        for n, risk in enumerate(risks if isinstance(risks, list) else []):
            name = _mapping(risk).get("name") or _mapping(risk).get("id", n + 1)
            group = f"risk {name}"
            yield ("risks", n, "rate_per_year"), group, "rate (events a year)", "number"
            if "duration_months" in _mapping(risk):
                yield ("risks", n, "duration_months"), group, "duration (months: min, mode, max)", "range"
        for year in _mapping(_mapping(doc.get("budget")).get("capex_per_year")):
            yield ("budget", "capex_per_year", year), "capital budget", f"year {year} ({cur})", "number"


def fields(section: str, text: str) -> list[Field]:
    """The section's fields with their values in `text` (a valid scenario)."""
    doc = read_tree(text).value
    if not isinstance(doc, dict):
        return []
    return [Field(path, group, label, kind, _text(_leaf(doc, path)))
            for path, group, label, kind in _paths(section, doc)]


_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def scalar(value: str, kind: str) -> str:
    """The YAML text for a typed value: a number as typed, a range as a list of numbers (`[3, 6, 12]`),
    anything else quoted (one safe scalar: the loader then names the field)."""
    value = value.strip()
    if kind == "number" and _NUMBER.fullmatch(value.replace(",", "").replace("_", "")):
        return value.replace(",", "").replace("_", "")
    if kind == "range":
        parts = [p.strip() for p in value.strip("[] ").split(",")]
        if all(_NUMBER.fullmatch(p) for p in parts):
            return parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return json.dumps(value, ensure_ascii=False)


def _key_pattern(key: str) -> re.Pattern[str]:
    quoted = re.escape(key)
    return re.compile(
        rf"""((?:^|[\s{{,])["']?{quoted}["']?\s*:\s*)("(?:[^"\\]|\\.)*"|'[^']*'|\[[^\]\n]*\]|[^,}}\]\s#\[]+)"""
    )


def apply(text: str, changes: dict[Path, str]) -> str:
    """`text` with each path's value replaced by the YAML scalar given (see `scalar`)."""
    if not changes:
        return text
    tree = read_tree(text)
    lines = text.splitlines(keepends=True)
    rest: dict[Path, str] = {}
    for path, value in changes.items():
        line_no = tree.lines.get(path)
        key = path[-1]
        if line_no is None or not isinstance(key, str):
            rest[path] = value
            continue
        line = lines[line_no - 1]
        pattern = _key_pattern(key)
        if len(pattern.findall(line)) != 1:
            rest[path] = value
            continue
        lines[line_no - 1] = pattern.sub(lambda m, v=value: m.group(1) + v, line)  # type: ignore[misc]
    out = "".join(lines)
    if rest:
        doc = read_tree(out).value
        for path, value in rest.items():
            _set(doc, path, yaml.safe_load(value))
        out = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    return out


def _set(doc: object, path: Path, value: object) -> None:
    target = doc
    for part in path[:-1]:
        target = target[part]  # type: ignore[index]
    target[path[-1]] = value  # type: ignore[index]


def field_errors(error: ScenarioError, keys: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """The loader's problems by field key (those naming a field of the form), and the others as text."""
    by_field: dict[str, list[str]] = {}
    other: list[str] = []
    for problem in error.problems:
        if problem.path in keys:
            by_field.setdefault(problem.path, []).append(problem.message)
        else:
            other.append(f"line {problem.line}: {problem.path}: {problem.message}")
    return by_field, other


def yaml_error_lines(error: ScenarioError) -> list[tuple[int, str]]:
    """(line, "path: message") of each problem, for the raw editor."""
    return [(p.line, f"{p.path}: {p.message}") for p in error.problems]


__all__ = ["SECTIONS", "Field", "ScenarioError", "TreeError", "apply", "field_errors", "fields", "scalar"]


_NATION = re.compile(r"^[A-Z]{3}$")


def releasability_line(level: str, owner: str | None, nations: list[str]) -> str:
    """`releasability: {...}` on one line (the owner kept only where the file wrote it)."""
    parts = [f"level: {json.dumps(level)}"]
    if owner:
        parts.append(f"owner: {json.dumps(owner)}")
    parts.append("releasable_to: [" + ", ".join(json.dumps(n) for n in nations) + "]")
    return "releasability: {" + ", ".join(parts) + "}\n"


def set_releasability(text: str, level: str, nations: list[str]) -> str:
    """`text` with its top-level `releasability` replaced (or added after `bastion:`), other lines kept."""
    tree = read_tree(text)
    doc = tree.value if isinstance(tree.value, dict) else {}
    current = _mapping(doc.get("releasability"))
    owner = current.get("owner") if isinstance(current.get("owner"), str) else None
    line = releasability_line(level, owner, nations)  # type: ignore[arg-type]
    lines = text.splitlines(keepends=True)
    start = tree.lines.get(("releasability",))
    if start is not None and "releasability" in doc:
        end = start  # the key's line and the more indented (or blank) lines under it
        while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
            end += 1
        while end > start and not lines[end - 1].strip():
            end -= 1
        return "".join([*lines[: start - 1], line, *lines[end:]])
    at = next((n for n, row in enumerate(lines) if row.startswith("bastion:")), -1) + 1
    return "".join([*lines[:at], line, *lines[at:]])


def nations(text: str) -> list[str]:
    """Nations typed as `EST, LTU` (or with spaces): upper-cased, in order, repeats dropped."""
    out: list[str] = []
    for part in re.split(r"[\s,;]+", text.strip()):
        code = part.upper()
        if code and code not in out:
            out.append(code)
    return out
