"""`bastion run` (every engine, stored, with the report) and `bastion runs list|show|compare`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bastion.cli.common import (
    EXIT_INVALID,
    EXIT_SHORT,
    LIMIT_MAX,
    PATHS_MAX,
    SEED_HELP,
    SEED_MAX,
    console,
    fail,
    json_text,
    print_json,
    solver_trouble,
)
from bastion.cli.limits import limit_or_exit, max_memory_option, refusals
from bastion.cli.output import FORCE_HELP

if TYPE_CHECKING:
    from bastion.run import Run
    from bastion.store import RunStore

runs_app = typer.Typer(help="Stored runs: list, show, compare.", no_args_is_help=True)

#: Where `bastion run` puts a run's folder when no --out is given.
RUNS_DIR = Path("bastion-runs")

DB_HELP = (
    "Database URL (default: $BASTION_DATABASE_URL, else the SQLite file in $BASTION_HOME or ~/.local/share/bastion)."
)


def _describe(db: str | None) -> str:
    """The store's URL as messages name it (password hidden), or what the user gave."""
    from bastion.store.location import chosen_url, describe

    text = chosen_url(db)
    try:
        from sqlalchemy.engine import make_url

        return describe(make_url(text))
    except Exception:  # not a URL at all: the store's own message says so
        return text


def _say(error: Exception) -> str:
    text = str(error)
    return text if "run store" in text else f"run store: {text}"


def _open_store(db: str | None, *, for_writing: bool = False) -> RunStore:
    """Open the store, or exit 2 with one line naming it (never a traceback)."""
    from bastion.store import RunStore, StoreError

    try:
        return RunStore.open(db, for_writing=for_writing, verify=for_writing)
    except StoreError as error:
        fail(_say(error), EXIT_INVALID)
    except Exception as error:  # anything else the driver raises: say so, no traceback
        fail(f"run store: cannot open {_describe(db)}: {str(error).splitlines()[0] if str(error) else error!r}")


@contextmanager
def _store(db: str | None) -> Iterator[RunStore]:
    """The open store for a `runs` command; its errors end the command with one line (exit 2)."""
    from bastion.store import StoreError

    runs = _open_store(db)
    try:
        yield runs
    except StoreError as error:
        fail(_say(error), EXIT_INVALID)
    finally:
        runs.close()


def csv_tables(run: Run) -> dict[str, str]:
    """File name -> CSV text of the run's tidy tables: the plan's (as `plan --out`) and
    resilience's (as `resilience --out`)."""
    from bastion.resilience import ResilienceResult

    files: dict[str, str] = {}
    plan_tables = getattr(run.results.get("plan"), "tables", None)
    if plan_tables is not None:
        files |= {f"{t.name}.csv": t.to_csv() for t in plan_tables.all()}
    resilience = run.results.get("resilience")
    if isinstance(resilience, ResilienceResult):
        files |= resilience.csv_tables()
    return files


