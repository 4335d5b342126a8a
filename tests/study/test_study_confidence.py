"""`bastion study --confidence`: the confidence plan per variant, its price, the curve (issue 16).

The scenario is issue 15's hand case (a) (tests/plan/test_confidence_hand.py): one line of 100
a month with Poisson outages (1 a year, 1 month each), sized exactly to a 1,200-unit target at
month 12 (P(met) = exp(-1) = 0.37 without help), and an optional second line with a capex of
50,000: at 25 % it is not built, at 90 % it is, and the plan validates at >= 90 %.
"""

from __future__ import annotations

import csv
import io
import json
import math
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.plan.test_confidence_hand import case
from tests.report.pagehtml import Page

from bastion.plan.confidence import plan_at_confidence
from bastion.scenario.load import load_text
from bastion.study.charts import price_charts, response_charts
from bastion.study.task import VariantTask, run_variant

from .conftest import comparable, invoke

FUTURES, PATHS, SEED = "40", "2000", "1"
TARGET = "army shell 2026-12"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning",
                                        "ignore::pytest.PytestUnraisableExceptionWarning")


def _study(file: Path, workers: str, out: Path | None = None) -> tuple[int, dict[str, Any], str]:
    """The study of `file` at 25 % and 90 %; with `out`, its files there and stored in out/../home."""
    args = ["study", str(file), "--confidence", "0.25,0.9", "--futures", FUTURES, "--paths", PATHS,
            "--seed", SEED, "--workers", workers, "--json"]
    env = None
    if out is not None:
        args += ["--out", str(out)]
        env = {"BASTION_HOME": str(out.parent / "home"), "BASTION_DATABASE_URL": ""}
    else:
        args.append("--no-store")
    result = invoke(args, env=env)
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}, result.stderr


