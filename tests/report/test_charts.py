"""Charts on small hand-made tables: what each chart counts, with exact answers."""

from __future__ import annotations

import json
from typing import Any

from bastion.report.charts import production_ramp


def _spec(chart: Any) -> dict[str, Any]:
    return dict(json.loads(chart.figure_json))


def test_production_counts_finished_items_only() -> None:
    # "kit" is delivered to a customer; "sub" is made on the same line and used up in "kit".
    tables: dict[str, list[dict[str, Any]]] = {
        "production": [
            {"month": "2030-01", "line": "l1", "site": "s", "item": "sub", "units": 100.0},
            {"month": "2030-02", "line": "l1", "site": "s", "item": "kit", "units": 90.0},
            {"month": "2030-03", "line": "l1", "site": "s", "item": "kit", "units": 60.0},
            {"month": "2030-03", "line": "l2", "site": "s", "item": "kit", "units": 40.0},
        ],
        "stockpiles": [{"month": "2030-01", "customer": "c", "item": "kit", "closing": 0.0}],
    }
    chart = production_ramp({}, tables)
    assert chart is not None
    assert "makes 190 finished units in all" in chart.reading
    assert "peaks at 100 units/month in 2030-03" in chart.reading
    assert "sub 100 units" in chart.reading and "not counted as output" in chart.reading
    data = _spec(chart)["data"]
    stacked = {t["name"]: t["y"] for t in data if t.get("stackgroup")}
    assert stacked == {"l1": [0.0, 90.0, 60.0], "l2": [0.0, 0.0, 40.0]}
    apart = [t for t in data if not t.get("stackgroup")]
    assert [t["name"] for t in apart] == ["sub (intermediate, not output)"]
    assert apart[0]["y"] == [100.0, 0.0, 0.0]


def test_every_exposed_point_is_labelled_by_name(run: dict[str, Any]) -> None:
    from bastion.report.charts import exposure_scatter
    from bastion.report.names import names

    chart = exposure_scatter(run)
    assert chart is not None
    labels = [t for tr in _spec(chart)["data"] for t in tr.get("text") or [] if t]
    nm = names(run)
    exposed = [nm.node(n["node"]) for n in run["resilience"]["nodes"] if n["exposed"]]
    assert exposed and sorted(labels) == sorted(exposed)
    assert "Export restriction on energetics hits both fill-charge sources" in labels


def test_deliveries_stack_by_priority_and_count_every_unit() -> None:
    from bastion.report.charts_supply import deliveries_by_customer

    run = {"plan": {"catalogue": {"customers": {"b": {"name": "Bee", "priority": 2},
                                                "a": {"name": "Ay", "priority": 1}}},
                    "targets": [{"customer": "b", "by": "2030-02", "met": False, "shortfall": 5.0,
                                 "priority": 2}]}}
    tables: dict[str, list[dict[str, Any]]] = {"deliveries": [
        {"month": "2030-01", "arrival_month": "2030-01", "customer": "b", "item": "x", "units": 10.0},
        {"month": "2030-01", "arrival_month": "2030-02", "customer": "a", "item": "x", "units": 30.0},
        {"month": "2030-02", "arrival_month": "2030-02", "customer": "b", "item": "x", "units": 5.0}]}
    chart = deliveries_by_customer(run, tables)
    assert chart is not None
    data = _spec(chart)["data"]
    assert [t["name"] for t in data] == ["Ay (priority 1)", "Bee (priority 2)"]
    assert data[0]["y"] == [0.0, 30.0] and data[1]["y"] == [10.0, 15.0]
    assert "Ay 30 (67%), Bee 15 (33%)" in chart.reading
    assert "Bee (priority 2) is 5 short by 2030-02" in chart.reading


def test_supplier_load_is_orders_over_capacity() -> None:
    from bastion.report.charts_supply import supplier_load

    run = {"plan": {"catalogue": {"suppliers": {"s": {"name": "Sup", "capacity": {"x": 200, "y": None}}},
                                  "items": {"x": {"name": "Ex"}}}}}
    tables: dict[str, list[dict[str, Any]]] = {"purchases": [
        {"month": "2030-01", "supplier": "s", "item": "x", "units": 200.0},
        {"month": "2030-02", "supplier": "s", "item": "x", "units": 50.0},
        {"month": "2030-02", "supplier": "s", "item": "y", "units": 999.0}]}
    chart = supplier_load(run, tables)
    assert chart is not None
    (hm,) = _spec(chart)["data"]
    assert hm["y"] == ["Sup: Ex"] and hm["z"] == [[100.0, 25.0]]
    assert "Sup is at its full 200 Ex a month in 1 months from 2030-01" in chart.reading


def test_stock_cover_is_months_of_consumption() -> None:
    from bastion.report.charts_supply import stock_cover

    tables: dict[str, list[dict[str, Any]]] = {"stockpiles": [
        {"month": "2030-01", "customer": "c", "item": "x", "consumption": 100.0, "closing": 600.0},
        {"month": "2030-02", "customer": "c", "item": "x", "consumption": 100.0, "closing": 50.0},
        {"month": "2030-01", "customer": "d", "item": "x", "consumption": 0.0, "closing": 50.0}]}
    chart = stock_cover({}, tables)
    assert chart is not None
    (tr,) = _spec(chart)["data"]
    assert tr["y"] == [6.0, 0.5]
    assert "c down to 0.5 months in 2030-02" in chart.reading