def execute_and_save(
    file: Path,
    out: Path | None,
    paths: int,
    seed: int,
    db: str | None,
    store: bool,
    quiet: bool,
    force: bool = False,
    max_bytes: int | None = None,
    confidence: float | None = None,
    futures: int = 200,
) -> tuple[Run, str, Path]:
    """Check the store and the output folder, run every stage, store the run, publish the report.

    The order makes a failure leave nothing behind: the scenario, the store (opened and
    checked) and the output folder are checked before any work; the report is written
    into a staging folder, the run is saved, and only then is the folder published, so
    a report on disk always has its run in the store (a kill between the two leaves the
    stored run without its folder, and a staging folder the next run removes).

    The stage lines go to stderr only when it is a terminal (never to a pipe or a file) and
    not `quiet`.
    """
    from bastion.cli.common import load_or_exit
    from bastion.cli.output import check_out_or_exit, output_or_exit
    from bastion.cli.run_view import StageProgress
    from bastion.files import write_atomic
    from bastion.plan.solve import SolverError
    from bastion.report import write_report
    from bastion.run import execute, headline, tables
    from bastion.store import RunRecord, StoreError, new_run_id

    scenario = load_or_exit(file)  # every problem, exit 2, before anything runs
    if max_bytes is not None:
        from bastion.cli.limits import guard_or_exit
        from bastion.guard import BLOCK, plan_estimate, schedule_estimate, simulate_estimate

        guard_or_exit(file, max_bytes, schedule_estimate(scenario, paths), plan_estimate(scenario, "run (its plan)"),
                      simulate_estimate(scenario, paths, chunk=BLOCK))
    check_out_or_exit(out if out is not None else RUNS_DIR / new_run_id(), force)
    from bastion.cli.simulate_cmd import numba_cache_dir

    numba_cache_dir()  # the run's simulations use the `auto` backend (the compiled step's cache)
    runs = _open_store(db, for_writing=True) if store else None
    try:
        err = console(stderr=True)
        try:
            with refusals(file), StageProgress(err, enabled=not quiet and err.is_terminal) as progress:
                run = execute(file, paths=paths, seed=seed, progress=progress.update, max_bytes=max_bytes,
                              confidence=confidence, futures=futures)
        except SolverError as error:
            solver_trouble(file, str(error))
        except MemoryError:
            solver_trouble(file, "the plan model is too large for this machine's memory")
        data = run.to_json()
        record = RunRecord.new(
            scenario_name=run.scenario.name,
            scenario_file=str(file),
            scenario_text=run.scenario_text,
            seed=seed,
            paths=paths,
            status=run.status,
            headline=headline(run),
            results={k: data[k] for k in ("schedule", "plan", "confidence", "simulate", "resilience",
                                          "economics") if k in data},
            tables=tables(run),
            timings=run.timings,
        )
        target = out if out is not None else RUNS_DIR / record.run_id
        with output_or_exit(target, force) as stage:
            write_report({**data, "run_id": record.run_id}, record.tables, stage)
            for name, text in csv_tables(run).items():
                write_atomic(stage / name, text)
            write_atomic(stage / "run.json", json_text({"run_id": record.run_id, **data}))
            inside = _inside(file, target)
            if inside is not None:  # the scenario run sits in the folder replaced: keep it
                write_atomic(stage / inside, Path(file).read_bytes())
            if runs is not None:
                try:
                    runs.save(record)
                except StoreError as error:
                    fail(f"{_say(error)}; nothing written", EXIT_INVALID)
    finally:
        if runs is not None:
            runs.close()
    return run, record.run_id, target / "report.html"


def _inside(file: Path, folder: Path) -> Path | None:
    """`file`'s path relative to `folder` when it lies inside it, else None."""
    try:
        return file.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return None


