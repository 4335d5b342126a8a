"""`bastion run` (every engine, stored, with the report) and `bastion runs list|show|compare`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bastion.cli.common import EXIT_INVALID, EXIT_SHORT, console, fail, json_text, print_json

if TYPE_CHECKING:
    from bastion.run import Run
    from bastion.store import RunStore

runs_app = typer.Typer(help="Stored runs: list, show, compare.", no_args_is_help=True)

DB_HELP = (
    "Database URL (default: $BASTION_DATABASE_URL, else the SQLite file in $BASTION_HOME or ~/.local/share/bastion)."
)


def _open_store(db: str | None) -> RunStore:
    from bastion.store import RunStore, StoreError

    try:
        return RunStore.open(db)
    except StoreError as error:
        fail(f"run store: {error}", EXIT_INVALID)
    except Exception as error:  # a bad URL or an unreachable server: say so, no traceback
        fail(f"run store: cannot open {db or 'the default store'}: {error}", EXIT_INVALID)


def execute_and_save(
    file: Path, out: Path | None, paths: int, seed: int, db: str | None, store: bool, quiet: bool,
    confidence: float | None = None, futures: int = 200,
) -> tuple[Run, str, Path]:
    """Run every stage with a progress display, write the report, store the run."""
    from bastion.cli.common import load_or_exit
    from bastion.cli.run_view import StageProgress
    from bastion.files import staged_dir, write_atomic
    from bastion.report import write_report
    from bastion.run import execute, headline, tables
    from bastion.store import RunRecord

    load_or_exit(file)  # every problem, exit 2, before anything runs
    with StageProgress(console(stderr=True), enabled=not quiet) as progress:
        run = execute(file, paths=paths, seed=seed, progress=progress.update, confidence=confidence,
                      futures=futures)
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
    target = out if out is not None else Path("bastion-runs") / record.run_id
    with staged_dir(target) as stage:
        write_report({**data, "run_id": record.run_id}, record.tables, stage)
        write_atomic(stage / "run.json", json_text({"run_id": record.run_id, **data}))
    if store:
        with _open_store(db) as runs:
            runs.save(record)
    return run, record.run_id, target / "report.html"


def run(
    file: Path = typer.Argument(..., help="Scenario file."),
    out: Path | None = typer.Option(None, "--out", help="Folder for the report (default: bastion-runs/RUN_ID)."),
    paths: int = typer.Option(10_000, "--paths", min=1, help="Monte-Carlo paths."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    store: bool = typer.Option(True, "--store/--no-store", help="Keep the run in the run store."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    confidence: float | None = typer.Option(
        None, "--confidence", min=0.0, max=1.0,
        help="Plan so that each target is met in this share of futures (docs/method-confidence.md).",
    ),
    futures: int = typer.Option(200, "--futures", min=1, help="Sampled futures planned against "
                                "(with a confidence)."),
) -> None:
    """Run every engine, store the run, write the report.

    The report is report.html (offline) and report.xlsx; exit 3 when the plan is short.
    """
    result, run_id, report = execute_and_save(file, out, paths, seed, db, store, quiet=as_json,
                                              confidence=confidence, futures=futures)
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
    limit: int = typer.Option(20, "--limit", min=1, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """List stored runs, newest first."""
    with _open_store(db) as runs:
        rows = runs.list(limit)
    if as_json:
        print_json({"runs": [_summary(r) for r in rows]})
        return
    from bastion.cli.run_view import render_list

    render_list(rows, console())


@runs_app.command("show")
def runs_show(
    run_id: str = typer.Argument(..., help="Run id (a unique prefix is enough)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole stored run as JSON."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Show one stored run: inputs, headline, timings."""
    from bastion.store import StoreError

    with _open_store(db) as runs:
        try:
            record = runs.get(run_id)
        except StoreError as error:
            fail(str(error), EXIT_INVALID)
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
    from bastion.store import StoreError, compare

    with _open_store(db) as runs:
        try:
            a, b = runs.get(first), runs.get(second)
        except StoreError as error:
            fail(str(error), EXIT_INVALID)
    diff = compare(a, b)
    if as_json:
        print_json(diff)
        return
    from bastion.cli.run_view import render_compare

    render_compare(diff, console())


def _summary(row: Any) -> dict[str, Any]:
    return {
        "run_id": row.run_id,
        "created_at": row.created_at.isoformat(),
        "scenario": row.scenario_name,
        "scenario_hash": row.scenario_hash,
        "status": row.status,
        "headline": row.headline,
    }


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(run)
    app.add_typer(runs_app, name="runs")
