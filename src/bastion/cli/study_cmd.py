"""`bastion study FILE --vary PATH=V1,V2,... [--grid|--sample N] [--tornado PCT] [--confidence P1,...]`
(docs/study.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bastion.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_SHORT,
    PATHS_MAX,
    SEED_MAX,
    console,
    fail,
    load_or_exit,
    print_json,
)
from bastion.cli.output import FORCE_HELP, check_out_or_exit, write_files
from bastion.xlsxio import is_workbook_name

if TYPE_CHECKING:
    from bastion.store import RunRecord
    from bastion.store.studies import StudyRecord
    from bastion.study import Study


def _levels(text: str | None) -> tuple[float, ...]:
    if not text:
        return ()
    try:
        return tuple(float(p) for p in text.split(","))
    except ValueError:
        fail(f"--confidence {text!r}: expected levels such as 0.7,0.9,0.95", EXIT_INVALID)


def records(study: Study) -> tuple[StudyRecord, list[RunRecord]]:
    """The study's store record and one member run per variant that has a plan."""
    from datetime import UTC, datetime

    from bastion.store import RunRecord
    from bastion.store.studies import Member, StudyRecord

    now = datetime.now(UTC)
    runs: list[RunRecord] = []
    members: list[Member] = []
    for v in study.variants:
        run_id = None
        if v.get("plan_full") is not None and v.get("text"):
            results = {"plan": v["plan_full"]}
            if v.get("confidence_plan") is not None:  # beside `plan`, as `bastion run --confidence` stores it
                results["confidence"] = v["confidence_plan"]
            if v.get("simulate_full") is not None:
                results["simulate"] = v["simulate_full"]
            run = RunRecord.new(
                scenario_name=study.scenario, scenario_file=f"{study.scenario_file}#{v['id']}",
                scenario_text=v["text"], seed=int(v["seed"]), paths=study.paths, status=v["status"],
                headline=_headline(study, v), results=results,
                timings={k: float(x) for k, x in (v.get("timings") or {}).items() if isinstance(x, int | float)},
                versions=study.versions, created_at=now,
            )
            runs.append(run)
            run_id = run.run_id
        members.append(Member(v["id"], v["status"], run_id))
    record = StudyRecord(
        study_id=study.study_id, created_at=now, scenario_name=study.scenario, scenario_file=study.scenario_file,
        scenario_text=study.scenario_text, scenario_hash=study.scenario_hash, seed=study.seed, paths=study.paths,
        versions=study.versions, spec=study.spec, status=study.status, data=study.to_json(), members=members,
    )
    return record, runs


def _headline(study: Study, v: dict[str, Any]) -> dict[str, Any]:
    plan = v.get("plan") or {}
    sim = {(t["customer"], t["item"], t["by"]): t for t in ((v.get("simulate") or {}).get("targets") or [])}
    out = {
        "status": v["status"], "study_id": study.study_id, "variant": v["id"], "changes": v["changes"],
        "plan_cost": (plan.get("cost") or {}).get("total"), "plan_first_output": plan.get("first_output"),
        "targets": [{"customer": t["customer"], "item": t["item"], "by": t["by"], "units": t["units"],
                     "planned_units": t.get("planned_units"), "met_in_plan": t.get("met"),
                     "probability": sim.get((t["customer"], t["item"], t["by"]), {}).get("probability")}
                    for t in plan.get("targets") or []],
    }
    conf = v.get("confidence_plan")
    if conf:  # as a run's headline with --confidence (bastion.run.headline)
        out["confidence"] = v.get("confidence")
        out["price_of_confidence"] = conf["price"]["text"]
        out["confidence_targets"] = [
            {k: t[k] for k in ("customer", "item", "by", "requested", "deterministic_probability", "reached")}
            | {"probability": (t.get("validated") or {}).get("probability")}
            for t in conf["targets"]]
    return out


