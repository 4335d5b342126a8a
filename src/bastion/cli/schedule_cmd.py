"""`bastion schedule`: the build-up programme, its critical path and its risk; or a PSPLIB instance."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bastion.cli.common import (
    EXIT_INVALID,
    PATHS_MAX,
    SEED_HELP,
    SEED_MAX,
    console,
    fail,
    load_or_exit,
    markup_escape,
    print_json,
)
from bastion.cli.limits import guard_or_exit, limit_or_exit, max_memory_option

if TYPE_CHECKING:
    from bastion.scenario.model import Scenario


def schedule(
    file: Path | None = typer.Argument(None, help="Scenario file (omit with --psplib)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    paths: int = typer.Option(
        10_000, "--paths", min=0, max=PATHS_MAX, help="Sampled schedules for the risk (0: none)."
    ),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help=SEED_HELP),
    psplib: Path | None = typer.Option(None, "--psplib", help="Solve a PSPLIB .sm RCPSP instance instead."),
    time_limit: float | None = typer.Option(
        None, "--time-limit", min=0.1,
        help="CP-SAT time limit, seconds (each stage); default for a scenario's programme: a fixed "
             "amount of work (about 2 s, the same schedule on any machine), 60 s with --psplib.",
    ),
    max_memory: str = max_memory_option(),
) -> None:
    """Schedule the build-up programme and its risk.

    Dates, critical path, each line's online month, and P(first output within 24 months).
    """
    if psplib is not None:
        if file is not None:
            fail("give either FILE or --psplib, not both", EXIT_INVALID)
        _psplib(psplib, as_json, 60.0 if time_limit is None else time_limit)
        return
    if file is None:
        fail("missing FILE (a scenario), or use --psplib FILE.sm", EXIT_INVALID)
    limit = limit_or_exit(max_memory)
    scenario = load_or_exit(file)
    if scenario.programme is None or not scenario.programme.tasks:
        _no_programme(scenario, as_json)
        return
    from bastion.guard import schedule_estimate

    guard_or_exit(file, limit, schedule_estimate(scenario, paths))
    from bastion.programme.analysis import analyse_schedule
    from bastion.programme.network import NetworkError

    try:
        analysis = analyse_schedule(scenario, paths=paths, seed=seed, time_limit_s=time_limit)
    except NetworkError as error:
        fail(f"{file}: programme: {error}", EXIT_INVALID)
    if as_json:
        print_json(analysis.to_json())
        return
    from bastion.cli.schedule_view import render_schedule

    render_schedule(analysis, console())


def _no_programme(scenario: Scenario, as_json: bool) -> None:
    """A scenario without programme tasks: its lines come online at their given months."""
    from bastion.programme.analysis import no_programme

    data = no_programme(scenario)
    if as_json:
        print_json(data)
        return
    out = console()
    out.print(markup_escape(data["note"]))
    for lid, month in data["line_online"].items():
        out.print(f"{markup_escape(lid)} online (can produce) from {month}")


def _psplib(path: Path, as_json: bool, time_limit: float) -> None:
    from bastion.programme.network import NetworkError
    from bastion.programme.psplib import PsplibError, read_psplib, solve_psplib

    try:
        instance = read_psplib(path)
    except (PsplibError, NetworkError) as error:
        fail(str(error) if str(path) in str(error) else f"{path}: {error}", EXIT_INVALID)
    solution = solve_psplib(instance, time_limit_s=time_limit)
    result = {
        "instance": instance.name,
        "jobs": instance.jobs,
        "makespan": solution.makespan,
        "optimal": solution.optimal,
        "lower_bound": solution.lower_bound,
        "seconds": round(solution.seconds, 3),
        "starts": {str(j + 1): int(s) for j, s in enumerate(solution.starts)},
    }
    if as_json:
        print_json(result)
        return
    proof = "proven optimal" if solution.optimal else f"best found (lower bound {solution.lower_bound})"
    console().print(
        f"{markup_escape(instance.name)}: {instance.jobs} jobs, makespan {solution.makespan} periods, {proof}, "
        f"{solution.seconds:.2f} s"
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(schedule)