@pytest.fixture(scope="module")
def hand_a(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    """Case (a) with the optional line, studied at 25 % and 90 % on one worker (files under out/)."""
    folder = tmp_path_factory.mktemp("conf")
    file = folder / "case-a.yaml"
    file.write_text(textwrap.dedent(case(optional=True)), encoding="utf-8")
    code, data, err = _study(file, "1", folder / "out")
    assert code == 0, err
    return file, data, folder / "out"


def _built(variant: dict[str, Any]) -> dict[str, bool]:
    return {ln["line"]: ln["built"] for ln in variant["confidence_plan"]["first_stage"]["lines"]}


def test_the_optional_line_is_built_at_90_percent_only_and_validates(
        hand_a: tuple[Path, dict[str, Any], Path]) -> None:
    _, data, _ = hand_a
    assert data["mode"] == "confidence" and data["spec"]["futures"] == 40 and data["status"] == "complete"
    low, high = data["variants"]
    assert (low["confidence"], high["confidence"]) == (0.25, 0.9)
    assert _built(low) == {"line-1": True, "line-2": False}
    assert _built(high) == {"line-1": True, "line-2": True}
    t_low, t_high = low["confidence_plan"]["targets"][0], high["confidence_plan"]["targets"][0]
    assert t_low["reached"] and t_high["reached"]
    assert t_high["validated"]["probability"] >= 0.9
    assert t_high["validated"] == {**t_high["validated"], "paths": 2000, "seed": high["seed"] + 1}
    # without help (and at 25 %, which the deterministic plan already gives): exp(-1), within 3 stderr
    for t in (t_low, t_high):
        assert t["deterministic_probability"] == pytest.approx(math.exp(-1), abs=3 * 0.0108)
    assert t_low["validated"]["probability"] == pytest.approx(math.exp(-1), abs=3 * 0.0108)
    p_low, p_high = low["confidence_plan"]["price"], high["confidence_plan"]["price"]
    assert p_low["difference"] == 0.0 and p_high["difference"] == 50_000.0
    assert p_high["by_kind"]["capex"] == 50_000.0 and "line-2 built" in p_high["text"]
    assert high["plan"]["cost"]["total"] > low["plan"]["cost"]["total"]
    assert high["plan"]["cost"]["total"] == p_high["cost"]
    # the variant's own simulation (its seed, not the validation's) agrees within the errors
    sim = high["simulate"]["targets"][0]
    assert high["simulate"]["seed"] == high["seed"] and sim["probability"] >= 0.9 - 3 * sim["stderr"]


def test_a_variant_is_the_confidence_plan_with_its_seed_and_the_study_paths(
        hand_a: tuple[Path, dict[str, Any], Path]) -> None:
    file, data, _ = hand_a
    high = data["variants"][1]
    conf = plan_at_confidence(load_text(file.read_text(), str(file)), 0.9, futures=40, seed=high["seed"],
                              paths=2000)
    expected = conf.confidence_json()
    expected.pop("seconds")
    assert high["confidence_plan"] == json.loads(json.dumps(expected))
    plan = json.loads(json.dumps(conf.to_json()))
    for key in ("status", "objective", "first_output", "cost", "targets", "short"):
        assert high["plan"][key] == plan[key], key


def test_one_and_two_workers_give_the_same_confidence_study(
        hand_a: tuple[Path, dict[str, Any], Path]) -> None:
    file, data, _ = hand_a
    code, two, err = _study(file, "2")
    assert code == 0, err
    assert comparable(two) == comparable(data)


def test_the_curve_is_in_the_report_and_says_what_each_step_buys(
        hand_a: tuple[Path, dict[str, Any], Path]) -> None:
    _, data, out = hand_a
    page = (out / "study.html").read_text()
    doc = Page(page)
    assert "section-price" in doc.ids and sorted(doc.charts) == ["chart-price-0"]
    traces = doc.charts["chart-price-0"]["data"]
    assert [t["name"] for t in traces] == [TARGET]  # one line per target, through the levels
    low, high = data["variants"]
    (t,) = traces
    assert t["text"] == ["deterministic", "P = 25%", "P = 90%"]
    assert t["y"] == [12_000.0, low["plan"]["cost"]["total"], high["plan"]["cost"]["total"]] == [12_000, 12_000, 62_000]
    assert t["x"][2] == pytest.approx(100 * high["confidence_plan"]["targets"][0]["validated"]["probability"])
    assert [s["x0"] for s in doc.charts["chart-price-0"]["layout"]["shapes"]] == [25.0, 90.0]
    reading = price_charts(data)[0].reading
    assert "At 25%: 12,000 EUR (+0 EUR over the deterministic plan)" in reading
    assert "At 90%: 62,000 EUR (+50,000 EUR over 25%)" in reading
    assert "against the deterministic plan +50,000 EUR: line-2 built" in reading
    assert "Price of confidence" in doc.text_of.get("headline", "")


def test_the_files_carry_the_validated_probability_and_the_price(
        hand_a: tuple[Path, dict[str, Any], Path]) -> None:
    from openpyxl import load_workbook

    _, data, out = hand_a
    rows = list(csv.DictReader(io.StringIO((out / "variants.csv").read_text())))
    assert [r["confidence"] for r in rows] == ["0.25", "0.9"]
    assert [r["price of confidence"] for r in rows] == ["0.0", "50000.0"]
    high = data["variants"][1]["confidence_plan"]["targets"][0]
    assert float(rows[1][f"{TARGET}: validated P(met)"]) == high["validated"]["probability"]
    assert rows[1][f"{TARGET}: reached"] == "True" and "line-2 built" in rows[1]["what it buys"]
    assert json.loads((out / "study.json").read_text())["variants"][1]["confidence_plan"]["price"]["cost"] == 62_000
    sheet = load_workbook(out / "study.xlsx")["variants"]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in cells if r and "variant" in r)
    assert f"{TARGET}: validated P(met)" in " ".join(str(h) for h in header)


