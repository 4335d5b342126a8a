"""The workbook report, for planners: a Summary sheet that matches the report's first page, then one
sheet per table: headers with units, number formats, months as real dates, the plan's monthly
tables wide (months across), frozen panes, names beside codes. The classification marking is in
row 1 of every sheet and in every sheet's print header and footer. Text from the scenario never
becomes a formula, and its control characters are written as escapes (`bastion.textsafe.visible`).
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bastion.report.answer import answers, fix_text
from bastion.report.content import HEADLINE_NOTE, derived_tables, headline
from bastion.report.fmt import cell, currency, rows, section
from bastion.report.names import Names, names
from bastion.report.xlsx_layout import (
    MONEY_FMT,
    MONTH_FMT,
    UNITS_FMT,
    WIDE,
    column_format,
    cost_rows,
    month_date,
    wide,
    with_names,
)
from bastion.textsafe import visible

PLAN_TABLES = ("production", "purchases", "stores", "deliveries", "stockpiles", "costs")
_MARK_FILL = PatternFill("solid", fgColor="22303C")
_HEAD_FILL = PatternFill("solid", fgColor="EEF2F6")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Tables = dict[str, list[dict[str, Any]]]


def as_text(c: Any) -> None:
    """Keep a text cell text: a value from the user (a name, a file name, the marking) that starts
    like a formula is stored as a string with a quote prefix, never evaluated by the spreadsheet."""
    if isinstance(c.value, str) and c.value.startswith(_FORMULA_START):
        c.data_type = "s"
        c.quotePrefix = True


def mark_pages(ws: Any, marking: str) -> None:
    """The marking in the print header and footer of every page of the sheet ("&" escaped)."""
    text = visible(marking).replace("&", "&&")
    for hf in (ws.oddHeader, ws.oddFooter, ws.evenHeader, ws.evenFooter, ws.firstHeader, ws.firstFooter):
        hf.center.text = text
        hf.center.font = "Arial,Bold"


def _put(ws: Any, row: int, col: int, value: Any, fmt: str | None = None) -> Any:
    v = cell(value)
    if isinstance(v, float) and v != v:  # NaN: leave the cell empty
        v = None
    elif isinstance(v, str):  # control characters as escapes (openpyxl refuses most of them)
        v = visible(v)
    c = ws.cell(row=row, column=col, value=month_date(v))
    if c.is_date:
        c.number_format = MONTH_FMT
    elif fmt and isinstance(v, int | float) and not isinstance(v, bool):
        c.number_format = fmt
    as_text(c)
    return c


def _start(wb: Workbook, title: str, used: set[str], marking: str, width: int) -> Any:
    """A new sheet: the marking in row 1 (merged across `width` columns) and in its print header/footer."""
    ws = wb.create_sheet(_sheet_title(title, used))
    mark_pages(ws, marking)
    c = _put(ws, 1, 1, marking)
    c.font = Font(bold=True, color="FFFFFF")
    c.fill = _MARK_FILL
    c.alignment = Alignment(horizontal="center")
    if width > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.print_title_rows = "1:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def _header(ws: Any, row: int, values: list[Any]) -> None:
    for i, v in enumerate(values, start=1):
        c = _put(ws, row, i, v)
        c.font = Font(bold=True)
        c.fill = _HEAD_FILL
        if c.is_date:
            c.number_format = "mmm yyyy"


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


def write_table(wb: Workbook, name: str, records: list[dict[str, Any]], marking: str, cur: str,
                used: set[str]) -> Any:
    """One table in long form: row 2 the headers with units, data below, panes frozen under them."""
    cols = _columns(records)
    ws = _start(wb, name, used, marking, max(1, len(cols)))
    heads = [column_format(c, cur, name) for c in cols]
    _header(ws, 2, [h for h, _ in heads] or ["(no rows)"])
    for r, rec in enumerate(records, start=3):
        for i, col in enumerate(cols, start=1):
            _put(ws, r, i, rec.get(col), heads[i - 1][1])
    ws.freeze_panes = "A3"
    for i, (head, _) in enumerate(heads, start=1):
        sample = [len(str(cell(r.get(cols[i - 1])) or "")) for r in records[:200]]
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(10, len(head) + 2, *sample, 0) + 1)
    if records and cols:
        ws.auto_filter.ref = f"A2:{get_column_letter(len(cols))}{len(records) + 2}"
    return ws


def write_wide(wb: Workbook, name: str, marking: str, used: set[str], keys: tuple[str, ...],
               months: list[str], body: list[tuple[tuple[str, ...], dict[str, float]]], nm: Names,
               what: str, fmt: str) -> Any:
    """One monthly table with months across: key and name columns, a total, then one column a month."""
    labels = [k for k in keys]
    named = [k for k in keys if k in ("customer", "item", "supplier", "site")] if nm.catalogue else []
    lead = labels + [f"{k} name" for k in named] + [f"total: {what}"]
    ws = _start(wb, name, used, marking, len(lead) + len(months))
    _header(ws, 2, lead + list(months))
    first = len(lead) + 1
    for r, (key, series) in enumerate(body, start=3):
        for i, v in enumerate(key, start=1):
            _put(ws, r, i, v)
        for j, k in enumerate(named):
            kind = {"customer": "customers", "item": "items", "supplier": "suppliers", "site": "sites"}[k]
            text = nm.name(kind, key[keys.index(k)])
            if name == "production" and k == "item" and nm.finished(key[keys.index(k)]) is False:
                text += " (intermediate: not output)"
            _put(ws, r, len(labels) + 1 + j, text)
        _put(ws, r, first - 1, round(sum(series.values()), 6), fmt)
        for j, m in enumerate(months):
            _put(ws, r, first + j, round(series.get(m, 0.0), 6), fmt)
    ws.freeze_panes = ws.cell(row=3, column=first)
    for i in range(1, first):
        ws.column_dimensions[get_column_letter(i)].width = 16 if i < first - 1 else 14
    for j in range(len(months)):
        ws.column_dimensions[get_column_letter(first + j)].width = 10
    return ws


def write_summary(wb: Workbook, run: dict[str, Any], marking: str, used: set[str]) -> Any:
    """The Summary sheet: the report's five answers, then its headline figures."""
    ws = _start(wb, "Summary", used, marking, 3)
    c = _put(ws, 2, 1, f"{run.get('scenario') or 'scenario'}: run report")
    c.font = Font(bold=True, size=14)
    r = 4
    for a in answers(run):
        q = _put(ws, r, 1, a.question)
        q.font = Font(bold=True)
        lead = _put(ws, r, 2, a.lead)
        lead.font = Font(bold=True)
        lead.alignment = Alignment(wrap_text=True, vertical="top")
        r += 1
        for p in a.points:
            _put(ws, r, 2, p).alignment = Alignment(wrap_text=True, vertical="top")
            r += 1
        r += 1
    _header(ws, r, ["Headline figure", "Value", "Detail"])
    r += 1
    for h in headline(run):
        _put(ws, r, 1, h.label)
        _put(ws, r, 2, h.value).font = Font(bold=True)
        _put(ws, r, 3, h.detail)
        r += 1
    if section(run, "plan") is not None and section(run, "simulate") is not None:
        _put(ws, r + 1, 1, HEADLINE_NOTE)
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 110
    ws.column_dimensions["C"].width = 60
    ws.freeze_panes = "A3"
    return ws