def run(
    file: Path = typer.Argument(..., help="Scenario file."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the report, CSV tables and run.json (default: bastion-runs/RUN_ID)."
    ),
    paths: int = typer.Option(10_000, "--paths", min=1, max=PATHS_MAX, help="Monte-Carlo paths."),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help=SEED_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    store: bool = typer.Option(True, "--store/--no-store", help="Keep the run in the run store."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    max_memory: str = max_memory_option(),
    confidence: float | None = typer.Option(
        None, "--confidence", min=0.0, max=1.0,
        help="Plan so that each target is met in this share of futures (docs/method-confidence.md).",
    ),
    futures: int = typer.Option(200, "--futures", min=1, help="Sampled futures planned against "
                                "(with a confidence)."),
) -> None:
    """Run every engine, store the run, write the report.

    Writes report.html (offline), report.xlsx, the CSV tables and run.json; exit 3 when the plan is short.
    """
    limit = limit_or_exit(max_memory)
    result, run_id, report = execute_and_save(
        file, out, paths, seed, db, store, quiet=as_json, force=force, max_bytes=limit,
        confidence=confidence, futures=futures,
    )
    if as_json:
        print_json({"run_id": run_id, "report": str(report), **result.to_json()})
    else:
        from bastion.cli.run_view import render_headline
        from bastion.run import headline

        render_headline(result, headline(result), run_id, report, console())
    if result.short:
        raise typer.Exit(EXIT_SHORT)


@runs_app.command("list")
def runs_list(
    limit: int = typer.Option(20, "--limit", min=1, max=LIMIT_MAX, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """List stored runs and studies, newest first (a study's member runs: `runs show STUDY_ID`)."""
    from bastion.cli.study_view import render_study_list
    from bastion.store.studies import list_studies, member_run_ids

    with _store(db) as runs:
        members = member_run_ids(runs)
        rows = [r for r in runs.list(None if members else limit) if r.run_id not in members][:limit]
        studies = list_studies(runs, limit)
    if as_json:
        print_json({"runs": [_summary(r) for r in rows], "studies": [_study_summary(s) for s in studies]})
        return
    from bastion.cli.run_view import render_list

    render_list(rows, console())
    render_study_list(studies, console())


@runs_app.command("show")
def runs_show(
    run_id: str = typer.Argument(..., help="Run id (a unique prefix is enough)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole stored run as JSON."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Show one stored run (inputs, headline, timings), or a study (`study-...`)."""
    if run_id.startswith("study-"):
        _show_study(run_id, as_json, db)
        return
    with _store(db) as runs:
        record = runs.get(run_id)
    if as_json:
        print_json(
            {
                "run_id": record.run_id,
                "created_at": record.created_at.isoformat(),
                "scenario": record.scenario_name,
                "scenario_file": record.scenario_file,
                "scenario_hash": record.scenario_hash,
                "seed": record.seed,
                "paths": record.paths,
                "status": record.status,
                "versions": record.versions,
                "timings": record.timings,
                "headline": record.headline,
                **record.results,
            }
        )
        return
    from bastion.cli.run_view import render_record

    render_record(record, console())


@runs_app.command("compare")
def runs_compare(
    first: str = typer.Argument(..., help="Run id (or unique prefix)."),
    second: str = typer.Argument(..., help="Run id (or unique prefix)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Compare two runs: what changed, and the effect.

    The scenario lines that changed and the change in each headline number.
    """
    from bastion.store import compare

    with _store(db) as runs:
        a, b = runs.get(first), runs.get(second)
    diff = compare(a, b)
    if as_json:
        print_json(diff)
        return
    from bastion.cli.run_view import render_compare
    from bastion.report.fmt import currency

    render_compare(diff, console(), currency(b.results))


def _summary(row: Any) -> dict[str, Any]:
    return {
        "run_id": row.run_id,
        "created_at": row.created_at.isoformat(),
        "scenario": row.scenario_name,
        "scenario_hash": row.scenario_hash,
        "status": row.status,
        "headline": row.headline,
    }


def _study_summary(row: Any) -> dict[str, Any]:
    return {"study_id": row.study_id, "created_at": row.created_at.isoformat(), "scenario": row.scenario_name,
            "scenario_hash": row.scenario_hash, "status": row.status, "variants": row.variants, "mode": row.mode}


def _show_study(study_id: str, as_json: bool, db: str | None) -> None:
    from bastion.store import StoreError
    from bastion.store.studies import get_study

    with _store(db) as runs:
        try:
            record = get_study(runs, study_id)
        except StoreError as error:
            fail(_say(error).replace("run", "study", 1), EXIT_INVALID)
    if as_json:
        print_json({"study_id": record.study_id, "created_at": record.created_at.isoformat(),
                    "scenario": record.scenario_name, "scenario_file": record.scenario_file,
                    "scenario_hash": record.scenario_hash, "seed": record.seed, "paths": record.paths,
                    "status": record.status, "versions": record.versions, "spec": record.spec,
                    "members": [{"variant": m.variant_id, "status": m.status, "run_id": m.run_id}
                                for m in record.members],
                    "study": record.data})
        return
    from bastion.cli.study_view import render_study_record

    render_study_record(record, console())


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(run)
    app.add_typer(runs_app, name="runs")