def study(
    file: Path = typer.Argument(..., help="Scenario file (YAML, JSON or .xlsx)."),
    vary: list[str] = typer.Option([], "--vary", help="PATH=V1,V2,... (or PATH=LOW:HIGH with --sample); repeatable."),
    grid: bool = typer.Option(False, "--grid", help="Cross the --vary values (the default)."),
    sample: int | None = typer.Option(None, "--sample", min=1, help="Draw N Latin-hypercube points of the ranges."),
    confidence: str | None = typer.Option(None, "--confidence", help="Confidence levels P1,P2,...: each variant "
                                          "is planned at each level (the confidence plan)."),
    futures: int = typer.Option(200, "--futures", min=1, help="Sampled futures the confidence plan plans "
                                "against (with --confidence)."),
    tornado: float | None = typer.Option(None, "--tornado", help="Move each capacity, lead time, rate and "
                                         "duration range by -PCT and +PCT, one at a time."),
    paths: int = typer.Option(2_000, "--paths", min=1, max=PATHS_MAX, help="Monte-Carlo paths per variant."),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help="Study seed (each variant's derives from it)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 "
                                         "(default: a local cluster)."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Local cluster processes (default: all cores)."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Report invalid variants and run the rest "
                                      "(exit 3) instead of stopping before anything runs (exit 2)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    out: Path | None = typer.Option(None, "--out", help="Write study.json, variants.csv, study.xlsx, study.html here."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    store: bool = typer.Option(True, "--store/--no-store", help="Keep the study and its runs in the run store."),
    db: str | None = typer.Option(None, "--db", help="Run store URL (see `bastion runs --help`)."),
) -> None:
    """Run many variants of a scenario (plan + simulate each) on Dask, side by side.

    Exit 0 when every variant gave an answer (ok or short), 3 when some variant is
    invalid (--skip-invalid), infeasible or failed, 2 for invalid input (nothing run).
    """
    if grid and sample is not None:
        fail("--grid and --sample exclude each other", EXIT_INVALID)
    if scheduler is not None and workers is not None:
        fail("--workers sizes the local cluster; with --scheduler the cluster's workers are used", EXIT_INVALID)
    scenario = load_or_exit(file)
    from bastion.store.studies import new_study_id
    from bastion.study import StudyError, execute, prepare

    check_out_or_exit(out, force)
    if is_workbook_name(str(file)):  # the variants' paths point into the scenario as YAML
        from bastion.scenario import dump_scenario

        text = dump_scenario(scenario)
    else:
        text = file.read_bytes().decode("utf-8").removeprefix("\ufeff")
    try:
        prepared = prepare(scenario, str(file), text, vary=list(vary), sample=sample, tornado=tornado,
                           confidence=_levels(confidence), futures=futures, seed=seed, paths=paths,
                           skip_invalid=skip_invalid)
    except StudyError as error:
        for problem in error.problems:
            sys.stderr.write(f"{file}: {problem}\n")
        n = len(error.problems)
        fail(f"{file}: {n} problem{'s' if n != 1 else ''}, nothing run", EXIT_INVALID)
    if store:  # a store that cannot be opened is found before anything runs
        from bastion.cli.run_cmds import _open_store

        _open_store(db).close()
    from bastion.cli.simulate_cmd import numba_cache_dir
    from bastion.cli.study_view import StudyProgress, render_study
    from bastion.study.engine import SchedulerError

    numba_cache_dir()  # before the local cluster starts: its workers inherit the environment

    try:
        with StudyProgress(console(stderr=True), enabled=not as_json) as progress:
            result = execute(prepared, study_id=new_study_id(), scheduler=scheduler, workers=workers,
                             tell=progress.tell)
    except SchedulerError as error:
        fail(f"{file}: {error}; nothing run", EXIT_INVALID)
    if out is not None:
        from bastion.study.report import study_files

        write_files(out, study_files(result), force)
    if store:
        from bastion.cli.run_cmds import _open_store
        from bastion.store.studies import save_study

        record, runs = records(result)
        with _open_store(db) as run_store:
            save_study(run_store, record, runs)
    if as_json:
        print_json(result.to_json())
    else:
        render_study(result, console())
    raise typer.Exit(EXIT_OK if result.complete else EXIT_SHORT)


def register(app: typer.Typer) -> None:
    """Add the `study` command to the app."""
    app.command("study")(study)
