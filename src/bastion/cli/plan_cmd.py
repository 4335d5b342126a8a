"""`bastion plan FILE [--json] [--out DIR] [--time-limit S] [--gap G]`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bastion.cli.common import (
    EXIT_OK,
    EXIT_SHORT,
    console,
    json_text,
    load_or_exit,
    marking,
    markup_escape,
    print_json,
    require_plan,
    solver_trouble,
    solving,
    write_outputs,
)
from bastion.cli.limits import guard_or_exit, limit_or_exit, max_memory_option
from bastion.cli.output import FORCE_HELP, check_out_or_exit

if TYPE_CHECKING:
    from bastion.plan import PlanResult


def _money(v: float | None, currency: str) -> str:
    return "-" if v is None else f"{v:,.0f} {currency}"


def _summary(result: PlanResult, name: str) -> None:
    from rich.table import Table

    out = console()
    mark = result.classification
    out.print(marking(mark))
    out.print(
        f"[bold]Plan[/bold] {name}: {result.status.value}"
        + (f" (gap {result.gap:.2%})" if result.status.value == "time_limit" and result.gap is not None else "")
    )
    if not result.status.has_solution:
        out.print(f"No plan: {markup_escape(result.message)}")
        out.print(marking(mark))
        return
    out.print(f"First output: {result.first_output or 'none in the horizon'}")
    lines = Table("line", "site", "built", "online", title="Lines")
    for ln in result.lines:
        lines.add_row(markup_escape(ln.line), markup_escape(ln.site), "yes" if ln.built else "no", ln.online or "-")
    out.print(lines)
    targets = Table("customer", "item", "by", "units", "planned", "met", "met month", title="Targets")
    for t in result.targets:
        targets.add_row(
            markup_escape(t.customer),
            markup_escape(t.item),
            t.by,
            f"{t.units:,.0f}",
            f"{t.planned_units or 0:,.0f}",
            "yes" if t.met else "[red]no[/red]",
            t.met_month or "-",
        )
    out.print(targets)
    if result.unmet_consumption > 1e-6:
        out.print(f"[red]Consumption not met: {result.unmet_consumption:,.0f} units[/red]")
    if result.cost is not None:
        c, cur = result.cost, result.currency
        costs = Table("capex", "purchases", "production", "fixed", "holding", "total",
                      title=f"Cost ({markup_escape(cur)})")
        costs.add_row(*(f"{v:,.0f}" for v in (c.capex, c.purchases, c.production, c.fixed, c.holding, c.total)))
        out.print(costs)
    for e in result.explanations:
        out.print(f"- {markup_escape(e.text)}")
    if result.sensitivity:
        out.print("[bold]What buys most[/bold]")
        for s in result.sensitivity[:8]:
            out.print(f"- {markup_escape(s.text)}")
    out.print(marking(mark))


def _write_out(result: PlanResult, out_dir: Path, force: bool) -> None:
    tables = result.tables.all() if result.tables is not None else ()
    files = {**{f"{t.name}.csv": t.to_csv() for t in tables}, "plan.json": json_text(result.to_json())}
    write_outputs(out_dir, files, force)


def plan(
    file: Path = typer.Argument(..., help="Scenario file (YAML, JSON or .xlsx)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    out: Path | None = typer.Option(None, "--out", help="Write tidy CSV tables and plan.json here."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    max_memory: str = max_memory_option(),
    time_limit: float | None = typer.Option(
        None, "--time-limit", min=0.1, help="Seconds for the main solve (all stages)."
    ),
    gap: float = typer.Option(1e-4, "--gap", min=0.0, max=1.0, help="Relative MIP gap of each stage."),
    confidence: float | None = typer.Option(
        None, "--confidence", min=0.0, max=1.0,
        help="Plan so that each target is met in this share of futures (a target's own "
             "`confidence` wins); see docs/method-confidence.md.",
    ),
    futures: int = typer.Option(200, "--futures", min=1, help="Sampled futures planned against "
                                "(with a confidence)."),
) -> None:
    """Optimise the production and stockpile plan.

    What to build, buy and make, who gets it, and why a target is short (exit 3 then).
    """
    limit = limit_or_exit(max_memory)
    scenario = load_or_exit(file)
    check_out_or_exit(out, force)
    from bastion.guard import plan_estimate

    guard_or_exit(file, limit, plan_estimate(scenario))
    from bastion.plan import solve_plan
    from bastion.plan.solve import SolverError

    try:
        with solving(console(stderr=True), "Planning") as progress:
            result = solve_plan(scenario, time_limit=time_limit, gap=gap, progress=progress)
    except SolverError as error:
        solver_trouble(file, str(error))
    except MemoryError:
        solver_trouble(file, "the plan model is too large for this machine's memory")
    if not result.status.has_solution:
        if as_json:
            print_json(result.to_json())
        require_plan(file, result)
    from bastion.plan.confidence import wants_confidence

    if wants_confidence(scenario, confidence):
        from bastion.cli.confidence_view import plan_confidence

        plan_confidence(scenario, result, confidence, futures=futures, gap=gap,
                        time_limit=time_limit, as_json=as_json, out=out)
    if out is not None:
        _write_out(result, out, force)
    if as_json:
        print_json(result.to_json())
    else:
        _summary(result, markup_escape(scenario.name))
    raise typer.Exit(EXIT_SHORT if result.short else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add the `plan` command to the app."""
    app.command("plan")(plan)
