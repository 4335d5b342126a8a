"""Dotted paths into a scenario's raw document, and the values given on the command line.

A path names one value of the file as written: mapping keys joined by dots, list
elements as `[i]`: `suppliers.fuze-works-de.supplies.fuze-assy.capacity_per_month`,
`budget.capex_per_year.2028`, `customers.lt-af.targets[0].units`. A key that holds a
dot or a bracket cannot be named (ids in scenario files never do).
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

from bastion.scenario.errors import format_path

Key = str | int
_FIRST = re.compile(r"[^.\[\]]+")
_NEXT = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


class PathError(ValueError):
    """A path that is malformed or names no value of the document."""


def parse_path(text: str) -> tuple[Key, ...]:
    """`a.b[0].c` -> ("a", "b", 0, "c"); raise PathError when malformed."""
    text = text.strip()
    first = _FIRST.match(text)
    if first is None:
        raise PathError(f"malformed path {text!r}: it must start with a key")
    parts: list[Key] = [first.group()]
    pos = first.end()
    while pos < len(text):
        match = _NEXT.match(text, pos)
        if match is None:
            raise PathError(f"malformed path {text!r} at character {pos + 1}")
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        pos = match.end()
    return tuple(parts)


def _step(container: Any, part: Key, done: tuple[Key, ...]) -> Key | int:
    """The actual key of `part` in `container` (a mapping's int key is named by its digits)."""
    where = format_path(done) if done else "the file"
    if isinstance(container, dict):
        if part in container:
            return part
        if isinstance(part, str) and part.lstrip("-").isdigit() and int(part) in container:
            return int(part)
        keys = ", ".join(str(k) for k in list(container)[:12])
        raise PathError(f"{where} has no key {part!r} (it has: {keys or 'none'})")
    if isinstance(container, list):
        if isinstance(part, int) and 0 <= part < len(container):
            return part
        raise PathError(f"{where} is a list of {len(container)}; [{part}] is not in it")
    raise PathError(f"{where} is a single value, not a mapping or list")


def get_value(doc: Any, path: tuple[Key, ...]) -> Any:
    """The value at `path` in `doc`; raise PathError when there is none."""
    node = doc
    for i, part in enumerate(path):
        node = node[_step(node, part, path[:i])]
    return node


def set_value(doc: Any, path: tuple[Key, ...], value: Any) -> Any:
    """A deep copy of `doc` with `value` at `path` (which must exist); raise PathError otherwise."""
    out = copy.deepcopy(doc)
    node = out
    for i, part in enumerate(path[:-1]):
        node = node[_step(node, part, path[:i])]
    node[_step(node, path[-1], path[:-1])] = value
    return out


def parse_value(text: str) -> Any:
    """A value as typed on the command line: an int, a float, true/false/null, else the text."""
    raw = text.strip()
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none", "~"):
        return None
    try:
        return int(raw.replace("_", ""))
    except ValueError:
        pass
    try:
        number = float(raw.replace("_", ""))
    except ValueError:
        return raw
    if not math.isfinite(number):
        return raw  # the loader reports it as not a number
    return number


def show_value(value: Any) -> str:
    """A value as the study's tables show it (ints without a decimal point, floats shortest)."""
    if isinstance(value, bool) or value is None:
        return "null" if value is None else str(value).lower()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, list):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    return str(value)
