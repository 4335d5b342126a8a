"""Variants: dotted paths, values, grid order, Latin hypercube, seeds, validation, tornado moves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.scenario.load import load_scenario
from bastion.study import Prepared, StudyError, prepare
from bastion.study.paths import PathError, get_value, parse_path, parse_value, set_value
from bastion.study.variants import latin_hypercube, tornado_parameters, variant_seed

from .conftest import BINDING


def _prepare(path: Path, **kw: Any) -> Prepared:
    return prepare(load_scenario(path), str(path), path.read_text(), **kw)


def test_paths_parse_into_keys_and_indices() -> None:
    assert parse_path("customers.lt-af.targets[0].units") == ("customers", "lt-af", "targets", 0, "units")
    assert parse_path("budget.capex_per_year.2028") == ("budget", "capex_per_year", "2028")
    for bad in ("", "a..b", "[0]", "a.b[x]", "a[0]b"):
        with pytest.raises(PathError):
            parse_path(bad)


def test_get_and_set_follow_the_document_and_copy_it() -> None:
    doc: dict[str, Any] = {"budget": {"capex_per_year": {2028: 5.0}}, "xs": [{"u": 1}]}
    assert get_value(doc, parse_path("budget.capex_per_year.2028")) == 5.0  # int key named by digits
    new = set_value(doc, parse_path("xs[0].u"), 7)
    assert new["xs"][0]["u"] == 7 and doc["xs"][0]["u"] == 1
    with pytest.raises(PathError, match="xs is a list of 1"):
        get_value(doc, parse_path("xs[3].u"))
    with pytest.raises(PathError, match="no key 'nope'"):
        set_value(doc, parse_path("budget.nope"), 1)


def test_values_are_typed_as_written() -> None:
    assert [parse_value(v) for v in ("800", "1e6", "0.5", "true", "null", "2027-03", "1_000")] == [
        800, 1e6, 0.5, True, None, "2027-03", 1000]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), dims=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_latin_hypercube_has_one_point_in_each_stratum(n: int, dims: int, seed: int) -> None:
    u = latin_hypercube(n, dims, seed)
    assert u.shape == (n, dims)
    for d in range(dims):
        assert sorted(np.floor(u[:, d] * n).astype(int).tolist()) == list(range(n))
    assert np.array_equal(u, latin_hypercube(n, dims, seed))


def test_a_variants_seed_depends_on_the_study_seed_and_its_content_only() -> None:
    a = variant_seed(7, {"x.y": 800})
    assert a == variant_seed(7, {"x.y": 800})
    assert len({a, variant_seed(8, {"x.y": 800}), variant_seed(7, {"x.y": 801}),
                variant_seed(7, {"x.y": 800}, 0.9)}) == 4


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(-10**6, 10**6), st.sampled_from([None, 0.5, 0.9]))
def test_a_variants_seed_and_its_validation_seed_are_valid_cli_seeds(study: int, value: int,
                                                                   level: float | None) -> None:
    from bastion.cli.common import SEED_MAX

    seed = variant_seed(study, {"x.y": value}, level)
    assert seed >= 0 and seed + 1 <= SEED_MAX  # `bastion simulate --seed` repeats it by hand


def test_grid_crosses_values_first_vary_slowest(binding: Path) -> None:
    p = _prepare(binding, vary=["suppliers.parts-lv.supplies.part-b.capacity_per_month=160,200,240",
                                "sites.plant.lines.line-1.capacity_per_month=100,150"])
    got = [(v.id, list(v.changes.values())) for v in p.variants]
    assert got == [("v1", [160, 100]), ("v2", [160, 150]), ("v3", [200, 100]), ("v4", [200, 150]),
                   ("v5", [240, 100]), ("v6", [240, 150])]
    doc = json.loads(p.variants[3].text)
    assert doc["suppliers"]["parts-lv"]["supplies"]["part-b"]["capacity_per_month"] == 200
    assert doc["sites"]["plant"]["lines"]["line-1"]["capacity_per_month"] == 150


def test_sample_draws_latin_hypercube_points_in_the_ranges(binding: Path) -> None:
    p = _prepare(binding, vary=["suppliers.parts-lv.supplies.part-b.capacity_per_month=100.0:300.0",
                                "suppliers.parts-lv.supplies.part-b.lead_time_months=0:3"], sample=8, seed=5)
    caps = [v.changes["suppliers.parts-lv.supplies.part-b.capacity_per_month"] for v in p.variants]
    leads = [v.changes["suppliers.parts-lv.supplies.part-b.lead_time_months"] for v in p.variants]
    assert sorted(int((c - 100) // 25) for c in caps) == list(range(8))
    assert all(isinstance(x, int) and 0 <= x <= 3 for x in leads)  # whole-number range: whole numbers


@pytest.mark.parametrize(("vary", "needle"), [
    (["suppliers.parts-lv.supplies.part-x.capacity_per_month=1,2"],
     "--vary suppliers.parts-lv.supplies.part-x.capacity_per_month: suppliers.parts-lv.supplies has no key "
     "'part-x' (it has: part-b) (so in every variant)"),
    (["suppliers.parts-lv.supplies.part-b.capacity_per_month=100,-5"], "variant v2 (suppliers.parts-lv"),
    (["customers.lv.targets[3].units=5"], "targets is a list of 1"),
])
def test_a_bad_path_or_value_names_the_variant(binding: Path, vary: list[str], needle: str) -> None:
    with pytest.raises(StudyError) as info:
        _prepare(binding, vary=vary)
    assert needle in str(info.value)


def test_skip_invalid_keeps_the_valid_variants_and_lists_the_others(binding: Path) -> None:
    p = _prepare(binding, vary=["suppliers.parts-lv.supplies.part-b.capacity_per_month=100,-5,300"],
                 skip_invalid=True)
    assert [v.id for v in p.variants] == ["v1", "v3"]
    assert [b["id"] for b in p.invalid] == ["v2"]
    assert "capacity_per_month" in p.invalid[0]["message"]


def test_tornado_moves_each_written_parameter_down_and_up(binding: Path) -> None:
    scenario = load_scenario(binding)
    kinds = dict(tornado_parameters(scenario))
    assert kinds["suppliers.parts-lv.supplies.part-b.lead_time_months"] == "lead time"
    assert kinds["sites.plant.lines.line-1.outage.recovery_months"] == "duration range"
    p = _prepare(binding, tornado=20)
    moves = {(v.meta["parameter"], v.meta["direction"]): next(iter(v.changes.values()))
             for v in p.variants if v.kind == "tornado"}
    assert moves[("suppliers.parts-lv.supplies.part-b.capacity_per_month", "-")] == 160
    assert moves[("sites.plant.lines.line-1.outage.recovery_months", "+")] == [0.24, 0.6, 1.2]
    # a 1-month lead time moved by 20 % rounds back to 1 month: left out
    assert not any(k[0].endswith("lead_time_months") for k in moves)
    assert [v.id for v in p.variants][:1] == ["base"]


def test_nothing_to_vary_is_an_error(binding: Path) -> None:
    with pytest.raises(StudyError, match="nothing to vary"):
        _prepare(binding, vary=[])


def test_the_scenario_text_is_unchanged_by_a_study(binding: Path) -> None:
    _prepare(binding, vary=["sites.plant.lines.line-1.capacity_per_month=1,2"])
    assert binding.read_text() == BINDING


def test_the_readme_example_makes_nine_valid_variants_of_the_reference(reference_path: Path) -> None:
    p = _prepare(reference_path, vary=[
        "suppliers.fuze-works-de.supplies.fuze-assy.capacity_per_month=800,1000,1300",
        "budget.capex_per_year.2028=10e6,20e6,30e6"])
    assert len(p.variants) == 9
    doc = json.loads(p.variants[8].text)
    assert doc["suppliers"]["fuze-works-de"]["supplies"]["fuze-assy"]["capacity_per_month"] == 1300
    assert doc["budget"]["capex_per_year"]["2028"] == 30e6
