"""The workbook report: one sheet per table, the classification marking in the first row of each."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bastion.report.content import derived_tables
from bastion.report.fmt import cell

PLAN_TABLES = ("production", "purchases", "stores", "deliveries", "stockpiles", "costs")
_MARK_FILL = PatternFill("solid", fgColor="22303C")
_HEAD_FILL = PatternFill("solid", fgColor="EEF2F6")


Tables = dict[str, list[dict[str, Any]]]


def sheet_tables(run: dict[str, Any], tables: Tables) -> Tables:
    """Every table of the workbook in sheet order: the run's derived tables, then the given tables
    (the plan's first; a given table replaces a derived one of the same name)."""
    derived = derived_tables(run)
    out: Tables = {}
    for name in ("inputs", "targets", "lines", "cost_breakdown"):
        out[name] = derived.pop(name)
    for name in PLAN_TABLES:
        if name in tables:
            out[f"plan_{name}"] = tables[name]
    out.update(derived)
    for name, records in tables.items():
        if name not in PLAN_TABLES:
            out[name] = records
    return out


def _sheet_title(name: str, used: set[str]) -> str:
    base = "".join(c for c in name if c not in "[]:*?/\\")[:31] or "sheet"
    title, k = base, 1
    while title.lower() in used:
        k += 1
        title = f"{base[:28]}_{k}"
    used.add(title.lower())
    return title


def _columns(records: list[dict[str, Any]]) -> list[str]:
    cols: dict[str, None] = {}
    for r in records:
        for k in r:
            cols.setdefault(str(k), None)
    return list(cols)


def build_xlsx(run: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> bytes:
    """The workbook's bytes: row 1 the marking, row 2 the bold header, data below, panes frozen under it."""
    marking = str(run.get("classification") or "UNCLASSIFIED")
    wb = Workbook()
    default = wb.active
    used: set[str] = set()
    for name, records in sheet_tables(run, tables).items():
        ws = wb.create_sheet(_sheet_title(name, used))
        cols = _columns(records)
        mark_pages(ws, marking)
        ws.append([marking])
        ws["A1"].font = Font(bold=True, color="FFFFFF")
        ws["A1"].fill = _MARK_FILL
        if cols:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(1, len(cols)))
        ws["A1"].alignment = Alignment(horizontal="center")
        ws.append(cols or ["(no rows)"])
        for c in ws[1]:
            as_text(c)
        for c in ws[2]:
            c.font = Font(bold=True)
            c.fill = _HEAD_FILL
        for r in records:
            ws.append([_value(r.get(k)) for k in cols])
            for c in ws[ws.max_row]:
                as_text(c)
        ws.freeze_panes = "A3"
        for i, col in enumerate(cols, start=1):
            width = max([len(col), *(len(str(_value(r.get(col)) or "")) for r in records[:200])])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(9, width + 2))
        if records and cols:
            ws.auto_filter.ref = f"A2:{get_column_letter(len(cols))}{len(records) + 2}"
    if default is not None:
        wb.remove(default)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(c: Any) -> None:
    """Keep a text cell text: a value from the user (a name, a file name, the marking) that starts
    like a formula is stored as a string with a quote prefix, never evaluated by the spreadsheet."""
    if isinstance(c.value, str) and c.value.startswith(_FORMULA_START):
        c.data_type = "s"
        c.quotePrefix = True


def mark_pages(ws: Any, marking: str) -> None:
    """The marking in the print header and footer of every page of the sheet ("&" escaped)."""
    text = marking.replace("&", "&&")
    for hf in (ws.oddHeader, ws.oddFooter, ws.evenHeader, ws.evenFooter, ws.firstHeader, ws.firstFooter):
        hf.center.text = text
        hf.center.font = "Arial,Bold"


def _value(v: Any) -> Any:
    out = cell(v)
    if isinstance(out, float) and out != out:  # NaN: leave the cell empty
        return None
    return out
