"""Scenarios as Excel workbooks: export, template and import with cell-named errors.

`build_workbook(scenario)` gives a workbook's bytes (`bastion xlsx export`);
`load_workbook_scenario(path)` reads one back through the scenario loader's own
validation, naming the cell of every problem (`FILE.xlsx:Sheet!C7: path: message`).

The readers and writers (and openpyxl under them) are imported on first use: every command
asks `is_workbook_name` of its scenario file, and only a workbook needs openpyxl (about a
quarter of a second of each command's start otherwise).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bastion.xlsxio.read import load_workbook_scenario, read_scenario
    from bastion.xlsxio.sniff import CellProblem
    from bastion.xlsxio.write import ExportError, build_workbook

XLSX_SUFFIXES = (".xlsx", ".xlsm")
"""File name endings read as workbooks by every command that reads a scenario."""

_LAZY = {
    "load_workbook_scenario": "read",
    "read_scenario": "read",
    "CellProblem": "sniff",
    "ExportError": "write",
    "build_workbook": "write",
}


def is_workbook_name(name: str) -> bool:
    """True when a scenario file name ends like a workbook (.xlsx, .xlsm)."""
    return name.lower().endswith(XLSX_SUFFIXES)


def __getattr__(name: str) -> Any:
    """The readers and writers, imported on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "XLSX_SUFFIXES",
    "CellProblem",
    "ExportError",
    "build_workbook",
    "is_workbook_name",
    "load_workbook_scenario",
    "read_scenario",
]
