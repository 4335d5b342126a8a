"""A study from end to end: `prepare` (every variant made and validated, nothing run yet),
then `execute` (the variants as tasks on Dask) returning a `Study`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bastion.scenario.model import Scenario
from bastion.study.engine import Tell, run_tasks
from bastion.study.paths import PathError, get_value
from bastion.study.result import Study, tornado_rankings
from bastion.study.task import DEFAULT_FUTURES, VariantTask
from bastion.study.variants import (
    Document,
    StudyError,
    Variant,
    grid_changes,
    make_variants,
    parse_vary,
    sample_changes,
    tornado_changes,
)


@dataclass(frozen=True)
class Prepared:
    """A study ready to run: every variant validated (and, with skip_invalid, those that are not)."""

    scenario: Scenario
    file: str
    text: str
    seed: int
    paths: int
    mode: str
    spec: dict[str, Any]
    variants: list[Variant]
    invalid: list[dict[str, Any]] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    """Every variant id, valid or not, in the order the variants were made."""


def prepare(scenario: Scenario, file: str, text: str, *, vary: list[str] | None = None, sample: int | None = None,
            tornado: float | None = None, confidence: tuple[float, ...] = (), futures: int = DEFAULT_FUTURES,
            seed: int = 0, paths: int = 2_000, skip_invalid: bool = False) -> Prepared:
    """Make every variant of the request and validate it; raise StudyError naming each problem."""
    vary = list(vary or [])
    if not vary and tornado is None and not confidence:
        raise StudyError(["nothing to vary: give --vary PATH=V1,V2,..., --tornado PCT and/or --confidence P1,P2,..."])
    for level in confidence:
        if not 0 < level < 1:
            raise StudyError([f"--confidence {level:g}: a confidence level is above 0 and below 1"])
    if len(set(confidence)) != len(confidence):
        raise StudyError(["--confidence: the same level is given twice"])
    if futures < 1:
        raise StudyError([f"--futures {futures}: give at least 1 future"])
    if tornado is not None and len(confidence) > 1:
        raise StudyError(["--tornado ranks one set of plans: give it one --confidence level at a time"])
    doc = Document(text, file, is_json=file.lower().endswith(".json"))
    varies = [parse_vary(v) for v in vary]
    paths_given = [v.path for v in varies]
    if len(set(paths_given)) != len(paths_given):
        raise StudyError(["--vary: the same path is given twice"])
    variants: list[Variant] = []
    invalid: list[dict[str, Any]] = []
    problems: list[str] = []
    for v in varies:  # a path missing from the file is one problem, not one per variant
        try:
            get_value(doc.value, v.keys)
        except PathError as error:
            problems.append(f"--vary {v.path}: {error} (so in every variant)")
    if problems:
        raise StudyError(problems)
    if sample is not None and not varies:
        raise StudyError(["--sample N needs --vary PATH=LOW:HIGH ranges"])
    mode = "sample" if sample is not None else "grid" if varies else "tornado" if tornado is not None else "confidence"

    order: list[str] = []

    def add(made: tuple[list[Variant], list[dict[str, Any]]]) -> None:
        variants.extend(made[0])
        invalid.extend(made[1])
        order.extend(sorted([v.id for v in made[0]] + [b["id"] for b in made[1]]))  # ids are zero-padded

    try:
        if varies:
            if sample is not None:
                if sample < 1:
                    raise StudyError([f"--sample {sample}: give at least 1 point"])
                add(make_variants(doc, sample_changes(varies, sample, seed), "sample", seed, confidence,
                                  skip_invalid=skip_invalid))
            else:
                add(make_variants(doc, grid_changes(varies), "grid", seed, confidence, skip_invalid=skip_invalid))
        elif tornado is None:  # --confidence alone: the file as it is, at each level
            add(make_variants(doc, [{}], "confidence", seed, confidence))
    except StudyError as error:
        problems.extend(error.problems)
    if tornado is not None:
        try:
            changes, meta = tornado_changes(doc, scenario, tornado)
            if not changes:
                raise StudyError([f"--tornado: no capacity, lead time, rate or duration range in {file} "
                                  f"changes when moved by {tornado:g}%"])
            add(make_variants(doc, [{}], "base", seed, confidence, prefix="base"))
            add(make_variants(doc, changes, "tornado", seed, confidence, skip_invalid=skip_invalid,
                              prefix="t", meta=meta))
        except StudyError as error:
            problems.extend(error.problems)
    if problems:
        raise StudyError(problems)
    spec = {"vary": vary, "sample": sample, "tornado": tornado, "confidence": list(confidence),
            "futures": futures if confidence else None, "skip_invalid": skip_invalid}
    return Prepared(scenario, file, text, seed, paths, mode, spec, variants, invalid, order)


def execute(prepared: Prepared, *, study_id: str, scheduler: str | None = None, workers: int | None = None,
            tell: Tell | None = None, versions: dict[str, str] | None = None, client: Any = None) -> Study:
    """Run every valid variant (plan + simulate, one Dask task each) and gather the study
    (on `client` when given: an open Dask client, left open)."""
    from bastion.store.record import package_versions, scenario_hash

    t0 = time.perf_counter()
    futures = int(prepared.spec.get("futures") or DEFAULT_FUTURES)
    tasks = [VariantTask(v.id, v.text, v.seed, prepared.paths, v.confidence, futures) for v in prepared.variants]
    results = {r["id"]: r for r in run_tasks(tasks, scheduler=scheduler, workers=workers, tell=tell, client=client)}
    rows: list[dict[str, Any]] = []
    for v in prepared.variants:
        r = results[v.id]
        row = {"id": v.id, "kind": v.kind, "changes": v.changes, "confidence": v.confidence, "seed": v.seed,
               "status": r["status"], "message": r.get("message"), "plan": r.get("plan"),
               "simulate": r.get("simulate"), "timings": r.get("timings") or {},
               "plan_full": r.get("plan_full"), "simulate_full": r.get("simulate_full"),
               "text": v.text}
        if v.confidence is not None:
            row["confidence_plan"] = r.get("confidence_plan")
        if v.meta:
            row["meta"] = v.meta
        rows.append(row)
    for bad in prepared.invalid:
        rows.append({**bad, "status": "invalid", "plan": None, "simulate": None, "timings": {},
                     "plan_full": None, "simulate_full": None, "text": None})
    position = {vid: i for i, vid in enumerate(prepared.order)}
    rows.sort(key=lambda r: position.get(r["id"], len(position)))
    tornado = None
    if prepared.spec.get("tornado") is not None:
        base = next((r for r in rows if r["kind"] == "base"), None)
        tornado = tornado_rankings(base, [r for r in rows if r["kind"] == "tornado"],
                                   float(prepared.spec["tornado"]))
    s = prepared.scenario
    return Study(
        study_id=study_id, scenario=s.name, scenario_file=prepared.file, scenario_text=prepared.text,
        scenario_hash=scenario_hash(prepared.text), classification=s.marking(), currency=s.currency,
        seed=prepared.seed, paths=prepared.paths, mode=prepared.mode, spec=prepared.spec,
        versions=versions if versions is not None else package_versions(), variants=rows, tornado=tornado,
        timings={"total": time.perf_counter() - t0},
    )
