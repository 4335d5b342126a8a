"""Helpers for the workbook tests: build, edit and read workbooks as a user's Excel would."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bastion.scenario import Scenario, ScenarioError, load_text
from bastion.xlsxio import build_workbook, read_scenario
from bastion.xlsxio.layout import header_name


def book_of(text: str) -> bytes:
    """The exported workbook of a YAML scenario."""
    return build_workbook(load_text(text, "f.yaml"))


def open_book(data: bytes) -> Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_workbook(io.BytesIO(data))


def save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def edited(data: bytes, change: Callable[[Workbook], None]) -> bytes:
    """`data` opened in openpyxl, changed by `change` and saved again."""
    wb = open_book(data)
    change(wb)
    return save(wb)


def header_row(ws: Worksheet) -> int:
    return 3 if ws.title == "Scenario" else 1


def column_of(ws: Worksheet, header: str) -> int:
    """1-based column whose header names `header`."""
    row = header_row(ws)
    for c in range(1, ws.max_column + 1):
        value = ws.cell(row=row, column=c).value
        if value is not None and header_name(str(value)) == header:
            return c
    raise KeyError(header)


def row_of(ws: Worksheet, *keys: Any) -> int:
    """1-based row whose first cells hold `keys` (the Scenario sheet: the row of field `keys[0]`)."""
    for r in range(header_row(ws) + 1, ws.max_row + 1):
        if all(ws.cell(row=r, column=k + 1).value == key for k, key in enumerate(keys)):
            return r
    raise KeyError(keys)


def cell_ref(wb: Workbook, sheet: str, keys: tuple[Any, ...], header: str) -> str:
    """`A1`-style address of the cell in row `keys`, column `header` of `sheet`."""
    ws = wb[sheet]
    column = 2 if sheet in ("Scenario", "Economics") else column_of(ws, header)
    return f"{get_column_letter(column)}{row_of(ws, *keys)}"


def set_cell(sheet: str, keys: tuple[Any, ...], header: str, value: Any) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        wb[sheet][cell_ref(wb, sheet, keys, header)].value = value

    return change


def add_row(sheet: str, values: dict[str, Any]) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        ws = wb[sheet]
        r = ws.max_row + 1
        for header, value in values.items():
            ws.cell(row=r, column=column_of(ws, header), value=value)

    return change


def scenario_of(data: bytes, name: str = "f.xlsx") -> Scenario:
    return read_scenario(data, name)[0]


def problems_of(data: bytes, name: str = "f.xlsx") -> list[str]:
    """Every problem of a workbook as printed (`f.xlsx:Sheet!C7: path: message`); [] when valid."""
    try:
        read_scenario(data, name)
    except ScenarioError as error:
        return [str(p) for p in error.problems]
    return []


def yaml_problems(text: str) -> list[tuple[str, str]]:
    """(path, message) of every problem of a YAML scenario."""
    try:
        load_text(text, "f.yaml")
    except ScenarioError as error:
        return [(p.path, p.message) for p in error.problems]
    return []


def values_of(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's cell values, row by row (what a reader of the workbook sees)."""
    wb = load_workbook(io.BytesIO(data), read_only=True)
    out = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    wb.close()
    return out


def with_cached_value(data: bytes, sheet_xml: str, ref: str, value: str) -> bytes:
    """`data` with the formula in cell `ref` of `sheet_xml` given a saved value (as Excel saves it)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == sheet_xml:
                text = body.decode()
                pattern = re.compile(rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v></v>)?')
                assert pattern.search(text), ref
                text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}<v>{value}</v>", text, count=1)
                body = text.encode()
            dst.writestr(info, body)
    return out.getvalue()
