"""The report words losses per item by name, states the weight of a weighted total, shows both
measures, and says what an outage means (issue 14 items 4, 6 and 7)."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import load_workbook
from tests.report.pagehtml import Page

from bastion.report import build_xlsx, render_html
from bastion.report.charts import exposure_bars, exposure_scatter
from bastion.report.content import node_rows
from bastion.report.losses import OUTAGE_MEANING, losses_text, mitigation_text
from bastion.report.names import names


def _two_items(run: dict[str, Any]) -> dict[str, Any]:
    """The most exposed node made to lose two items (atm-1 and fuze-assy), each by its units."""
    node = max(run["resilience"]["nodes"], key=lambda n: n["risk_exposure_index"])
    node["lost_by_item"] = {"atm-1": 1200.0, "fuze-assy": 35.4}
    node["lost_units"] = node["lost_weighted"] = 654321.0
    node["lost_by_item_in_window"] = {"atm-1": 300.0}
    node["lost_units_in_window"] = 300.0
    return node


def test_losses_per_item_by_name(run: dict[str, Any]) -> None:
    node = _two_items(run)
    nm = names(run)
    atm, fuze = nm.name("items", "atm-1"), nm.name("items", "fuze-assy")
    assert atm != "atm-1" and fuze != "fuze-assy"
    [row] = [r for r in node_rows(run) if r["node"] == node["node"]]
    assert row["lost_text"] == f"1,200 {atm}; 35 {fuze}"
    assert row["lost_in_window_text"] == f"300 {atm}"
    assert row["lost_weighted"] == 654321.0
    assert row["loss_weight"] == "each unit valued at its unit cost (EUR)"
    assert losses_text({}, nm) == "none" and losses_text(None, nm, 12.0) == "12 units"


def test_table_names_the_weight_and_both_measures(run: dict[str, Any], tables: dict[str, Any]) -> None:
    _two_items(run)
    doc = Page(render_html(run, tables))
    text = doc.text_of["table-resilience_nodes"]
    for head in ("lost over the horizon, per item (units)", "TTS in the outage window (months)",
                 "lost in the outage window, per item (units)",
                 "loss over the horizon, weighted (each unit valued at its unit cost (EUR))"):
        assert head in text
    assert "units lost" not in text
    assert "654,321" in text and OUTAGE_MEANING in text


def test_weight_in_units_when_costs_cannot_rank(run: dict[str, Any], tables: dict[str, Any]) -> None:
    run["resilience"]["loss_weight"] = "units"
    assert node_rows(run)[0]["loss_weight"] == "units of every item counted alike"
    bars = exposure_bars(run)
    assert bars is not None and "units of every item counted alike" in bars.reading


def test_chart_readings_say_what_an_outage_means(run: dict[str, Any]) -> None:
    node = _two_items(run)
    scatter, bars = exposure_scatter(run), exposure_bars(run)
    assert scatter is not None and bars is not None
    assert "shipments already on the way when it starts still arrive" in scatter.reading
    assert "orders placed during the outage ship only after it ends" in scatter.reading
    atm = names(run).name("items", "atm-1")
    assert f"lost over the horizon: 1,200 {atm}; 35" in bars.reading
    assert f"in the outage window: 300 {atm}" in bars.reading
    assert "each unit valued at its unit cost (EUR)" in bars.reading
    assert names(run).node(node["node"]) in bars.reading


def test_mitigation_named_and_rounded_up(run: dict[str, Any]) -> None:
    mit = {"text": "x", "items": [
        {"item": "atm-1", "site": "plant-lv", "buffer_units": 0.0, "buffer_months": 0.0,
         "second_source_per_month": 0.0},
        {"item": "fuze-assy", "site": "plant-lv", "buffer_units": 100.2, "buffer_months": 1.25,
         "second_source_per_month": 1.25}]}
    nm = names(run)
    fuze, plant = nm.name("items", "fuze-assy"), nm.name("sites", "plant-lv")
    assert mitigation_text(mit, nm) == (f"hold 101 {fuze} at {plant} (1.2 months of use), "
                                        f"or a second source of 2 {fuze} a month")


def test_workbook_nodes_sheet(run: dict[str, Any], tables: dict[str, Any]) -> None:
    _two_items(run)
    ws = load_workbook(io.BytesIO(build_xlsx(run, tables)))["resilience_nodes"]
    head = [c.value for c in ws[2]]
    for h in ("lost over the horizon, per item (units)", "lost in the outage window, per item (units)",
              "lost_weighted (see loss_weight)", "weight of the weighted losses", "tts_window_months (months)"):
        assert h in head, head
    assert "lost_units (units)" not in head
    col = head.index("weight of the weighted losses") + 1
    assert ws.cell(row=3, column=col).value == "each unit valued at its unit cost (EUR)"


def test_bar_labels_short_and_items_named_on_hover(run: dict[str, Any]) -> None:
    node = _two_items(run)
    bars = exposure_bars(run)
    assert bars is not None
    trace = json.loads(bars.figure_json)["data"][0]
    rows = {r["node"]: r for r in node_rows(run)}
    at = trace["y"].index(names(run).node(node["node"]))
    assert trace["text"][at] == "2 items lost"
    atm = names(run).name("items", "atm-1")
    assert trace["hovertext"][at].startswith(f"lost over the horizon: 1,200 {atm}; 35 ")
    one = next(r for r in rows.values() if r["lost_text"] != "none" and ";" not in r["lost_text"])
    assert one["lost_short"] == one["lost_text"].split(" ")[0] + " lost"
