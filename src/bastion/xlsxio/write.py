"""Write a scenario as a workbook a planner can edit (`bastion xlsx export` and `template`)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bastion.scenario.model import Scenario
from bastion.xlsxio.cells import write_value
from bastion.xlsxio.layout import SHEETS, Column, Sheet, header_text
from bastion.xlsxio.rows import field_value, sheet_rows, single_value

FIELD_HEADERS = ("field", "value", "unit", "meaning")
"""The columns of a field sheet (Scenario, Economics): one row per field."""
SCENARIO_HEADER_ROW = 3
"""The Scenario sheet's header row: row 1 holds the classification marking."""
VALIDATED_ROWS = 2000
"""Data validation covers this many rows below the header (more rows are still read)."""
MAX_CELL_TEXT = 32_767
"""The most characters Excel keeps in one cell."""

_MARK_FILL = PatternFill("solid", fgColor="22303C")
_HEAD_FILL = PatternFill("solid", fgColor="DCE6F0")
_EXAMPLE_FONT = Font(italic=True, color="7F7F7F")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_AUTHOR = "Bastion"


class ExportError(Exception):
    """A scenario value that a workbook cannot hold (control characters, over-long text)."""


def _id_column(sheet_title: str) -> str:
    sheet = next(s for s in SHEETS if s.title == sheet_title)
    index = next(i for i, c in enumerate(sheet.all) if c.header == "id")
    return str(get_column_letter(index + 1))


def _put(ws: Worksheet, row: int, column: int, value: Any, where: str) -> Any:
    """Write one cell; text that starts like a formula stays text."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        if len(value) > MAX_CELL_TEXT:
            raise ExportError(f"{where}: text of {len(value):,} characters; a cell holds at most {MAX_CELL_TEXT:,}")
        try:
            cell.value = value
        except IllegalCharacterError:
            raise ExportError(f"{where}: holds a control character that a workbook cannot store") from None
        if value.startswith(_FORMULA_START):
            cell.data_type = "s"
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _number_format(col: Column, value: Any) -> str | None:
    if col.kind == "month":
        return "yyyy-mm"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if col.kind == "int":
        return "0" if col.header in ("year",) or "months" in col.header else "#,##0"
    if col.money or col.unit in ("units", "units/month"):
        return "#,##0" if float(value).is_integer() else "#,##0.00##########"
    return "General"


def _comment(text: str) -> Comment:
    comment = Comment(text, _AUTHOR)
    comment.width = 320
    comment.height = 40 + 15 * (len(text) // 45)
    return comment


def _limit(bound: float) -> str:
    """A limit as a formula's number: `0.01`, `1200`, `1000000000000000` (never `1e+15`)."""
    return str(int(bound)) if bound.is_integer() else repr(bound)


def _validation(col: Column, ws: Worksheet, letter: str, first: int, count: int = VALIDATED_ROWS) -> None:
    """Drop-downs for references and choices; number and date limits."""
    dv: DataValidation | None = None
    if col.ref is not None:
        ref_letter = _id_column(col.ref)
        dv = DataValidation(type="list", formula1=f"'{col.ref}'!${ref_letter}$2:${ref_letter}${VALIDATED_ROWS + 1}",
                            errorStyle="warning", error=f"Not an id from the {col.ref} sheet.")
    elif col.options:
        dv = DataValidation(type="list", formula1='"' + ",".join(col.options) + '"')
    elif col.kind == "month":
        dv = DataValidation(type="date", operator="between", formula1=str(int(to_excel(dt.datetime(1900, 1, 1)))),
                            formula2=str(int(to_excel(dt.datetime(2999, 12, 1)))),
                            error='Write a month, e.g. 2028-03 (a date, shown as YYYY-MM).')
    elif col.kind in ("number", "int", "range") and (col.lower or col.upper):
        kind = "whole" if col.kind == "int" else "decimal"
        if col.lower and col.upper:
            dv = DataValidation(type=kind, operator="between", formula1=_limit(col.lower[0]),
                                formula2=_limit(col.upper[0]))
        elif col.lower:
            op = "greaterThanOrEqual" if col.lower[1] else "greaterThan"
            dv = DataValidation(type=kind, operator=op, formula1=_limit(col.lower[0]))
        elif col.upper:
            op = "lessThanOrEqual" if col.upper[1] else "lessThan"
            dv = DataValidation(type=kind, operator=op, formula1=_limit(col.upper[0]))
        if dv is not None:
            dv.error = f"{col.header}: {col.doc}"[:255]
    if dv is None:
        return
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.errorTitle = col.header[:32]
    if dv.error:
        dv.error = dv.error[:255]
    ws.add_data_validation(dv)
    dv.add(f"{letter}{first}:{letter}{first + count - 1}")


