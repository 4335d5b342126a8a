"""Scenarios as Excel workbooks: export, template and import with cell-named errors.

`build_workbook(scenario)` gives a workbook's bytes (`bastion xlsx export`);
`load_workbook_scenario(path)` reads one back through the scenario loader's own
validation, naming the cell of every problem (`FILE.xlsx:Sheet!C7: path: message`).
"""

from bastion.xlsxio.read import load_workbook_scenario, read_scenario
from bastion.xlsxio.sniff import CellProblem
from bastion.xlsxio.write import ExportError, build_workbook

XLSX_SUFFIXES = (".xlsx", ".xlsm")
"""File name endings read as workbooks by every command that reads a scenario."""


def is_workbook_name(name: str) -> bool:
    """True when a scenario file name ends like a workbook (.xlsx, .xlsm)."""
    return name.lower().endswith(XLSX_SUFFIXES)


__all__ = [
    "XLSX_SUFFIXES",
    "CellProblem",
    "ExportError",
    "build_workbook",
    "is_workbook_name",
    "load_workbook_scenario",
    "read_scenario",
]
