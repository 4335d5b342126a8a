"""Scenario text and workbooks received by the server, validated by the scenario loader.

The optional top-level `releasability` mapping (SCENARIO.md) is read here and taken out of the
tree before the rest goes through `bastion.scenario.load.validate_tree`, so the loader's
problems (with lines, or cells for a workbook) come back unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bastion.scenario.errors import Problem, ScenarioError
from bastion.scenario.load import MAX_BYTES, dump_scenario, validate_tree
from bastion.scenario.model import Scenario
from bastion.scenario.yamltree import TreeError, read_tree
from bastion.server.security import LEVELS, NATION, Level


class ReleasabilityIn(BaseModel):
    """The `releasability` field of a scenario file (owner: the creator's nation if left out)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Level = "UNCLASSIFIED"
    owner: str | None = None
    releasable_to: list[str] = []

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value is not None and not NATION.fullmatch(value):
            raise ValueError("owner must be an ISO 3166-1 alpha-3 code in capitals, e.g. LVA")
        return value

    @field_validator("releasable_to")
    @classmethod
    def _nations(cls, value: list[str]) -> list[str]:
        bad = [n for n in value if not isinstance(n, str) or not NATION.fullmatch(n)]
        if bad:
            raise ValueError(f"not ISO 3166-1 alpha-3 codes in capitals: {bad[:5]}")
        return sorted(set(value))


@dataclass(frozen=True)
class Received:
    """A valid scenario as received: its text as stored, its hash, and its releasability as written."""

    scenario: Scenario
    text: str
    sha256: str
    releasability: ReleasabilityIn | None
    """As written in the file; None when the file has no `releasability`."""


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


def from_text(text: str, name: str = "scenario.yaml") -> Received:
    """Validate YAML text (with an optional `releasability`); raise ScenarioError listing every problem."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ScenarioError([Problem(name, 1, "(file)", f"larger than {MAX_BYTES // 2**20} MiB")])
    try:
        tree = read_tree(text)
    except TreeError as error:
        raise ScenarioError([Problem(name, error.line, "(file)", error.message)]) from None
    rel: ReleasabilityIn | None = None
    problems: list[Problem] = []
    if isinstance(tree.value, dict) and "releasability" in tree.value:
        raw = tree.value.pop("releasability")
        try:
            rel = ReleasabilityIn.model_validate(raw)
        except ValidationError as error:
            line = tree.line_of(("releasability",))
            problems = [
                Problem(name, line, "releasability" + "".join(f".{p}" for p in e["loc"]), e["msg"])
                for e in error.errors(include_url=False)
            ]
    try:
        scenario = validate_tree(tree, name)
    except ScenarioError as error:
        raise ScenarioError([*error.problems, *problems]) from None
    if problems:
        raise ScenarioError(problems)
    return Received(scenario, text, hashlib.sha256(text.encode("utf-8")).hexdigest(), rel)


def from_upload(data: bytes, filename: str) -> Received:
    """Validate an uploaded file: a workbook (.xlsx, .xlsm) or YAML/JSON text."""
    from bastion.xlsxio import is_workbook_name, read_scenario

    if is_workbook_name(filename):
        scenario, _warnings = read_scenario(data, filename)
        text = dump_scenario(scenario)
        return Received(scenario, text, hashlib.sha256(text.encode("utf-8")).hexdigest(), None)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ScenarioError([Problem(filename, line, "(file)", "not UTF-8 text")]) from None
    return from_text(text, filename)


__all__ = ["LEVELS", "Received", "ReleasabilityIn", "from_text", "from_upload", "problems_json"]
