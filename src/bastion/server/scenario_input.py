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

from bastion.scenario.errors import Problem, ScenarioError
from bastion.scenario.load import MAX_BYTES, dump_scenario, validate_tree
from bastion.scenario.model import Releasability, Scenario
from bastion.scenario.yamltree import TreeError, read_tree
from bastion.server.security import LEVELS


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
    """Validate an uploaded file: a workbook (.xlsx, .xlsm) or YAML/JSON text."""
    from bastion.xlsxio import is_workbook_name, read_scenario

    if is_workbook_name(filename):
        scenario, _warnings = read_scenario(data, filename)
        return _received(scenario, dump_scenario(scenario))
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ScenarioError([Problem(filename, line, "(file)", "not UTF-8 text")]) from None
    return from_text(text, filename)


__all__ = ["LEVELS", "Received", "from_text", "from_upload", "problems_json"]
