"""Load a scenario file (YAML or JSON) into a validated, frozen Scenario.

Every problem found is reported at once as `FILE:LINE: path: message`
(`ScenarioError`). Reading never executes anything from the file (safe tags
only), refuses files over `MAX_BYTES`, and bounds nesting and alias expansion.
"""

from __future__ import annotations

import copy
import difflib
import re
import types
import typing
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bastion.scenario.checks import cross_check
from bastion.scenario.errors import Path, Problem, ScenarioError, format_path
from bastion.scenario.model import Scenario
from bastion.scenario.yamltree import Tree, TreeError, read_tree

MAX_BYTES = 10 * 1024 * 1024
"""Largest scenario file accepted (10 MiB); real scenarios are a few kB."""


def load_scenario(file: str | FsPath) -> Scenario:
    """Read, parse and validate a scenario file; raise ScenarioError listing every problem."""
    name = str(file)
    fs_path = FsPath(file)
    try:
        size = fs_path.stat().st_size
        if not fs_path.is_file():
            raise ScenarioError([Problem(name, 1, "(file)", "not a file")])
    except OSError as error:
        raise ScenarioError([Problem(name, 1, "(file)", f"cannot read: {error.strerror}")]) from None
    if size > MAX_BYTES:
        raise ScenarioError(
            [
                Problem(
                    name,
                    1,
                    "(file)",
                    f"the file is {size / 2**20:.1f} MiB; scenario files are limited to "
                    f"{MAX_BYTES // 2**20} MiB",
                )
            ]
        )
    try:
        data = fs_path.read_bytes()
    except OSError as error:
        raise ScenarioError([Problem(name, 1, "(file)", f"cannot read: {error.strerror}")]) from None
    return load_bytes(data, name, is_json=fs_path.suffix.lower() == ".json")


