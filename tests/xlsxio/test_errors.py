"""Every loader error class has a workbook twin: the same path and message, with the exact cell.

Each case makes one mistake twice: in the YAML text and in the exported workbook. The
workbook's problems must be the YAML's (path and message) and name the expected cells.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from openpyxl import Workbook
from scenario_helpers import VALID_YAML
from xlsx_helpers import add_row, book_of, edited, problems_of, set_cell, with_cached_value, yaml_problems

from bastion.scenario import ScenarioError
from bastion.xlsxio import CellProblem, read_scenario

BOOK = book_of(VALID_YAML)


def cell_problems(data: bytes) -> list[tuple[str, str, str]]:
    """(cell, path, message) of each problem of a workbook."""
    try:
        read_scenario(data, "f.xlsx")
    except ScenarioError as error:
        out = []
        for p in error.problems:
            assert isinstance(p, CellProblem)
            out.append((p.cell, p.path, p.message))
        return out
    return []


def yaml_edit(old: str, new: str) -> str:
    assert VALID_YAML.count(old) == 1, old
    return VALID_YAML.replace(old, new)


Change = Callable[[Workbook], None]


def _two_sites(wb: Workbook) -> None:
    add_row("Sites", {"id": "plant-2", "country": "LV"})(wb)
    add_row("Lines", {"site": "plant-2", "id": "line-1", "makes": "atm-1", "capacity_per_month": 10})(wb)

CASES: list[tuple[str, tuple[str, str], Change, list[str]]] = [
    ("unknown item in a bom", ("bom: {fuze: 1, spring: 2}", "bom: {fuze: 1, spring: 2, gear: 3}"),
     add_row("Bill of materials", {"item": "fuze-assy", "component": "gear", "quantity": 3}),
     ["'Bill of materials'!B7"]),
    ("bom cycle", ("bom: {fuze: 1, spring: 2}", "bom: {fuze: 1, spring: 2, atm-1: 1}"),
     add_row("Bill of materials", {"item": "fuze-assy", "component": "atm-1", "quantity": 1}),
     ["'Bill of materials'!A2"]),
    ("item in its own bom", ("bom: {fuze: 1, spring: 2}", "bom: {fuze: 1, spring: 2, fuze-assy: 1}"),
     add_row("Bill of materials", {"item": "fuze-assy", "component": "fuze-assy", "quantity": 1}),
     ["'Bill of materials'!B7"]),
    ("bought item with a bom", ("  body: {made: false}", "  body: {made: false, bom: {fuze: 1}}"),
     add_row("Bill of materials", {"item": "body", "component": "fuze", "quantity": 1}), ["Items!A4"]),
    ("negative quantity in a bom", ("bom: {fuze: 1, spring: 2}", "bom: {fuze: 1, spring: -2}"),
     set_cell("Bill of materials", ("fuze-assy", "spring"), "quantity", -2), ["'Bill of materials'!C6"]),
    ("line makes a bought item", ("makes: [atm-1, fuze-assy]", "makes: [atm-1, body]"),
     set_cell("Lines", ("plant-lv", "line-2"), "makes", "atm-1, body"), ["Lines!C3"]),
    ("milestone that is not a task", ("online: {milestone: sat-line-1}", "online: {milestone: nothing}"),
     set_cell("Lines", ("plant-lv", "line-1"), "online.milestone", "nothing"), ["Lines!F2"]),
    ("task cycle", ("site-permit: {duration_months: [3, 4, 8]}",
                    "site-permit: {duration_months: [3, 4, 8], after: [sat-line-1]}"),
     set_cell("Programme", ("site-permit",), "after", "sat-line-1"), ["Programme!F2"]),
    ("unknown task in after", ("site-permit: {duration_months: [3, 4, 8]}",
                               "site-permit: {duration_months: [3, 4, 8], after: [nothing]}"),
     set_cell("Programme", ("site-permit",), "after", "nothing"), ["Programme!F2"]),
    ("target beyond the horizon", ('{item: atm-1, by: "2027-12", units: 20000}',
                                   '{item: atm-1, by: "2030-01", units: 20000}'),
     set_cell("Targets", ("lv-naf",), "by", dt.datetime(2030, 1, 1)), ["Targets!C2"]),
    ("month not YYYY-MM", ('horizon: {start: "2026-01", months: 36}', 'horizon: {start: "2026-13", months: 36}'),
     set_cell("Scenario", ("horizon.start",), "value", "2026-13"), ["Scenario!B12"]),
    ("negative capacity", ("capacity_per_month: 1500", "capacity_per_month: -1"),
     set_cell("Lines", ("plant-lv", "line-1"), "capacity_per_month", -1), ["Lines!D2"]),
    ("range with min > mode", ("recovery_months: [1, 2, 4]", "recovery_months: [3, 2, 4]"),
     set_cell("Suppliers", ("steel-lv",), "disruption.recovery_months.min", 3), ["Suppliers!E2"]),
    ("text where a number is meant", ("body: {price: 40,", 'body: {price: "cheap",'),
     set_cell("Supplies", ("steel-lv", "body"), "price", "cheap"), ["Supplies!C2"]),
    ("boolean where a number is meant", ("body: {price: 40,", "body: {price: true,"),
     set_cell("Supplies", ("steel-lv", "body"), "price", True), ["Supplies!C2"]),
    ("number outside its range", ("scrap_rate: 0.02", "scrap_rate: 1.5"),
     set_cell("Items", ("atm-1",), "scrap_rate", 1.5), ["Items!E2"]),
    ("required field missing", ("  steel-lv:\n    country: LV\n", "  steel-lv:\n"),
     set_cell("Suppliers", ("steel-lv",), "country", None), ["Suppliers!C2"]),
    ("bad country code", ("  steel-lv:\n    country: LV\n", "  steel-lv:\n    country: lv\n"),
     set_cell("Suppliers", ("steel-lv",), "country", "lv"), ["Suppliers!C2"]),
    ("bad id", ("  body: {made: false}", "  Body: {made: false}"),
     set_cell("Items", ("body",), "id", "Body"), ["Items!A4"]),
    ("risk id used twice", ("- id: plant-fire", "- id: fuze-export-ban"),
     set_cell("Risks", ("plant-fire",), "id", "fuze-export-ban"), ["Risks!A3"]),
    ("unknown supplier in a risk", ("applies_to: {suppliers: [fuze-no]}", "applies_to: {suppliers: [fuze-no, nobody]}"),
     set_cell("Risks", ("fuze-export-ban",), "applies_to.suppliers", "fuze-no, nobody"), ["Risks!C2"]),
    ("unknown resource", ("uses: {engineering: 1}", "uses: {engineering: 1, welders: 2}"),
     set_cell("Programme", ("building",), "uses", "engineering: 1, welders: 2"), ["Programme!G3"]),
    ("resource over its capacity", ("uses: {engineering: 1}", "uses: {engineering: 3}"),
     set_cell("Programme", ("building",), "uses", "engineering: 3"), ["Programme!G3"]),
    ("consumption beyond the horizon", ('{"2026-01": 10, "2027-01": 40}', '{"2026-01": 10, "2031-01": 40}'),
     set_cell("Consumption", ("ee-df", "atm-1", dt.datetime(2027, 1, 1)), "from", dt.datetime(2031, 1, 1)),
     ["Consumption!C4"]),
    ("unknown item in a store", ("initial_store: {body: 2000, fuze: 500}",
                                 "initial_store: {body: 2000, fuze: 500, gadget: 5}"),
     add_row("Site stores", {"site": "plant-lv", "item": "gadget", "units": 5}), ["'Site stores'!B4"]),
    ("supplier of a made item", ("body: {price: 40,", "atm-1: {price: 40,"),
     set_cell("Supplies", ("steel-lv", "body"), "item", "atm-1"), ["Supplies!B2"]),
    ("unknown item in a target", ('{item: atm-1, by: "2028-06", units: 5000}',
                                  '{item: gear, by: "2028-06", units: 5000}'),
     set_cell("Targets", ("ee-df",), "item", "gear"), ["Targets!B3"]),
    ("line id used at two sites", ("\nprogramme:", "  plant-2:\n    country: LV\n    lines:\n"
                                   "      line-1: {makes: [atm-1], capacity_per_month: 10}\n\nprogramme:"),
     _two_sites, ["Lines!B4"]),
    ("format version", ("bastion: 1", "bastion: 2"), set_cell("Scenario", ("bastion",), "value", 2), ["Scenario!B4"]),
    # the strict loader (issue 21): no boolean as a number, documented ranges, no repeats, one id one thing
    ("boolean where a whole number is meant", ("lead_time_months: 2,", "lead_time_months: true,"),
     set_cell("Supplies", ("steel-lv", "body"), "lead_time_months", True), ["Supplies!D2"]),
    ("boolean where a share is meant", ("learning_rate: 0.85", "learning_rate: false"),
     set_cell("Lines", ("plant-lv", "line-1"), "learning_rate", False), ["Lines!K2"]),
    ("bom quantity above its range", ("bom: {fuze: 1, spring: 2}", "bom: {fuze: 1, spring: 2000000.5}"),
     set_cell("Bill of materials", ("fuze-assy", "spring"), "quantity", 2000000.5), ["'Bill of materials'!C6"]),
    ("learning rate below its range", ("learning_rate: 0.85", "learning_rate: 0.005"),
     set_cell("Lines", ("plant-lv", "line-1"), "learning_rate", 0.005), ["Lines!K2"]),
    ("priority above its range", ("priority: 1\n", "priority: 101\n"),
     set_cell("Customers", ("lv-naf",), "priority", 101), ["Customers!D2"]),
    ("resource capacity above its range", ("resources: {engineering: 2}", "resources: {engineering: 1001}"),
     set_cell("Resources", ("engineering",), "capacity", 1001), ["Resources!B2"]),
    ("item listed twice in makes", ("makes: [atm-1, fuze-assy]", "makes: [atm-1, fuze-assy, atm-1]"),
     set_cell("Lines", ("plant-lv", "line-2"), "makes", "atm-1, fuze-assy, atm-1"), ["Lines!C3"]),
    ("risk id that names a site", ("- id: plant-fire", "- id: plant-lv"),
     set_cell("Risks", ("plant-fire",), "id", "plant-lv"), ["Risks!A3"]),
    ("supplier id that names a site", ("\nsites:", "  plant-lv: {country: LV}\n\nsites:"),
     add_row("Suppliers", {"id": "plant-lv", "country": "LV"}), ["Sites!A2"]),
]


@pytest.mark.parametrize(("what", "yaml", "change", "cells"), CASES, ids=[c[0] for c in CASES])
def test_workbook_twin_of_a_loader_error(what: str, yaml: tuple[str, str], change: Change, cells: list[str]) -> None:
    expected = yaml_problems(yaml_edit(*yaml))
    found = cell_problems(edited(BOOK, change))
    assert sorted((path, message) for _, path, message in found) == sorted(expected)
    assert expected, f"{what}: the YAML twin must be invalid"
    assert [cell for cell, _, _ in found] == cells


def test_every_problem_at_once_one_line_each() -> None:
    def change(wb: Workbook) -> None:
        for step in (set_cell("Lines", ("plant-lv", "line-1"), "capacity_per_month", -1),
                     set_cell("Items", ("atm-1",), "scrap_rate", "lots"),
                     set_cell("Targets", ("lv-naf",), "by", "2099-01")):
            step(wb)

    text = VALID_YAML.replace("capacity_per_month: 1500", "capacity_per_month: -1").replace(
        "scrap_rate: 0.02", 'scrap_rate: "lots"').replace('by: "2027-12"', 'by: "2099-01"')
    expected = yaml_problems(text)
    found = problems_of(edited(BOOK, change))
    assert [p.split(": ", 1)[0] for p in found] == ["f.xlsx:Items!E2", "f.xlsx:Lines!D2", "f.xlsx:Targets!C2"]
    assert sorted(tuple(p.split(": ", 1)[1].split(": ", 1)) for p in found) == sorted(expected)
    assert found[1] == "f.xlsx:Lines!D2: sites.plant-lv.lines.line-1.capacity_per_month: must be >= 0, found -1"


# --- mistakes only a workbook can make ----------------------------------------------------------


def one(data: bytes) -> str:
    found = problems_of(data)
    assert len(found) == 1, found
    return found[0]


def test_formula_without_a_saved_value() -> None:
    data = edited(BOOK, set_cell("Supplies", ("steel-lv", "body"), "price", "=20*2"))
    assert one(data) == ("f.xlsx:Supplies!C2: suppliers.steel-lv.supplies.body.price: a formula with no saved "
                         "value: open the workbook in Excel or LibreOffice, recalculate (F9) and save it")


def test_formula_with_a_saved_value_is_read() -> None:
    data = edited(BOOK, set_cell("Supplies", ("steel-lv", "body"), "price", "=20*2.5"))
    data = with_cached_value(data, "xl/worksheets/sheet5.xml", "C2", "50")
    scenario, _ = read_scenario(data, "f.xlsx")
    assert scenario.suppliers["steel-lv"].supplies["body"].price == 50


def test_a_cell_showing_an_excel_error() -> None:
    data = edited(BOOK, set_cell("Supplies", ("steel-lv", "body"), "price", "#DIV/0!"))
    assert one(data) == ("f.xlsx:Supplies!C2: suppliers.steel-lv.supplies.body.price: the cell shows the error "
                         "#DIV/0!: fix its formula")


def test_unknown_column_is_named_at_its_header() -> None:
    def add(wb: Workbook) -> None:
        wb["Items"]["H1"] = "colour"
        wb["Items"]["H2"] = "red"

    assert one(edited(BOOK, add)) == (
        "f.xlsx:Items!H1: (file): unknown column colour; allowed: id, name, unit, made, scrap_rate, "
        "holding_cost_per_month")


def test_an_empty_unknown_column_is_ignored() -> None:
    def add(wb: Workbook) -> None:
        wb["Items"]["H1"] = "notes"

    assert problems_of(edited(BOOK, add)) == []


def test_part_of_a_range_left_empty() -> None:
    data = edited(BOOK, set_cell("Suppliers", ("steel-lv",), "disruption.recovery_months.mode", None))
    assert one(data) == (
        "f.xlsx:Suppliers!F2: suppliers.steel-lv.disruption.recovery_months: disruption.recovery_months.mode is "
        "empty: fill in min, mode and max (the same number three times for a constant)")


def test_row_of_an_unknown_parent() -> None:
    data = edited(BOOK, add_row("Supplies", {"supplier": "nobody", "item": "body", "price": 1}))
    assert one(data) == "f.xlsx:Supplies!A6: suppliers: unknown supplier nobody: add it to the Suppliers sheet"


def test_the_same_id_on_two_rows() -> None:
    data = edited(BOOK, add_row("Items", {"id": "body", "name": "again"}))
    assert one(data) == "f.xlsx:Items!A8: items.body: item body is given twice (first at Items!A4)"


def test_a_row_without_its_id() -> None:
    data = edited(BOOK, add_row("Items", {"name": "no id"}))
    assert one(data) == "f.xlsx:Items!A8: items: id is missing: fill it in or delete the row"


def test_online_as_both_month_and_milestone() -> None:
    data = edited(BOOK, set_cell("Lines", ("plant-lv", "line-1"), "online", dt.datetime(2027, 1, 1)))
    assert one(data) == ("f.xlsx:Lines!F2: sites.plant-lv.lines.line-1.online.milestone: give online as a month "
                         "or as online.milestone, not both")
