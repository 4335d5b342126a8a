"""Scenario text and workbooks received by the server, validated by the scenario loader.

The optional top-level `releasability` section (SCENARIO.md) is a field of the scenario model
(`bastion.scenario.model.Releasability`), checked by the loader like every other field: its
problems come with their line (or cell for a workbook). The service layer applies the server's
rules to it (owner: the creator's nation if left out; a file without it keeps the current one).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bastion.scenario.errors import Problem, ScenarioError
from bastion.scenario.load import MAX_BYTES, dump_scenario, validate_tree
from bastion.scenario.model import Releasability, Scenario
from bastion.scenario.yamltree import TreeError, read_tree
from bastion.server.errors import Invalid
from bastion.server.security import LEVELS, NO_NUL

MAX_MESSAGE = 10_000
"""The most characters a revision message holds (JSON or multipart alike)."""

ZIP_SIGNATURE = b"PK\x03\x04"
"""How every XLSX workbook (a zip archive) begins, whatever the file's name."""


@dataclass(frozen=True)
class Received:
    """A valid scenario as received: its text as stored, its hash, and its releasability as written."""

    scenario: Scenario
    text: str
    sha256: str

    @property
    def releasability(self) -> Releasability | None:
        """As written in the file; None when the file has no `releasability`."""
        return self.scenario.releasability


def _received(scenario: Scenario, text: str) -> Received:
    return Received(scenario, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


def problems_json(error: ScenarioError) -> list[dict[str, Any]]:
    """The loader's problems as JSON (a workbook problem also names its cell)."""
    out = []
    for p in error.problems:
        item: dict[str, Any] = {"file": p.file, "line": p.line, "path": p.path, "message": p.message, "text": str(p)}
        cell = getattr(p, "cell", None)
        if cell is not None:
            item["cell"] = cell
        out.append(item)
    return out


def check_message(message: str) -> None:
    """A multipart `message` as the JSON body's is checked: 422 for a NUL or over `MAX_MESSAGE` characters."""
    if "\x00" in message:
        raise Invalid("message: holds a NUL character")
    if len(message) > MAX_MESSAGE:
        raise Invalid(f"message: at most {MAX_MESSAGE} characters (this one has {len(message)})")


def _field_problem(error: Any) -> str:
    loc = ".".join(str(part) for part in error.get("loc", ()))
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "json_invalid":
        return f"not JSON ({ctx.get('error', error.get('msg', ''))})"
    if kind == "model_type":
        return "a JSON object is wanted, {yaml, message}"
    if kind == "extra_forbidden":
        return f"unexpected field '{loc}'"
    if kind == "missing":
        return f"{loc}: field required"
    if kind == "string_too_long":
        return f"{loc}: at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return f"{loc}: empty" if ctx.get("min_length") == 1 else f"{loc}: at least {ctx.get('min_length')} characters"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == NO_NUL:
        return f"{loc}: holds a NUL character"
    if kind == "string_type":
        return f"{loc}: a JSON string is wanted"
    return f"{loc}: {error.get('msg', kind)}" if loc else str(error.get("msg", kind))


def body_problems(error: ValidationError) -> str:
    """A JSON body's validation errors in words, each naming its field and rule, e.g. `yaml: field
    required; unexpected field 'x'`."""
    return "; ".join(_field_problem(e) for e in error.errors())


def from_text(text: str, name: str = "scenario.yaml") -> Received:
    """Validate YAML text (with an optional `releasability`); raise ScenarioError listing every problem."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ScenarioError([Problem(name, 1, "(file)", f"larger than {MAX_BYTES // 2**20} MiB")])
    try:
        tree = read_tree(text)
    except TreeError as error:
        raise ScenarioError([Problem(name, error.line, "(file)", error.message)]) from None
    return _received(validate_tree(tree, name), text)


def from_upload(data: bytes, filename: str) -> Received:
    """Validate an uploaded file: a workbook (named .xlsx or .xlsm, or any file that begins as a zip
    archive does, whatever its name) or YAML/JSON text."""
    from bastion.xlsxio import is_workbook_name, read_scenario

    if is_workbook_name(filename) or data.startswith(ZIP_SIGNATURE):
        scenario, _warnings = read_scenario(data, filename)
        return _received(scenario, dump_scenario(scenario))
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ScenarioError([Problem(filename, line, "(file)", "not UTF-8 text")]) from None
    return from_text(text, filename)


__all__ = [
    "LEVELS",
    "MAX_MESSAGE",
    "Received",
    "body_problems",
    "check_message",
    "from_text",
    "from_upload",
    "problems_json",
]
