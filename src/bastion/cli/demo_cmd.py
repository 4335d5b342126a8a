"""`bastion demo`: the packaged reference scenario end to end, into ./bastion-demo/."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from bastion.cli.common import EXIT_INVALID, PATHS_MAX, console, fail, markup_escape

DEMO_DIR = Path("bastion-demo")


def demo(
    directory: Path = typer.Option(DEMO_DIR, "--dir", help="Folder to write the demo into."),
    paths: int = typer.Option(10_000, "--paths", min=1, max=PATHS_MAX, help="Monte-Carlo paths."),
    store: bool = typer.Option(True, "--store/--no-store", help="Keep the run in the run store."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (as `run --json`)."),
) -> None:
    """Run everything on the reference scenario (./bastion-demo).

    The packaged illustrative scenario end to end: the headline and the report.
    """
    from bastion.cli.common import print_json
    from bastion.cli.output import check_out_or_exit
    from bastion.cli.run_cmds import execute_and_save
    from bastion.cli.run_view import render_headline
    from bastion.cli.scenario_cmds import REFERENCE, reference_text
    from bastion.files import write_atomic
    from bastion.outdir import MARKER, marker_text
    from bastion.run import headline

    out = console()
    t0 = time.perf_counter()
    # A new or empty folder, or an earlier demo: else exit 2, nothing written.
    check_out_or_exit(directory, force=False, option="--dir")
    scenario_file = directory / f"{REFERENCE}.yaml"
    try:
        write_atomic(scenario_file, reference_text())
        # The folder is Bastion's output (every file in it listed): the run below replaces it whole.
        files = [str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file() and p.name != MARKER]
        write_atomic(directory / MARKER, marker_text(files))
    except OSError as error:
        fail(f"{directory}: cannot write the demo here: {error.strerror or error}", EXIT_INVALID)
    if not as_json:
        out.print(
            f"Reference scenario written to {markup_escape(scenario_file)} (illustrative; edit it and run it again)"
        )
    run, run_id, report = execute_and_save(scenario_file, directory, paths, 0, None, store, quiet=as_json)
    if as_json:
        print_json({"run_id": run_id, "report": str(report), "headline": headline(run), **run.to_json()})
        return
    render_headline(run, headline(run), run_id, report, out)
    out.print(f"Demo finished in {time.perf_counter() - t0:.1f} s. Open {markup_escape(report)} in a browser.")
    out.print(f"Next: `bastion runs list`, `bastion runs show {markup_escape(run_id[:15])}`, `bastion --help`.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(demo)