def load_bytes(data: bytes, name: str = "<scenario>", is_json: bool = False) -> Scenario:
    """Decode UTF-8 bytes and load them (see `load_text`)."""
    if len(data) > MAX_BYTES:
        raise ScenarioError([Problem(name, 1, "(file)", f"larger than {MAX_BYTES // 2**20} MiB")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ScenarioError(
            [Problem(name, line, "(file)", f"not UTF-8 text (byte 0x{data[error.start]:02x})")]
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return load_text(text, name, is_json=is_json)


def load_text(text: str, name: str = "<scenario>", is_json: bool = False) -> Scenario:
    """Parse YAML (or JSON) text and validate it; raise ScenarioError listing every problem."""
    try:
        tree = read_tree(text, is_json=is_json)
    except TreeError as error:
        raise ScenarioError([Problem(name, error.line, "(file)", error.message)]) from None
    return validate_tree(tree, name)


def validate_tree(tree: Tree, name: str = "<scenario>") -> Scenario:
    """Validate values read into a Tree (from YAML, JSON or a workbook); every problem at once.

    Problems carry `tree.line_of(path)` as their line: a workbook reader passes codes that
    it maps back to cells.
    """
    problems = [Problem(name, line, format_path(path), msg) for path, line, msg in tree.problems]
    if not isinstance(tree.value, dict):
        problems.append(
            Problem(
                name, tree.line_of(()), "(file)", f"expected a mapping of keys, found {_found(tree.value)}"
            )
        )
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(tree.value)
    except ValidationError as error:
        problems.extend(_translate(error.errors(include_url=False), tree, name))
        problems.extend(_checks_despite(error, tree, name))
        raise ScenarioError(problems) from None
    except (RecursionError, MemoryError):  # pragma: no cover - bounded by read_tree
        problems.append(Problem(name, 1, "(file)", "too large or too deeply nested"))
        raise ScenarioError(problems) from None
    for path, message in cross_check(scenario):
        problems.append(Problem(name, tree.line_of(path), format_path(path), message))
    if problems:
        raise ScenarioError(problems)
    return scenario


_ID_MAPS = ("items", "suppliers", "supplies", "sites", "lines", "customers", "tasks", "resources")


def _checks_despite(error: ValidationError, tree: Tree, name: str) -> list[Problem]:
    """Cross-check problems of a file whose values are not all valid.

    The invalid values are removed from a copy (with the objects that then
    lack a required field) until the rest validates; the cross-checks then
    run on that rest. Problems that could stem from a removal (a reference to
    a removed id, a path through a list that lost an element) are left out.
    Gives up (returns nothing) when a removal would take a required section.
    """
    value = copy.deepcopy(tree.value)
    removed: list[Path] = []
    for _ in range(4):
        doomed: set[Path] = set()
        for err in error.errors(include_url=False):
            missing = err["type"] == "missing"
            path = _real_path(tuple(err["loc"]), value, missing)
            if missing or (len(path) >= 2 and isinstance(path[-1], int) and path[-2] in _RANGES):
                path = path[:-1]
            if len(path) < 2:
                return []
            doomed.add(path)
        for path in sorted(
            doomed, key=lambda p: (len(p), p[-1] if isinstance(p[-1], int) else -1), reverse=True
        ):
            try:
                parent = value
                for part in path[:-1]:
                    parent = parent[_key_in(parent, part)]
                del parent[_key_in(parent, path[-1])]
            except (KeyError, IndexError, TypeError, StopIteration):
                return []
            removed.append(path)
        try:
            scenario = Scenario.model_validate(value)
            break
        except ValidationError as again:
            error = again
    else:
        return []
    ids = {str(p[-1]).lower() for p in removed if len(p) >= 2 and p[-2] in _ID_MAPS}
    lists = [p[:-1] for p in removed if isinstance(p[-1], int)]
    out: list[Problem] = []
    for path, message in cross_check(scenario):
        if any(path[: len(prefix)] == prefix for prefix in (*removed, *lists)):
            continue
        if any(removal[: len(path)] == path for removal in removed):
            continue  # e.g. "no site has a line" once the only line's bad value took the line
        if ids & set(re.split(r"[\s,:]+", message.lower())):
            continue
        out.append(Problem(name, tree.line_of(path), format_path(path), message))
    return out


def _key_in(container: Any, part: str | int) -> Any:
    """The key of `container` that `part` names (paths hold mapping keys as text)."""
    if isinstance(container, dict) and part not in container:
        return next(k for k in container if str(k) == part)
    return part


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as YAML text that loads back to an equal Scenario."""
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


# --- turning pydantic's errors into a planner's messages --------------------------------


def _real_path(loc: tuple[int | str, ...], root: Any, missing: bool) -> Path:
    """Map pydantic's loc onto the file's keys, dropping union tags and `[key]` markers."""
    out: list[str | int] = []
    node: Any = root
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if part == "[key]":
            continue
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
            out.append(part if isinstance(part, int) and in_list else str(part))
        elif last and missing:
            out.append(part)
        # anything else is a union branch tag or a function name: not part of the file
    return tuple(out)


def _found(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return f'"{value[:40]}"' + ("..." if len(value) > 40 else "")
    if isinstance(value, float) and abs(value) >= 1e6:
        return f"{value:g}"
    return repr(value)[:40]


def _model_at(path: Path) -> type[BaseModel] | None:
    """The model class whose fields are expected at `path` (for 'did you mean')."""
    current: Any = Scenario
    for part in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _is_month_field(path: Path) -> bool:
    model = _model_at(path[:-1]) if path else None
    field = model.model_fields.get(str(path[-1])) if model is not None else None
    return field is not None and "_check_month" in repr(field.metadata) + repr(field.annotation)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in map(_unwrap, args) if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if models else args[0]
        else:
            return annotation


_RANGES = ("duration_months", "recovery_months")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?")


def _message(error: ErrorDetails, path: Path, tree: Tree) -> str:
    kind = error["type"]
    value = error.get("input")
    raw = tree.raw.get(path)
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        known = list(model.model_fields) if model else []
        close = difflib.get_close_matches(str(path[-1]), known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        allowed = f"; allowed: {', '.join(known)}" if known else ""
        return f"unknown key {path[-1]}{hint}{allowed}"
    if (
        kind == "string_type"
        and isinstance(value, int)
        and not isinstance(value, bool)
        and _is_month_field(path)
    ):
        return f'{value} is not a month: write "YYYY-MM" in quotes, e.g. "{value}-01"'
    if kind == "string_type" and isinstance(value, bool | int | float) and raw is not None:
        what = "a boolean" if isinstance(value, bool) else "a number"
        return f'{raw} was read as {what}; quote it: "{raw}"'
    if kind == "null_value":
        return "no value (null): give a value, or leave the key out for its default"
    if kind == "bool_not_number":
        shown = raw if raw is not None else str(value).lower()
        return f"{shown} was read as a boolean; a number is meant here"
    if kind == "text_not_number":
        if raw is not None and _SEXAGESIMAL.fullmatch(raw):
            return f"{raw} is a YAML 1.1 base-60 number, which Bastion does not read; write the number"
        return f"{_found(value)} is a text; a number is meant here (write it without quotes)"
    if kind == "string_unicode":
        return f"not valid Unicode text (it holds a lone surrogate), found {_found(value)}"
    if kind == "bool_type":
        return f"expected true or false, found {_found(value)}"
    if kind in ("finite_number", "int_parsing_size"):
        return f"must be a finite number in range, found {_found(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (key: value), found {_found(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, found {_found(value)}"
    if kind == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        if "{3}" in pattern:
            return f"{_found(value)} is not a 3-letter upper-case ISO 3166-1 alpha-3 nation code (e.g. LVA)"
        if "A-Z" in pattern:
            return f"{_found(value)} is not a 2-letter upper-case ISO country code (e.g. LV)"
        return f"{_found(value)} is not an id: use lower-case letters, digits, - _ ."
    if kind in ("too_short", "too_long") and path and path[-1] in _RANGES:
        return "expected a range [min, mode, max] of 3 numbers"
    if kind == "literal_error" and path == ("bastion",):
        return f"format version must be 1, found {_found(value)}"
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        ctx = error.get("ctx") or {}
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than": "<", "less_than_equal": "<="}
        bound = next(iter(ctx.values()), "")
        text = f"{bound:g}" if isinstance(bound, int | float) else str(bound)
        return f"must be {sign[kind]} {text}, found {_found(value)}"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    message = message[0].lower() + message[1:] if message else message
    if value is not None and not isinstance(value, dict | list) and kind != "value_error":
        message += f", found {_found(value)}"
    return message


def _translate(errors: list[ErrorDetails], tree: Tree, name: str) -> list[Problem]:
    problems: list[Problem] = []
    for error in errors:
        path = _real_path(tuple(error["loc"]), tree.value, missing=error["type"] == "missing")
        if len(path) >= 2 and isinstance(path[-1], int) and path[-2] in _RANGES:
            path = path[:-1]  # a number inside a range: point at the range itself
            if error["type"] == "missing":
                message = "expected a range [min, mode, max] of 3 numbers"
            else:
                message = _message(error, path, tree)
        else:
            message = _message(error, path, tree)
        problems.append(Problem(name, tree.line_of(path), format_path(path), message))
    return problems


__all__ = ["MAX_BYTES", "dump_scenario", "load_bytes", "load_scenario", "load_text", "validate_tree"]