def _print_marking(ws: Worksheet, marking: str) -> None:
    text = marking.replace("&", "&&")
    for part in (ws.oddHeader, ws.evenHeader, ws.firstHeader, ws.oddFooter, ws.evenFooter, ws.firstFooter):
        part.center.text = text
        part.center.size = 10
    ws.print_options.gridLines = False
    ws.page_setup.orientation = "landscape"


def _widths(ws: Worksheet, widths: dict[int, int]) -> None:
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = min(60, max(8, width + 2))


def _text_len(value: Any) -> int:
    if isinstance(value, dt.datetime):
        return 7
    if isinstance(value, float):
        return len(f"{value:,.6g}")
    if isinstance(value, int) and not isinstance(value, bool):
        return len(f"{value:,}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def _field_sheet(ws: Worksheet, sheet: Sheet, rows: list[Any], currency: str, marking: str, example: bool) -> None:
    first = 1
    if sheet.title == "Scenario":
        _put(ws, 1, 1, marking, "classification")
        ws.cell(row=1, column=1).font = Font(bold=True, color="FFFFFF")
        ws.cell(row=1, column=1).fill = _MARK_FILL
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(FIELD_HEADERS))
        ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
        first = SCENARIO_HEADER_ROW
    for k, head in enumerate(FIELD_HEADERS, start=1):
        cell = ws.cell(row=first, column=k, value=head)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
    entity = rows[0][1] if rows else {}
    widths = {1: 10, 2: 12, 3: 6, 4: 40}
    for offset, col in enumerate(sheet.columns, start=1):
        r = first + offset
        ws.cell(row=r, column=1, value=col.header).font = Font(bold=col.required)
        value = write_value(col, field_value(col, entity))
        cell = _put(ws, r, 2, value, f"{sheet.title}!B{r}")
        fmt = _number_format(col, value)
        if fmt:
            cell.number_format = fmt
        if example and value is not None:
            cell.font = _EXAMPLE_FONT
        ws.cell(row=r, column=3, value=col.unit.replace("money", currency) if col.unit else None)
        ws.cell(row=r, column=4, value=col.doc).alignment = Alignment(wrap_text=False)
        ws.cell(row=r, column=1).comment = _comment(col.doc) if col.doc else None
        _validation(col, ws, "B", r, count=1)
        widths[1] = max(widths[1], len(col.header))
        widths[2] = max(widths[2], _text_len(value) if value is not None else 0)
    _widths(ws, widths)
    ws.freeze_panes = ws.cell(row=first + 1, column=2)


def _table_sheet(ws: Worksheet, sheet: Sheet, rows: list[Any], currency: str, example: bool) -> None:
    cols = sheet.all
    widths: dict[int, int] = {}
    for k, col in enumerate(cols, start=1):
        text = header_text(col, currency)
        cell = ws.cell(row=1, column=k, value=text)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        doc = col.doc + (" Required." if col.required and col not in sheet.keys else "")
        cell.comment = _comment(f"{col.header}: {doc}")
        widths[k] = min(24, len(text))
        _validation(col, ws, get_column_letter(k), 2)
    single = single_value(sheet)
    for r, (keys, entity) in enumerate(rows, start=2):
        for k, col in enumerate(cols, start=1):
            if k <= len(sheet.keys):
                raw: Any = keys[k - 1]
            elif single:
                raw = entity
            else:
                raw = field_value(col, entity)
            value = write_value(col, raw)
            cell = _put(ws, r, k, value, f"{sheet.title}!{get_column_letter(k)}{r}")
            fmt = _number_format(col, value)
            if fmt:
                cell.number_format = fmt
            if example:
                cell.font = _EXAMPLE_FONT
            if value is not None:
                widths[k] = max(widths[k], _text_len(value))
        if example:
            ws.cell(row=r, column=1).comment = _comment("Example row: replace it with your own data, or delete it.")
    _widths(ws, widths)
    ws.freeze_panes = ws.cell(row=2, column=len(sheet.keys) + 1)
    ws.print_title_rows = "1:1"


def build_workbook(scenario: Scenario, *, example: bool = False) -> bytes:
    """The workbook's bytes: one sheet per section, one row per entity, one column per field.

    `example`: the rows are marked as example rows (the template).
    """
    data = scenario.model_dump(mode="json", exclude_none=True)
    marking = scenario.marking()
    wb = Workbook()
    default = wb.active
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.title)
        rows = sheet_rows(sheet, data)
        if sheet.form == "fields":
            _field_sheet(ws, sheet, rows, scenario.currency, marking, example)
        else:
            _table_sheet(ws, sheet, rows, scenario.currency, example)
        _print_marking(ws, marking)
    if default is not None:
        wb.remove(default)
    wb.properties.title = scenario.name[:255]
    wb.properties.creator = "Bastion"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["FIELD_HEADERS", "SCENARIO_HEADER_ROW", "ExportError", "build_workbook"]
