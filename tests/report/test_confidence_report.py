"""The report of a run planned at a confidence: the price in the headline and one chart."""

from __future__ import annotations

import json
from typing import Any

from bastion.report.charts import price_of_confidence
from bastion.report.content import headline


def _run(reached: bool) -> dict[str, Any]:
    target = {"customer": "army", "item": "shell", "by": "2026-12", "requested": 0.9,
              "deterministic_probability": 0.368, "reached": reached,
              "validated": {"probability": 0.95 if reached else 0.37, "stderr": 0.002,
                            "paths": 10000, "seed": 1}}
    free = dict(target, by="2027-12", requested=None)
    return {"scenario": {"currency": "EUR"}, "confidence": {
        "targets": [target, free],
        "price": {"difference": 50000.0, "text": "+50,000 EUR: line-2 built 2026-01 instead of "
                                                  "not at all"}}}


def test_the_headline_says_the_price_of_confidence() -> None:
    [box] = [h for h in headline(_run(True)) if h.label == "Price of confidence"]
    assert box.value.startswith("+50,000") and box.detail.startswith("+50,000 EUR: line-2 built")
    assert box.tone == ""
    [short] = [h for h in headline(_run(False)) if h.label == "Price of confidence"]
    assert short.tone == "warn"


def test_the_chart_sets_each_target_against_its_confidence() -> None:
    chart = price_of_confidence(_run(True))
    assert chart is not None
    assert chart.reading.startswith("1 of 1 targets reach their confidence. Price of confidence: "
                                    "+50,000 EUR")
    data = json.loads(chart.figure_json)["data"]
    by_name = {t["name"]: t["y"] for t in data}
    assert by_name["deterministic plan"] == [36.8] and by_name["plan at the confidence"] == [95.0]
    assert by_name["confidence asked"] == [90.0]


def test_no_chart_and_no_headline_without_a_confidence() -> None:
    run: dict[str, Any] = {"scenario": {"currency": "EUR"}}
    assert price_of_confidence(run) is None
    assert not [h for h in headline(run) if h.label == "Price of confidence"]


def test_a_target_short_of_its_confidence_is_reported_with_its_reason() -> None:
    """The confidence section's note and the workbook's table say why a target is short."""
    from bastion.report.content import derived_tables
    from bastion.report.html import sections

    run = _run(False)
    run["confidence"]["targets"][0]["binds"] = "what binds: outages; no unit buffer reaches it"
    [conf] = [s for s in sections(run, {}) if s.id == "confidence"]
    assert conf.notes == ["Short of 90%: army shell by 2026-12 (37.0%): what binds: outages; "
                          "no unit buffer reaches it"]
    [row] = derived_tables(run)["confidence_targets"]  # the target without a confidence is not listed
    assert row["why_short"].endswith("no unit buffer reaches it") and row["reached"] is False
    assert row["deterministic_probability"] == 0.368 and row["probability"] == 0.37
    reached = _run(True)
    assert [s.notes for s in sections(reached, {}) if s.id == "confidence"] == [[]]
    assert "confidence_targets" not in derived_tables({"scenario": {"currency": "EUR"}})
