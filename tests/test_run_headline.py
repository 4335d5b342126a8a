"""The `bastion run` headline on the terminal: money at its size in the scenario's currency, and
"most exposed" only when a node is exposed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bastion.cli.common import console
from bastion.cli.run_view import money_text, render_headline
from bastion.run import Run, execute, headline

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "examples" / "minimal.yaml"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (63_375, "63,375 EUR"),
        (0, "0 EUR"),
        (999_999.4, "999,999 EUR"),
        (1_000_000, "1.0 M EUR"),
        (12_345_678, "12.3 M EUR"),
        (2_500_000_000, "2.50 bn EUR"),
        (None, "n/a"),
    ],
)
def test_money_scales_to_its_size(value: float | None, text: str) -> None:
    assert money_text(value, "EUR") == text


def _text(run: Run, head: dict[str, Any]) -> str:
    out = console()
    with out.capture() as captured:
        render_headline(run, head, "r1", Path("report.html"), out)
    return " ".join(captured.get().split())


def test_a_small_scenario_headline(tmp_path: Path) -> None:
    scenario = tmp_path / "nok.yaml"
    scenario.write_text(MINIMAL.read_text("utf-8").replace("horizon:", 'currency: "NOK"\nhorizon:', 1), "utf-8")
    run = execute(scenario, paths=100, seed=0)
    head = headline(run)
    assert round(head["total_cost"]) == 63_375  # docs/tutorial.md: 17,800 + 17,800 + 22,000 + 5,775
    text = _text(run, head)
    assert "Cost: total 63,375 NOK (learning-adjusted), capex 0 NOK" in text
    assert "at 63,375 NOK" in text and "0.1 M" not in text and "EUR" not in text
    assert head["exposed_nodes"] == 0 and "worst_node" not in head
    assert "Most exposed" not in text
    assert f"no node exposed (time to survive >= time to recover for all {head['nodes']} nodes)" in text


class _Fixed:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def to_json(self) -> dict[str, Any]:
        return self.data


def test_most_exposed_is_chosen_among_the_exposed_nodes() -> None:
    run = execute(MINIMAL, paths=50, seed=0, stages=("plan",))
    nodes = [
        {"node": "calm", "kind": "supplier", "ttr_months": 2, "tts_months": 5, "risk_exposure_index": 0.9,
         "exposed": False},
        {"node": "line-x", "kind": "line", "ttr_months": 6, "tts_months": 1.5, "risk_exposure_index": 0.4,
         "exposed": True},
        {"node": "site-y", "kind": "site", "ttr_months": 3, "tts_months": 2, "risk_exposure_index": 0.2,
         "exposed": True},
    ]
    run.results["resilience"] = _Fixed({"nodes": nodes})
    head = headline(run)
    assert (head["worst_node"], head["exposed_nodes"], head["nodes"]) == ("line-x", 2, 3)
    text = _text(run, head)
    assert "Most exposed node: line-x (line; survives 1.5 months, needs 6 to recover); 2 of 3 nodes" in text


def test_headline_reads_in_names_without_jargon(tmp_path: Path) -> None:
    """Names where the scenario gives them, no "JCL" or "TTS < TTR", and "met in plan" beside a low
    P(met) explained (issue 13: names, not codes; no jargon)."""
    text = MINIMAL.read_text("utf-8").replace("  lv:\n    country: LV", '  lv:\n    name: "Latvia (test)"\n'
                                              "    country: LV", 1)
    text = text.replace("  parts-lv:\n", '  parts-lv:\n    name: "Parts works (LV)"\n', 1)
    scenario = tmp_path / "named.yaml"
    scenario.write_text(text, "utf-8")
    run = execute(scenario, paths=50, seed=0, stages=("plan",))
    run.results["resilience"] = _Fixed({"nodes": [
        {"node": "parts-lv", "kind": "supplier", "ttr_months": 3, "tts_months": 1, "risk_exposure_index": 1.0,
         "exposed": True}]})
    head = headline(run)
    head["targets"][0]["probability"] = 0.2
    head["jcl_by_target"] = [{"customer": "lv", "item": "unit-a", "by": "2027-12", "p70_month": None,
                              "p70_cost": None}]
    shown = _text(run, head)
    assert "│ Latvia" in shown and "│ End item," in shown and "unit-a" not in shown and "│ lv " not in shown
    assert "Met in the plan is not the same as likely" in shown
    assert "Latvia (test), End item, generic by 2027-12: fewer than 70% of the futures reach it" in shown
    assert ("Most exposed node: Parts works (LV) (supplier; survives 1 months, needs 3 to recover); 1 of 1 nodes "
            "lose supply if they fail (time to survive shorter than time to recover)") in shown
    assert "JCL" not in shown and "TTS < TTR" not in shown and "parts-lv" not in shown
