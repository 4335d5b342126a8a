"""The workbook's number limits are the loader's documented ranges (one source: the pydantic constraints).

Every number column's data validation must hold the range the loader enforces, a value just beyond
either limit must be refused by the import at that very cell, and a blank optional cell must be left
out of the document (null is no value for the strict loader).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from scenario_helpers import VALID_YAML
from xlsx_helpers import book_of, column_of, edited, open_book, row_of, scenario_of
from xlsx_helpers import problems_of as workbook_problems

from bastion.scenario import load_text
from bastion.scenario.types import MAX_BOM, MAX_FACTOR, MAX_MONTHS, MAX_PRIORITY, MAX_RATE, MAX_RESOURCE
from bastion.xlsxio.layout import SHEETS, Column, Sheet

BOOK = book_of(VALID_YAML)
NUMBERS = [(sheet, col) for sheet in SHEETS for col in sheet.all if col.kind in ("number", "int")]


def _cell(wb: Workbook, sheet: Sheet, col: Column) -> str:
    """The address of `col`'s cell in the sheet's first entity (field sheets: the field's value cell)."""
    ws = wb[sheet.title]
    if sheet.form == "fields":
        return f"B{row_of(ws, col.header)}"
    return f"{get_column_letter(column_of(ws, col.header))}2"


def _validation_of(wb: Workbook, title: str, cell: str) -> tuple[str | None, str | None, str | None, str | None]:
    for dv in wb[title].data_validations.dataValidation:
        if cell in dv.sqref:
            return dv.type, dv.operator, dv.formula1, dv.formula2
    raise AssertionError(f"{title}!{cell} has no data validation")


def _problems_at(data: bytes, title: str, cell: str) -> list[str]:
    quoted = f"'{title}'" if " " in title else title
    prefix = f"f.xlsx:{quoted}!{cell}: "
    return [p[len(prefix):] for p in workbook_problems(data) if p.startswith(prefix)]


def test_hand_checked_limits_of_the_new_ranges() -> None:
    wb = open_book(BOOK)
    expected = {
        ("Lines", "learning_rate"): ("decimal", "between", "0.01", "1"),
        ("Items", "scrap_rate"): ("decimal", "between", "0", "0.99"),
        ("Bill of materials", "quantity"): ("decimal", "between", "0", str(int(MAX_BOM))),
        ("Lines", "capacity_per_month"): ("decimal", "between", "0", "1000000000000000"),
        ("Lines", "outage.recovery_months.max"): ("decimal", "between", "0", str(MAX_MONTHS)),
        ("Supplies", "lead_time_months"): ("whole", "between", "0", str(MAX_MONTHS)),
        ("Suppliers", "disruption.rate_per_year"): ("decimal", "between", "0", f"{MAX_RATE:g}"),
        ("Customers", "priority"): ("whole", "between", "1", str(MAX_PRIORITY)),
        ("Customers", "surge.factor"): ("decimal", "between", "0", f"{MAX_FACTOR:g}"),
        ("Resources", "capacity"): ("whole", "between", "0", str(MAX_RESOURCE)),
        ("Budget", "year"): ("whole", "between", "1900", "2999"),
        ("Consumption", "units_per_month"): ("decimal", "between", "0", "1000000000000000"),
    }
    for (title, header), validation in expected.items():
        cell = f"{get_column_letter(column_of(wb[title], header))}2"
        assert _validation_of(wb, title, cell) == validation, (title, header)


@pytest.mark.parametrize(("sheet", "col"), NUMBERS, ids=[f"{s.title}.{c.header}" for s, c in NUMBERS])
def test_a_value_beyond_a_workbook_limit_is_refused_at_its_cell(sheet: Sheet, col: Column) -> None:
    wb = open_book(BOOK)
    cell = _cell(wb, sheet, col)
    assert col.lower is not None and col.upper is not None, "every number has a documented range"
    kind, operator, low, high = _validation_of(wb, sheet.title, cell)
    assert (kind, operator) == ("whole" if col.kind == "int" else "decimal", "between")
    assert low is not None and high is not None
    step = 1.0 if col.kind == "int" else 0.001
    (lo, lo_in), (hi, hi_in) = col.lower, col.upper
    assert (float(low), float(high)) == (lo, hi)
    outside = [lo - step * max(1.0, abs(lo)) if lo_in else lo, hi + step * max(1.0, abs(hi)) if hi_in else hi]
    inside = [v for v, inclusive in ((lo, lo_in), (hi, hi_in)) if inclusive]
    for value in outside:
        found = _problems_at(edited(BOOK, _set(sheet.title, cell, value)), sheet.title, cell)
        assert any(": must be " in p for p in found), (value, found)
    for value in inside:
        found = _problems_at(edited(BOOK, _set(sheet.title, cell, value)), sheet.title, cell)
        assert not any(": must be " in p for p in found), (value, found)


def _set(title: str, cell: str, value: float) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        wb[title][cell].value = int(value) if value.is_integer() else value

    return change


def test_blank_optional_cells_are_left_out_not_null() -> None:
    optional = {
        "Supplies": ("capacity_per_month",),
        "Suppliers": ("disruption.rate_per_year", "disruption.recovery_months.min", "disruption.recovery_months.mode",
                      "disruption.recovery_months.max"),
        "Lines": ("online", "online.milestone", "outage.rate_per_year", "outage.recovery_months.min",
                  "outage.recovery_months.mode", "outage.recovery_months.max", "learning_rate", "optional"),
        "Customers": ("surge.rate_per_year", "surge.duration_months.min", "surge.duration_months.mode",
                      "surge.duration_months.max", "surge.factor", "name", "priority"),
    }

    def clear(wb: Workbook) -> None:
        for title, headers in optional.items():
            ws = wb[title]
            for header in headers:
                for r in range(2, ws.max_row + 1):
                    ws.cell(row=r, column=column_of(ws, header)).value = None
        ws = wb["Scenario"]
        ws[f"B{row_of(ws, 'programme.start')}"].value = None
        ws[f"B{row_of(ws, 'description')}"].value = "   "

    scenario = scenario_of(edited(BOOK, clear))
    assert all(s.capacity_per_month is None for sup in scenario.suppliers.values() for s in sup.supplies.values())
    assert all(sup.disruption is None for sup in scenario.suppliers.values())
    lines = [line for _, line in scenario.all_lines().values()]
    assert all(line.online is None and line.outage is None and line.learning_rate == 1.0 for line in lines)
    assert all(c.surge is None and c.priority == 1 for c in scenario.customers.values())
    assert scenario.programme is not None and scenario.programme.start is None
    assert scenario.description == "" and scenario.economics is None
    assert scenario.programme_start() == load_text(VALID_YAML).horizon.start
