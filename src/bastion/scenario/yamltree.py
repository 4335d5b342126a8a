"""Read YAML (or JSON) text into plain Python values with a line for every path.

PyYAML's composer gives nodes with marks; we build the values ourselves from
those nodes (never `yaml.load`), which lets us:
- keep the line of every key and list element, for error messages;
- refuse duplicate keys, non-scalar keys and alias bombs (a budget on nodes);
- keep a scalar's source text, so `NO` read as a boolean can be named.
Only safe tags are resolved (SafeLoader's resolver).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bastion.scenario.errors import Path, format_path

MAX_NODES = 500_000
"""Most nodes visited while building values (aliases count each time they are used)."""
MAX_DEPTH = 40
"""Deepest nesting accepted; the format needs fewer than 10 levels."""

_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_YAML12_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+")
"""A number with an exponent but no dot (`1e6`), which YAML 1.2 reads as a float and YAML 1.1 as text."""
KNOWN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)
"""The tags a scenario may hold (implicit or written `!!str` ...); any other tag is an error."""


@dataclass
class Tree:
    """Plain values read from a file, the line of each path and the problems met."""

    value: Any
    lines: dict[Path, int] = field(default_factory=dict)
    raw: dict[Path, str] = field(default_factory=dict)
    problems: list[tuple[Path, int, str]] = field(default_factory=list)

    def line_of(self, path: Path) -> int:
        """Line of the longest known prefix of `path` (1 if none)."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(path[:cut])
            if line is not None:
                return line
        return 1