def _explanations(run: dict[str, Any], nm: Names) -> list[dict[str, Any]]:
    out = []
    for e in rows(section(run, "plan"), "explanations"):
        fixes = [fix_text(f, nm) for f in e.get("fixes") or [] if isinstance(f, dict)]
        out.append({"customer": e.get("customer"), "item": e.get("item"), "by": e.get("by"),
                    "shortfall": e.get("shortfall"), "why": e.get("text"),
                    "what fixes it (each alone)": "; or ".join(fixes)})
    return out


def sheet_tables(run: dict[str, Any], tables: Tables) -> Tables:
    """Every long table of the workbook in sheet order (after the Summary and the wide sheets are
    placed): the run's derived tables, then the plan's tidy tables, then any other given table."""
    derived = derived_tables(run)
    out: Tables = {}
    for name in ("targets", "lines", "cost_breakdown"):
        out[name] = derived.pop(name)
    inputs = derived.pop("inputs")
    derived.pop("plan_explanations", None)
    out["plan_explanations"] = _explanations(run, names(run))
    out.update(derived)
    for name in PLAN_TABLES:
        if name in tables:
            out[f"plan_{name}"] = tables[name]
    for name, records in tables.items():
        if name not in PLAN_TABLES:
            out[name] = records
    out["inputs"] = inputs
    return out


def build_xlsx(run: dict[str, Any], tables: Tables) -> bytes:
    """The workbook's bytes (see the module's docstring for its layout)."""
    marking = str(run.get("classification") or "UNCLASSIFIED")
    cur = currency(run)
    nm = names(run)
    wb = Workbook()
    default = wb.active
    used: set[str] = set()
    write_summary(wb, run, marking, used)
    long = sheet_tables(run, tables)
    for name in ("targets", "lines", "cost_breakdown"):
        write_table(wb, name, with_names(long.pop(name), nm), marking, cur, used)
    for sheet, table, keys, month, value, what in WIDE:
        if tables.get(table):
            months, body = wide(tables[table], keys, month, value)
            write_wide(wb, sheet, marking, used, keys, months, body, nm, what, UNITS_FMT)
    if tables.get("costs"):
        months = [str(r.get("month")) for r in tables["costs"]]
        write_wide(wb, "costs", marking, used, ("cost",), months, cost_rows(tables["costs"]), nm,
                   f"{cur} a month", MONEY_FMT)
    for name, records in long.items():
        write_table(wb, name, with_names(records, nm), marking, cur, used)
    if default is not None:
        wb.remove(default)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
