"""The `bastion` command line: a thin typer app.

Each command lives in a module of this package with a `register(app)`
function; heavy libraries (numpy, OR-Tools, HiGHS, pydantic models) are
imported inside the commands, so `bastion --help` stays fast.
"""

from __future__ import annotations

import typer

from bastion import __version__
from bastion.cli import (
    demo_cmd,
    economics_cmd,
    plan_cmd,
    resilience_cmd,
    run_cmds,
    scenario_cmds,
    schedule_cmd,
    serve_cmd,
    simulate_cmd,
    study_cmd,
    xlsx_cmd,
)

app = typer.Typer(
    name="bastion",
    help=(
        "Plan a sovereign munitions production programme: build-up, ramp, stockpiles, "
        "supply risk and cost. Industrial and logistics level only."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bastion {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Bastion command line."""


for _module in (
    scenario_cmds,
    schedule_cmd,
    plan_cmd,
    simulate_cmd,
    resilience_cmd,
    economics_cmd,
    run_cmds,
    study_cmd,
    demo_cmd,
    xlsx_cmd,
    serve_cmd,
):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
