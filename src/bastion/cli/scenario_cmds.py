"""Commands about scenario files: init, validate, show."""

from __future__ import annotations

from pathlib import Path

import typer

from bastion.cli.common import EXIT_INVALID, console, fail, load_or_exit, print_json

REFERENCE = "baltic-atm-plant"


def reference_text(name: str = REFERENCE) -> str:
    """The text of a packaged example scenario."""
    from importlib import resources

    return (resources.files("bastion.scenario.examples") / f"{name}.yaml").read_text("utf-8")


def init(
    directory: Path = typer.Argument(Path("."), help="Folder to copy the reference scenario into."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Copy the reference scenario into a folder.

    Writes DIRECTORY/baltic-atm-plant.yaml (illustrative, built from public figures).
    """
    from bastion.files import write_atomic

    target = directory / f"{REFERENCE}.yaml"
    if target.exists() and not force:
        fail(f"{target}: already exists; use --force to overwrite", EXIT_INVALID)
    if directory.exists() and not directory.is_dir():
        fail(f"{directory}: not a folder", EXIT_INVALID)
    try:
        write_atomic(target, reference_text())
    except OSError as error:
        fail(f"{target}: cannot write: {error.strerror}", EXIT_INVALID)
    typer.echo(f"wrote {target}")
    typer.echo(f"next: bastion validate {target} && bastion show {target}")


def validate(
    file: Path = typer.Argument(..., help="Scenario file (.yaml, .yml or .json)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing when valid."),
) -> None:
    """Check a scenario file and list every problem.

    Each problem prints as FILE:LINE: path: message; exit status 2 when there is one.
    """
    scenario = load_or_exit(file, to_stdout=True)
    if not quiet:
        lines = scenario.all_lines()
        counts = {
            "item": len(scenario.items),
            "supplier": len(scenario.suppliers),
            "line": len(lines),
            "customer": len(scenario.customers),
        }
        summary = ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for word, n in counts.items())
        typer.echo(f"{file}: valid ({summary})")


def show(
    file: Path = typer.Argument(..., help="Scenario file."),
    as_json: bool = typer.Option(False, "--json", help="Print the validated scenario as JSON."),
) -> None:
    """Summarise a scenario in readable tables.

    Items, suppliers, lines, customers and targets, the programme, budget and risks.
    """
    scenario = load_or_exit(file)
    if as_json:
        print_json(scenario.model_dump(mode="json", exclude_none=True))  # loads back: null is no value
        return
    from bastion.cli.show_view import render_scenario

    render_scenario(scenario, console())


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(init)
    app.command()(validate)
    app.command()(show)
