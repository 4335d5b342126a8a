"""What the exported workbook shows a planner: headers, docs, drop-downs, dates, marking, safe text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from scenario_helpers import VALID_YAML
from xlsx_helpers import book_of, cell_ref, column_of, open_book, row_of, scenario_of

from bastion.scenario import load_text, model
from bastion.xlsxio import build_workbook


def test_headers_carry_name_unit_and_the_field_docs() -> None:
    wb = open_book(book_of(VALID_YAML))
    ws = wb["Lines"]
    cap = ws.cell(row=1, column=column_of(ws, "capacity_per_month"))
    assert cap.value == "capacity_per_month [units/month]"
    assert cap.comment is not None
    assert model.Line.model_fields["capacity_per_month"].description in cap.comment.text
    capex = ws.cell(row=1, column=column_of(ws, "capex"))
    assert capex.value == "capex [EUR]"
    rec = wb["Suppliers"].cell(row=1, column=column_of(wb["Suppliers"], "disruption.recovery_months.mode"))
    assert rec.value == "disruption.recovery_months.mode [months]"
    assert model.Disruption.model_fields["recovery_months"].description in (rec.comment.text if rec.comment else "")


def test_ranges_are_three_columns_and_months_are_dates() -> None:
    wb = open_book(book_of(VALID_YAML))
    ws = wb["Programme"]
    r = row_of(ws, "building")
    assert [ws.cell(row=r, column=column_of(ws, f"duration_months.{p}")).value for p in ("min", "mode", "max")] == [
        10, 12, 18]
    ws = wb["Targets"]
    by = ws.cell(row=row_of(ws, "lv-naf"), column=column_of(ws, "by"))
    assert by.value == dt.datetime(2027, 12, 1)
    assert by.number_format == "yyyy-mm"
    start = wb["Scenario"][cell_ref(wb, "Scenario", ("horizon.start",), "value")]
    assert start.value == dt.datetime(2026, 1, 1) and start.number_format == "yyyy-mm"


def test_references_and_choices_have_drop_downs_and_numbers_have_limits() -> None:
    wb = open_book(book_of(VALID_YAML))
    supplies = {dv.formula1: str(dv.sqref) for dv in wb["Supplies"].data_validations.dataValidation}
    assert supplies["'Suppliers'!$A$2:$A$2001"].startswith("A2")
    assert supplies["'Items'!$A$2:$A$2001"].startswith("B2")
    lines = wb["Lines"].data_validations.dataValidation
    milestone = next(dv for dv in lines if dv.formula1 == "'Programme'!$A$2:$A$2001")
    assert str(milestone.sqref).startswith("F2")  # online.milestone
    optional = next(dv for dv in lines if dv.formula1 == '"TRUE,FALSE"')
    assert str(optional.sqref).startswith("N2")
    learning = next(dv for dv in lines if str(dv.sqref).startswith("K2"))
    # the loader's range, 0.01 <= learning_rate <= 1 (tests/xlsxio/test_limits.py checks every number column)
    assert (learning.type, learning.operator, learning.formula1, learning.formula2) == (
        "decimal", "between", "0.01", "1")
    online = next(dv for dv in lines if str(dv.sqref).startswith("E2"))
    assert online.type == "date"


def test_marking_on_the_first_sheet_and_every_print_header_and_footer() -> None:
    text = VALID_YAML.replace('classification: "UNCLASSIFIED // TEST"', 'classification: "RESTRICTED & SAFE"')
    wb = open_book(book_of(text))
    assert wb.worksheets[0].title == "Scenario"
    assert wb["Scenario"]["A1"].value == "RESTRICTED & SAFE"
    for ws in wb.worksheets:
        assert ws.oddHeader.center.text == "RESTRICTED && SAFE"  # & is a control code in headers
        assert ws.oddFooter.center.text == "RESTRICTED && SAFE"
        assert ws.freeze_panes is not None


def test_text_that_looks_like_a_formula_stays_text() -> None:
    text = VALID_YAML.replace('name: "Mine"', 'name: "=HYPERLINK(\\"http://x\\",\\"y\\")"').replace(
        'name: "Fuze works"', 'name: "+cmd|\' /C calc\'!A0"')
    data = book_of(text)
    wb = open_book(data)
    ws = wb["Items"]
    cell = ws.cell(row=row_of(ws, "atm-1"), column=column_of(ws, "name"))
    assert cell.data_type == "s" and cell.quotePrefix
    assert cell.value == '=HYPERLINK("http://x","y")'
    again = scenario_of(data)
    assert again.items["atm-1"].name == '=HYPERLINK("http://x","y")'
    assert again.suppliers["fuze-no"].name == "+cmd|' /C calc'!A0"
    assert again == load_text(text)


def test_template_has_marked_example_rows_and_is_a_valid_scenario(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bastion.cli import app

    out = tmp_path / "t.xlsx"
    result = CliRunner().invoke(app, ["xlsx", "template", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    wb = open_book(data)
    for title in ("Items", "Supplies", "Lines", "Targets", "Programme", "Risks", "Budget"):
        ws = wb[title]
        assert ws.max_row >= 2
        assert ws["A2"].comment is not None and "Example row" in ws["A2"].comment.text
        assert ws["A2"].font.italic
    scenario = scenario_of(data)
    assert scenario.name.startswith("Example scenario")


def test_reference_workbook_column_widths_fit(reference_path: Path) -> None:
    wb = open_book(build_workbook(load_text(reference_path.read_text("utf-8"))))
    ws = wb["Programme"]
    width = ws.column_dimensions["B"].width  # task names, up to 63 characters
    assert 40 <= width <= 62


def test_text_a_workbook_cannot_hold_is_a_clear_export_error(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from bastion.cli import app
    from bastion.xlsxio import ExportError

    data = load_text(VALID_YAML).model_dump(mode="json", exclude_none=True)  # null is no value
    data["items"]["atm-1"]["name"] = "bell\u0007"
    scenario = model.Scenario.model_validate(data)
    try:
        build_workbook(scenario)
    except ExportError as error:
        assert str(error) == "Items!B2: holds a control character that a workbook cannot store"
    else:
        raise AssertionError("no ExportError")
    source = tmp_path / "s.json"
    source.write_text(json.dumps(data), "utf-8")
    result = CliRunner().invoke(app, ["xlsx", "export", str(source)])
    assert result.exit_code == 2
    assert "cannot export: Items!B2: holds a control character" in result.output
    assert not (tmp_path / "s.xlsx").exists()