class TreeError(Exception):
    """The text cannot be read at all (syntax, encoding, size, nesting)."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"{line}: {message}")


class _Builder:
    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.visited = 0
        self.constructor = SafeConstructor()

    def build(self, node: Node, path: Path, depth: int) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise TreeError(
                node.start_mark.line + 1,
                f"more than {MAX_NODES:,} values (aliases expanded): not a scenario file",
            )
        if depth > MAX_DEPTH:
            raise TreeError(
                node.start_mark.line + 1, f"nested deeper than {MAX_DEPTH} levels: not a scenario file"
            )
        if node.tag not in KNOWN_TAGS and node.tag != "tag:yaml.org,2002:merge":
            self.tree.problems.append(
                (path, node.start_mark.line + 1, f"unknown YAML tag {node.tag}: tags are not used in scenarios")
            )
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, SequenceNode):
            out: list[Any] = []
            for index, child in enumerate(node.value):
                child_path = (*path, index)
                self.tree.lines.setdefault(child_path, child.start_mark.line + 1)
                out.append(self.build(child, child_path, depth + 1))
            return out
        if isinstance(node, MappingNode):
            return self.mapping(node, path, depth)
        raise TreeError(node.start_mark.line + 1, "unsupported YAML node")

    def mapping(self, node: MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                self.tree.problems.append((path, line, "a key must be a plain name, not a list or mapping"))
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.tree.problems.append((path, line, "merge keys (<<) are not supported"))
                continue
            if key_node.tag not in KNOWN_TAGS:
                message = f"unknown YAML tag {key_node.tag}: tags are not used in scenarios"
                self.tree.problems.append((path, line, message))
            key = self.scalar(key_node, None)
            if key_node.tag in (_BOOL_TAG, _NULL_TAG):
                text = key_node.value
                self.tree.problems.append(
                    (
                        (*path, text),
                        line,
                        f'key {text} was read as {_kind(key)}; quote it: "{text}"',
                    )
                )
                key = text
            if isinstance(key, float | bytes) or key_node.tag == _TIMESTAMP_TAG:
                key = key_node.value
            child_path = (*path, key if isinstance(key, str) else str(key_node.value))
            if key in out:
                first = self.tree.lines.get(child_path, line)
                self.tree.problems.append(
                    (child_path, line, f"duplicate key {key!s} (first on line {first})")
                )
                continue
            self.tree.lines[child_path] = line
            out[key] = self.build(value_node, child_path, depth + 1)
        return out

    def scalar(self, node: ScalarNode, path: Path | None) -> Any:
        if path is not None:
            self.tree.raw[path] = node.value
        if node.tag == _STR_TAG and node.style is None and _YAML12_FLOAT.fullmatch(node.value):
            return float(node.value)  # 1e6: a number in YAML 1.2 (and JSON), text to PyYAML's YAML 1.1
        if node.tag in (_TIMESTAMP_TAG, _STR_TAG) or node.tag not in KNOWN_TAGS:
            return node.value  # months and dates stay text; the model checks them
        if node.tag in (_INT_TAG, _FLOAT_TAG) and ":" in node.value:
            return node.value  # YAML 1.1 base-60 (40:00 = 2400): kept as text, never a number
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError, OverflowError):
            if node.tag == _INT_TAG:  # more digits than Python converts: a number out of any range
                return float("inf") if not node.value.lstrip().startswith("-") else float("-inf")
            return node.value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if value is None:
        return "null"
    return type(value).__name__


def _mark_line(error: yaml.YAMLError, text: str) -> int:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    position = getattr(error, "position", None)  # ReaderError: a character YAML refuses
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else 1


def _yaml_message(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError):
        parts = [p for p in (error.context, error.problem) if p]
        return "YAML syntax: " + "; ".join(parts)
    if isinstance(error, yaml.reader.ReaderError):
        return f"character {error.character!r} is not allowed in a scenario file"
    return f"YAML syntax: {error}"


def read_tree(text: str, is_json: bool = False) -> Tree:
    """Parse `text` into a Tree; raise TreeError when it cannot be read at all."""
    if not text.strip():
        raise TreeError(1, "the file is empty")
    if is_json:
        return _read_json(text)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise TreeError(_mark_line(error, text), _yaml_message(error)) from None
    except RecursionError:
        raise TreeError(1, "nested too deeply: not a scenario file") from None
    if node is None:
        raise TreeError(1, "the file holds no YAML document")
    _check_size(node)
    tree = Tree(value=None)
    tree.lines[()] = node.start_mark.line + 1
    tree.value = _Builder(tree).build(node, (), 0)
    return tree


def _check_size(root: Node) -> None:
    """Refuse a document whose aliases expand past MAX_NODES, before expanding anything.

    Sizes are memoised per composed node, so a "billion laughs" file is measured
    in time linear in its text, not in its expansion.
    """
    sizes: dict[int, int] = {}

    def size(node: Node, depth: int) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            raise TreeError(
                node.start_mark.line + 1, f"nested deeper than {MAX_DEPTH} levels: not a scenario file"
            )
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        if total > MAX_NODES:
            raise TreeError(
                node.start_mark.line + 1,
                f"more than {MAX_NODES:,} values (aliases expanded): not a scenario file",
            )
        sizes[id(node)] = total
        return total

    size(root, 0)


def _read_json(text: str) -> Tree:
    """JSON: values from the json module (exact numbers and strings), lines from YAML's composer."""
    try:
        value = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as error:
        raise TreeError(error.lineno, f"JSON syntax: {error.msg} (column {error.colno})") from None
    except RecursionError:
        raise TreeError(1, "nested too deeply: not a scenario file") from None
    tree = Tree(value=None)
    tree.lines[()] = 1
    try:
        node = yaml.compose(text.replace("\t", " "), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        node = None  # valid JSON that YAML 1.1 cannot read: every problem on line 1
    if node is not None:
        _Builder(tree).build(node, (), 0)  # for the lines, duplicate keys and the size limits
    tree.raw = {}
    tree.value = value
    _check_depth(value, 0)
    return tree


def _json_int(digits: str) -> int | float:
    """A JSON integer; one longer than any scenario value (Python refuses over 4,300 digits) is inf,
    which the model then rejects at its own path and line."""
    if len(digits) > 30:
        return float("-inf") if digits.startswith("-") else float("inf")
    return int(digits)


def _check_depth(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise TreeError(1, f"nested deeper than {MAX_DEPTH} levels: not a scenario file")
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        _check_depth(child, depth + 1)


__all__ = ["MAX_DEPTH", "MAX_NODES", "Tree", "TreeError", "format_path", "read_tree"]
