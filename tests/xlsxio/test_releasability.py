"""The optional `releasability` section in the workbook: three fields on the Scenario sheet,
carried both ways, its errors named by cell like the YAML's by line."""

from __future__ import annotations

from openpyxl import Workbook
from scenario_helpers import VALID_YAML
from xlsx_helpers import book_of, cell_ref, edited, open_book, row_of, scenario_of, set_cell

from bastion.scenario import ScenarioError, dump_scenario, load_text
from bastion.xlsxio import CellProblem, build_workbook, read_scenario

RELEASED = VALID_YAML.replace(
    "currency: EUR\n", "currency: EUR\nreleasability: {level: RESTRICTED, owner: LVA, releasable_to: [EST, LTU]}\n"
)


def test_yaml_to_workbook_to_yaml_keeps_releasability() -> None:
    scenario = load_text(RELEASED, "f.yaml")
    book = build_workbook(scenario)
    ws = open_book(book)["Scenario"]
    assert [ws.cell(row=row_of(ws, f), column=2).value for f in
            ("releasability.level", "releasability.owner", "releasability.releasable_to")] == [
        "RESTRICTED", "LVA", "EST, LTU"]
    again = scenario_of(book)
    assert again.releasability is not None
    assert (again.releasability.level, again.releasability.owner, again.releasability.releasable_to) == (
        "RESTRICTED", "LVA", ["EST", "LTU"])
    assert load_text(dump_scenario(again)) == scenario


def test_a_scenario_without_it_stays_without_it() -> None:
    assert scenario_of(book_of(VALID_YAML)).releasability is None


def test_an_edited_level_and_a_bad_nation_are_named_by_cell() -> None:
    book = book_of(RELEASED)
    wb = open_book(book)
    nations = "Scenario!" + cell_ref(wb, "Scenario", ("releasability.releasable_to",), "value")
    secret = scenario_of(edited(book, set_cell("Scenario", ("releasability.level",), "value", "SECRET")))
    assert secret.releasability is not None and secret.releasability.level == "SECRET"
    changed = edited(book, set_cell("Scenario", ("releasability.releasable_to",), "value", "EST, LVA, est"))
    try:
        read_scenario(changed, "f.xlsx")
    except ScenarioError as error:
        got = [(p.cell, p.path, p.message) for p in error.problems if isinstance(p, CellProblem)]
    else:
        raise AssertionError("no error")
    assert got == [
        (nations, "releasability.releasable_to[2]",
         '"est" is not a 3-letter upper-case ISO 3166-1 alpha-3 nation code (e.g. LVA)'),
    ]
    changed = edited(book, set_cell("Scenario", ("releasability.releasable_to",), "value", "EST, LVA"))
    try:
        read_scenario(changed, "f.xlsx")
    except ScenarioError as error:
        got = [(p.cell, p.path, p.message) for p in error.problems if isinstance(p, CellProblem)]
    else:
        raise AssertionError("no error")
    assert got == [(nations, "releasability.releasable_to[1]", "LVA is the owner: list only the other nations")]


def test_the_first_row_carries_the_releasability_marking() -> None:
    ws = open_book(book_of(RELEASED))["Scenario"]
    assert ws.cell(row=1, column=1).value == "UNCLASSIFIED // TEST // RESTRICTED // REL TO LVA, EST, LTU"
    assert open_book(book_of(VALID_YAML))["Scenario"].cell(row=1, column=1).value == "UNCLASSIFIED // TEST"


def test_a_workbook_made_before_the_section_still_imports() -> None:
    def drop_rows(wb: Workbook) -> None:
        ws = wb["Scenario"]
        for field in ("releasability.releasable_to", "releasability.owner", "releasability.level"):
            ws.delete_rows(row_of(ws, field))

    assert scenario_of(edited(book_of(VALID_YAML), drop_rows)) == load_text(VALID_YAML)
