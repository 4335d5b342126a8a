"""`bastion demo`: the packaged reference scenario end to end, into ./bastion-demo/."""

from __future__ import annotations

from pathlib import Path

import typer

from bastion.cli.common import console, load_or_exit

DEMO_DIR = Path("bastion-demo")


def demo(
    directory: Path = typer.Option(DEMO_DIR, "--dir", help="Folder to write the demo into."),
) -> None:
    """Run Bastion on the packaged reference scenario (writes into ./bastion-demo/)."""
    from bastion.cli.scenario_cmds import REFERENCE, reference_text
    from bastion.cli.show_view import render_scenario
    from bastion.files import write_atomic

    out = console()
    scenario_file = directory / f"{REFERENCE}.yaml"
    write_atomic(scenario_file, reference_text())
    out.print(f"[bold]1. init[/bold]: wrote {scenario_file}")
    scenario = load_or_exit(scenario_file)
    out.print(f"[bold]2. validate[/bold]: {scenario_file} is valid")
    out.print("[bold]3. show[/bold]:")
    render_scenario(scenario, out)
    out.print("[bold]4. schedule[/bold]: the build-up programme and P(first output within 24 months)")
    from bastion.cli.schedule_view import render_schedule
    from bastion.programme.analysis import analyse_schedule

    render_schedule(analyse_schedule(scenario, paths=10_000, seed=0), out)
    out.print(f"\nThe scenario is in {scenario_file}; edit it and run `bastion validate` on it.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(demo)
