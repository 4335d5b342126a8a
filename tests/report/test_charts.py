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
    notes = _spec(chart)["layout"]["annotations"]
    nm = names(run)
    exposed = [n for n in sorted(run["resilience"]["nodes"], key=lambda n: -n["risk_exposure_index"])
               if n["exposed"]]
    assert exposed and [a["text"] for a in notes] == [f"<b>{k}</b>" for k in range(1, len(exposed) + 1)]
    assert [(a["x"], a["y"]) for a in notes] == [(n["ttr_months"], n["tts_months"]) for n in exposed]
    for k, n in enumerate(exposed, start=1):
        assert f"{k} {nm.node(n['node'])} (TTS {n['tts_months']}, TTR {n['ttr_months']} months)" in chart.reading
    assert "1 Export restriction on energetics hits both fill-charge sources" in chart.reading


def test_gantt_reading_shows_side_by_side_tasks(run: dict[str, Any]) -> None:
    from bastion.report.charts import gantt

    run["schedule"]["critical_steps"] = [["a"], ["b", "c"], ["d"]]
    chart = gantt(run)
    assert chart is not None
    assert "the critical path runs a → (b ∥ c) → d (∥: side by side, both critical)." in chart.reading
    del run["schedule"]["critical_steps"]  # an older run: its critical path, one task a step
    run["schedule"]["critical_path"] = ["a", "b"]
    chart = gantt(run)
    assert chart is not None and "runs a → b (" in chart.reading


def test_long_titles_wrap_and_jcl_share_matches_the_answer(run: dict[str, Any]) -> None:
    from bastion.report.answer import answers
    from bastion.report.charts import TITLE_CHARS, title_lines
    from bastion.report.content import headline

    title = "Stockpile of Anti-tank mine, generic at Latvian armed forces (illustrative) against targets"
    lines = title_lines(title)
    assert " ".join(lines) == title and len(lines) == 2 and all(len(x) <= TITLE_CHARS for x in lines)
    run["economics"]["jcl"].update({"p70_month": None, "reached_share": 0.0012})
    [box] = [h for h in headline(run) if h.label == "70% joint confidence (JCL)"]
    assert box.detail.startswith("0.1% of the ")
    assert any("only 0.1% of the futures meet every target" in p for a in answers(run) for p in a.points)
