"""`bastion simulate FILE [--paths N] [--seed S] [--backend auto|numpy|jax|compiled] [--json]`."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bastion.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    PATHS_MAX,
    SEED_HELP,
    SEED_MAX,
    console,
    fail,
    load_or_exit,
    marking,
    markup_escape,
    print_json,
    require_plan,
    solver_trouble,
    solving,
)
from bastion.cli.limits import guard_or_exit, limit_or_exit, max_memory_option, refusals

if TYPE_CHECKING:
    from rich.console import Console

    from bastion.simulate import SimulationResult

BACKENDS = ("auto", "numpy", "jax", "compiled")
NUMBA_CACHE_ENV = "NUMBA_CACHE_DIR"


def numba_cache_dir(environ: MutableMapping[str, str] | None = None) -> str:
    """Where the compiled step is cached: $NUMBA_CACHE_DIR when set, else `numba-cache` beside
    the run store (and the JAX cache): $BASTION_HOME, else ~/.local/share/bastion. Set in the
    environment before numba is imported (the engines never choose files)."""
    env = os.environ if environ is None else environ
    chosen = env.get(NUMBA_CACHE_ENV)
    if not chosen:
        from bastion.store.location import default_path

        chosen = str(default_path(env).parent / "numba-cache")
        env[NUMBA_CACHE_ENV] = chosen
    return chosen


def jax_cache_dir(environ: Mapping[str, str] | None = None) -> str | None:
    """Turn on JAX's persistent compilation cache for this command: $BASTION_JAX_CACHE when set
    ("off" turns it off), else `jax-cache` beside the run store. The folder used, or None."""
    env = os.environ if environ is None else environ
    try:
        from bastion.simulate.jax_backend import compilation_cache
    except ImportError:  # no JAX: the simulation itself says so, with its own message
        return None
    from bastion.store.location import default_path

    return compilation_cache(env, default=str(default_path(env).parent / "jax-cache"))


def _compiling_notice(err: Console) -> Callable[[bool], None] | None:
    """A spinner "compiling the simulator (once)" while the compiled step compiles (terminal only)."""
    if not err.is_terminal:
        return None
    status: list[Any] = []

    def notice(start: bool) -> None:
        if start:
            status.append(err.status("compiling the simulator (once)"))
            status[-1].start()
        elif status:
            status.pop().stop()

    return notice


def _summary(result: SimulationResult, name: str) -> None:
    from rich.table import Table

    out = console()
    mark = result.classification
    out.print(marking(mark))
    out.print(f"[bold]Simulation[/bold] {markup_escape(name)}: {result.paths:,} paths, seed {result.seed}, "
              f"{result.backend} backend")
    fo = result.first_output
    out.print(
        f"First output: P10 {fo.p10 or 'never'}, P50 {fo.p50 or 'never'}, "
        f"P90 {fo.p90 or 'never'}; P(within 24 months) = {fo.p_within_24_months:.1%} "
        f"± {fo.stderr:.1%}"
    )
    table = Table("customer", "item", "by", "units", "P(met)", "P10", "P50", "P90", title="Targets")
    for t in result.targets:
        table.add_row(
            markup_escape(t.customer),
            markup_escape(t.item),
            t.by,
            f"{t.units:,.0f}",
            f"{t.probability:.1%} ± {t.stderr:.1%}",
            f"{t.p10_units:,.0f}",
            f"{t.p50_units:,.0f}",
            f"{t.p90_units:,.0f}",
        )
    out.print(table)
    out.print(f"Expected unmet consumption: {result.expected_unmet:,.0f} units (P(any) = {result.p_any_unmet:.1%})")
    out.print(f"Expected cost: {result.expected_cost['total']:,.0f} {markup_escape(result.currency)}")
    out.print(marking(mark))


def simulate(
    file: Path = typer.Argument(..., help="Scenario file (YAML, JSON or .xlsx)."),
    paths: int = typer.Option(10_000, "--paths", min=1, max=PATHS_MAX, help="Number of sampled futures."),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help=SEED_HELP),
    backend: str = typer.Option(
        "auto", "--backend",
        help="auto (compiled for 1,000,000 path-months or more when numba is installed, else numpy), "
             "numpy, jax or compiled."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    max_memory: str = max_memory_option(),
    confidence: float | None = typer.Option(
        None, "--confidence", min=0.0, max=1.0,
        help="Simulate the plan made at this confidence (its planning futures are independent "
             "of the simulated ones).",
    ),
    futures: int = typer.Option(200, "--futures", min=1, help="Sampled futures planned against "
                                "(with a confidence)."),
) -> None:
    """Probability of each target over sampled futures.

    Plays the plan's policy: P(target met), first output, unmet consumption.
    """
    if backend not in BACKENDS:
        fail(f"--backend must be one of {', '.join(BACKENDS)}, not {backend!r}", EXIT_INVALID)
    numba_cache_dir()
    if backend == "jax":
        jax_cache_dir()
    limit = limit_or_exit(max_memory)
    scenario = load_or_exit(file)
    from bastion.guard import plan_estimate, simulate_estimate

    guard_or_exit(file, limit, plan_estimate(scenario, "simulate (its plan)"), simulate_estimate(scenario, paths))
    from bastion.plan import solve_plan
    from bastion.plan.solve import SolverError
    from bastion.simulate import BackendError, NoPlanError, warm
    from bastion.simulate import simulate as run_simulation

    compiler = warm.start(backend, paths, scenario.horizon.months)  # the step compiles during the plan
    try:
        with solving(console(stderr=True), "Planning") as step:
            plan = solve_plan(scenario, explain=False, sensitivity=False, progress=step)
        from bastion.plan.confidence import wants_confidence

        if wants_confidence(scenario, confidence):
            from bastion.cli.confidence_view import confidence_plan

            plan = confidence_plan(scenario, plan, confidence, futures=futures, gap=1e-4,
                                   time_limit=None).plan
    except SolverError as error:
        solver_trouble(file, str(error))
    except MemoryError:
        solver_trouble(file, "the plan model is too large for this machine's memory")
    require_plan(file, plan)
    progress = None
    bars: list[Any] = []  # the bar starts with the first chunk (after any compiling notice)
    err = console(stderr=True)
    if not as_json and err.is_terminal and paths * scenario.horizon.months >= 5_000_000:
        from rich.progress import Progress

        def progress(done: int, total: int) -> None:
            if not bars:
                bars.append(Progress(console=err, transient=True))
                bars[0].add_task("simulating", total=total)
                bars[0].start()
            bars[0].update(bars[0].task_ids[0], completed=done, total=total)

    warm.finish(compiler)
    try:
        with refusals(file):
            result = run_simulation(scenario, plan, paths=paths, seed=seed, backend=backend, progress=progress,
                                    max_bytes=limit, compiling=_compiling_notice(err))
    except NoPlanError as error:
        solver_trouble(file, str(error))
    except BackendError as error:
        fail(f"{file}: {error}", EXIT_INVALID)
    finally:
        for bar in bars:
            bar.stop()
    if as_json:
        print_json(result.to_json())
    else:
        _summary(result, scenario.name)
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add the `simulate` command to the app."""
    app.command("simulate")(simulate)