def test_a_member_run_stores_its_confidence_beside_its_plan(hand_a: tuple[Path, dict[str, Any], Path]) -> None:
    _, data, out = hand_a
    env = {"BASTION_HOME": str(out.parent / "home"), "BASTION_DATABASE_URL": ""}
    stored = json.loads(invoke(["runs", "show", data["study_id"], "--json"], env=env).stdout)
    member = stored["members"][1]
    assert member["variant"] == "v2"
    run = json.loads(invoke(["runs", "show", member["run_id"], "--json"], env=env).stdout)
    assert run["confidence"] == data["variants"][1]["confidence_plan"]
    assert run["plan"]["confidence"]["price"]["difference"] == 50_000.0


def test_an_unreachable_level_is_an_answer_with_its_best_probability() -> None:
    text = json.dumps(yaml.safe_load(case()))
    out = run_variant(VariantTask("v1", text, seed=5, paths=2000, confidence=0.9, futures=20))
    assert out["status"] == "short" and out["plan"]["short"]
    (t,) = out["confidence_plan"]["targets"]
    assert not t["reached"] and t["best_reachable"] == pytest.approx(math.exp(-1), abs=0.04)
    assert out["simulate"]["targets"][0]["probability"] == pytest.approx(math.exp(-1), abs=0.04)


def _variant(vid: str, level: float | None, value: int, p: float, cost: float) -> dict[str, Any]:
    target = {"customer": "c", "item": "i", "by": "2030-12"}
    return {"id": vid, "kind": "grid", "status": "ok", "confidence": level, "changes": {"a.b": value},
            "plan": {"cost": {"total": cost}, "first_output": "2027-01", "targets": [{**target, "planned_units": 1}]},
            "simulate": {"targets": [{**target, "probability": p, "stderr": 0.01}]},
            "confidence_plan": None if level is None else {
                "targets": [{**target, "requested": level, "reached": p >= level - 0.01,
                             "validated": {"probability": p, "stderr": 0.01}, "deterministic_probability": 0.3}],
                "price": {"deterministic_cost": 100.0, "cost": cost, "difference": cost - 100.0,
                          "text": f"+EUR {cost - 100:,.0f}: something"}}}


def test_a_grid_with_levels_charts_each_level_and_a_curve_per_set_of_changes() -> None:
    variants = [_variant("v1", 0.7, 1, 0.72, 150.0), _variant("v2", 0.9, 1, 0.85, 300.0),
                _variant("v3", 0.7, 2, 0.71, 120.0), _variant("v4", 0.9, 2, 0.91, 200.0)]
    study = {"mode": "grid", "currency": "EUR", "variants": variants}
    titles = [c.title for c in response_charts(study)]
    assert titles == ["P(target met) against a.b (at confidence 70%)", "Plan cost against a.b (at confidence 70%)",
                      "P(target met) against a.b (at confidence 90%)", "Plan cost against a.b (at confidence 90%)"]
    curves = price_charts(study)
    assert [c.title for c in curves] == ["Price of confidence (a.b=1)", "Price of confidence (a.b=2)"]
    first = json.loads(curves[0].figure_json)["data"][0]
    assert first["x"] == [30.0, 72.0, 85.0] and first["y"] == [100.0, 150.0, 300.0]
    assert "(+150 EUR over 70%)" in curves[0].reading and "(not reached: c i 2030-12)" in curves[0].reading
    assert "not reached" not in curves[1].reading


@pytest.mark.parametrize(("args", "message"), [
    (["--confidence", "0.9,0.9"], "the same level is given twice"),
    (["--confidence", "0.9", "--futures", "0"], "--futures"),
    (["--confidence", "1"], "a confidence level is above 0 and below 1"),
    (["--confidence", "0.7,0.9", "--tornado", "20"], "one --confidence level at a time"),
])
def test_bad_confidence_options_stop_before_anything_runs(tmp_path: Path, args: list[str], message: str) -> None:
    file = tmp_path / "case-a.yaml"
    file.write_text(textwrap.dedent(case(optional=True)), encoding="utf-8")
    result = invoke(["study", str(file), *args, "--no-store", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "out").exists()
