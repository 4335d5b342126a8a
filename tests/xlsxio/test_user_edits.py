"""A workbook edited the way Excel and LibreOffice users edit one imports to the expected scenario."""

from __future__ import annotations

import datetime as dt

from openpyxl import Workbook
from openpyxl.utils.datetime import to_excel
from scenario_helpers import VALID_YAML
from xlsx_helpers import book_of, cell_ref, column_of, open_book, row_of, save, with_cached_value

from bastion.scenario import load_text
from bastion.xlsxio import read_scenario


def _swap_columns(wb: Workbook, sheet: str, a: str, b: str) -> None:
    ws = wb[sheet]
    ca, cb = column_of(ws, a), column_of(ws, b)
    for r in range(1, ws.max_row + 1):
        x, y = ws.cell(row=r, column=ca), ws.cell(row=r, column=cb)
        x.value, y.value = y.value, x.value


def _user_edits(wb: Workbook) -> None:
    supplies = wb["Supplies"]
    supplies[cell_ref(wb, "Supplies", ("steel-lv", "body"), "capacity_per_month")] = "6,500 "  # text, separator
    lines = wb["Lines"]
    lines[cell_ref(wb, "Lines", ("plant-lv", "line-1"), "capacity_per_month")] = " 1600"  # a number stored as text
    lines[cell_ref(wb, "Lines", ("plant-lv", "line-2"), "online")] = to_excel(dt.datetime(2027, 7, 1))  # a serial
    lines[cell_ref(wb, "Lines", ("plant-lv", "line-2"), "optional")] = "TRUE"  # a boolean typed as text
    lines.column_dimensions["H"].hidden = True  # acceptance_months hidden
    wb["Targets"][cell_ref(wb, "Targets", ("lv-naf",), "by")] = "2027-11"  # a month typed as text
    wb["Targets"][cell_ref(wb, "Targets", ("ee-df",), "by")] = dt.datetime(2028, 5, 17)  # any day of the month
    bom = wb["Bill of materials"]
    bom[cell_ref(wb, "Bill of materials", ("atm-1", "crate"), "component")] = "crate  "  # trailing spaces
    wb["Scenario"][cell_ref(wb, "Scenario", ("name",), "value")] = "Edited plant   "
    wb["Customers"][cell_ref(wb, "Customers", ("lt-af",), "priority")] = "=1+2"  # a formula, saved below
    items = wb["Items"]
    items.insert_rows(row_of(items, "body"), amount=2)  # blank rows between entries
    items.append([])
    _swap_columns(wb, "Supplies", "price", "capacity_per_month")  # reordered columns
    wb.move_sheet("Scenario", offset=len(wb.sheetnames))  # reordered sheets: Scenario last
    wb.move_sheet("Economics", offset=-5)
    notes = wb.create_sheet("Notes", 0)  # an extra sheet of the user's
    notes["A1"] = "what I changed"


def test_a_workbook_edited_as_a_user_would() -> None:
    wb = open_book(book_of(VALID_YAML))
    _user_edits(wb)
    customers_xml = f"xl/worksheets/sheet{wb.sheetnames.index('Customers') + 1}.xml"
    ref = cell_ref(wb, "Customers", ("lt-af",), "priority")
    data = with_cached_value(save(wb), customers_xml, ref, "3")
    scenario, warnings = read_scenario(data, "edited.xlsx")
    expected_text = (
        VALID_YAML.replace("body: {price: 40, lead_time_months: 2, capacity_per_month: 5000}",
                           "body: {price: 40, lead_time_months: 2, capacity_per_month: 6500}")
        .replace("capacity_per_month: 1500", "capacity_per_month: 1600")
        .replace('online: "2027-06"', 'online: "2027-07"')
        .replace('by: "2027-12"', 'by: "2027-11"')
        .replace('by: "2028-06"', 'by: "2028-05"')
        .replace('name: "Small test plant"', 'name: "Edited plant"')
        .replace("    priority: 2\n    consumption: {atm-1: 0}", "    priority: 3\n    consumption: {atm-1: 0}")
    )
    expected = load_text(expected_text)
    assert scenario == expected
    assert list(scenario.items) == list(expected.items)
    assert warnings == ['edited.xlsx: sheet "Notes" is not part of the scenario format; ignored']


def test_numbers_and_months_as_users_type_them() -> None:
    from bastion.xlsxio.cells import month_text, number_value

    assert [number_value(v) for v in ("1,200", "1 200", "1\u00a0200,5", " 7.5 ", "-3", "12e3", "abc")] == [
        1200, 1200, 1200.5, 7.5, -3, 12000, "abc"]
    assert [month_text(v) for v in ("2028-03", "2028-3", "2028/03", "2028-03-15", 46813, "46813",
                                     dt.date(2028, 3, 9), "March", 2028)] == [
        "2028-03", "2028-03", "2028-03", "2028-03", "2028-03", "2028-03", "2028-03", "March", 2028]
