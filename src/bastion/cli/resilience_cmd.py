"""`bastion resilience FILE [--at YYYY-MM] [--window N] [--json] [--out DIR]`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bastion.cli.common import (
    EXIT_INTERNAL,
    EXIT_INVALID,
    EXIT_OK,
    console,
    fail,
    json_text,
    load_or_exit,
    marking,
    markup_escape,
    print_json,
    solver_trouble,
    solving,
    write_outputs,
)
from bastion.cli.limits import guard_or_exit, limit_or_exit, max_memory_option
from bastion.cli.output import FORCE_HELP, check_out_or_exit

if TYPE_CHECKING:
    from bastion.resilience import ResilienceResult


def _summary(result: ResilienceResult, name: str) -> None:
    from rich.table import Table

    from bastion.resilience.result import items_text

    out = console()
    mark = result.classification
    out.print(marking(mark))
    out.print(
        f"[bold]Resilience[/bold] {name}: reference month {result.reference_month} "
        f"({markup_escape(result.reference_rule)}), analysed to {result.window_end}; state at M: "
        f"{markup_escape(result.state_rule)}"
    )
    table = Table(
        "node",
        "kind",
        "TTR",
        "TTS",
        "lost (horizon)",
        "TTS in window",
        "lost in window",
        "exposure",
        "mitigation",
        title=f"Nodes by exposure (weight: {markup_escape(result.loss_weight)}; TTS < TTR in red)",
    )
    for n in result.nodes:
        tts = "unbounded" if n.tts_months is None else f"{n.tts_months:.2f}"
        if n.exposed:
            tts = f"[red]{tts}[/red]"
        tts_w = "unbounded" if n.tts_window_months is None else f"{n.tts_window_months:.2f}"
        table.add_row(
            markup_escape(n.node),
            markup_escape(n.kind),
            f"{n.ttr_months:g}",
            tts,
            markup_escape(items_text(n.lost) or "0"),
            tts_w,
            markup_escape(items_text(n.lost_in_window) or "0"),
            f"{n.risk_exposure_index:.3f}",
            "-" if n.mitigation is None else markup_escape(n.mitigation.text()),
        )
    out.print(table)
    conc = Table("item", "sources", "HHI (0-1)", "non-EU/NATO", "single point", title="Purchased items: concentration")
    for c in result.concentration:
        conc.add_row(
            markup_escape(c.item),
            str(len(c.sources)),
            "-" if c.hhi is None else f"{c.hhi:.2f}",
            "-" if c.non_eu_nato_share is None else f"{c.non_eu_nato_share:.0%}",
            "[red]yes[/red]" if c.single_point else "no",
        )
    out.print(conc)
    single = [d.item for d in result.made_items if d.single_line]
    if single:
        out.print(f"Made on one line only: {markup_escape(', '.join(single))}")
    out.print(marking(mark))


def _write_out(result: ResilienceResult, out_dir: Path, force: bool) -> None:
    write_outputs(out_dir, {**result.csv_tables(), "resilience.json": json_text(result.to_json())}, force)


def resilience(
    file: Path = typer.Argument(..., help="Scenario file (YAML, JSON or .xlsx)."),
    at: str | None = typer.Option(None, "--at", help="Reference month YYYY-MM (default: the first full-rate month)."),
    window: int | None = typer.Option(
        None, "--window", min=1, help="Months analysed from the reference month (default: all)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    out: Path | None = typer.Option(None, "--out", help="Write CSV tables and resilience.json here."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    max_memory: str = max_memory_option(),
) -> None:
    """Time to survive and to recover, per supplier, line, site.

    Also per correlated risk group, with exposure and the buffer or second source that fixes it.
    """
    limit = limit_or_exit(max_memory)
    scenario = load_or_exit(file)
    check_out_or_exit(out, force)
    from bastion.guard import plan_estimate

    guard_or_exit(file, limit, plan_estimate(scenario, "resilience"))
    from bastion.plan.solve import SolverError
    from bastion.resilience import ResilienceError
    from bastion.resilience import resilience as analyse
    from bastion.resilience.outage import OutageError

    try:
        with solving(console(stderr=True), "Resilience") as step:
            result = analyse(scenario, at=at, window=window, progress=step)
    except ResilienceError as error:
        fail(f"{file}: {error}", EXIT_INVALID)
    except SolverError as error:
        solver_trouble(file, str(error))
    except OutageError as error:
        fail(f"{file}: the resilience analysis failed: {error}", EXIT_INTERNAL)
    except MemoryError:
        solver_trouble(file, "the plan model is too large for this machine's memory")
    if out is not None:
        _write_out(result, out, force)
    if as_json:
        print_json(result.to_json())
    else:
        _summary(result, markup_escape(scenario.name))
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add the `resilience` command to the app."""
    app.command("resilience")(resilience)
