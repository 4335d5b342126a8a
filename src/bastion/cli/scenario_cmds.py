"""Commands about scenario files: init, validate, show."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bastion.cli.common import EXIT_INVALID, console, fail, load_or_exit, print_json
from bastion.textsafe import visible

if TYPE_CHECKING:
    from bastion.scenario.errors import Problem
    from bastion.scenario.model import Scenario

REFERENCE = "baltic-atm-plant"


def reference_text(name: str = REFERENCE) -> str:
    """The text of a packaged example scenario."""
    from importlib import resources

    return (resources.files("bastion.scenario.examples") / f"{name}.yaml").read_text("utf-8")


def init(
    directory: Path = typer.Argument(Path("."), help="Folder to copy the reference scenario into."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object: the file written and what next."),
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
    follow = [f"bastion validate {target}", f"bastion show {target}"]
    if as_json:
        print_json({"written": str(target), "scenario": REFERENCE, "next": follow})
        return
    typer.echo(f"wrote {visible(target)}")
    typer.echo(f"next: {visible(' && '.join(follow))}")


def _counts(scenario: Scenario) -> dict[str, int]:
    return {
        "item": len(scenario.items),
        "supplier": len(scenario.suppliers),
        "line": len(scenario.all_lines()),
        "customer": len(scenario.customers),
    }


def validate(
    file: Path = typer.Argument(..., help="Scenario file (.yaml, .yml, .json or .xlsx)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing when valid."),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object: valid, and each error's file, line, path and message."
    ),
) -> None:
    """Check a scenario file and list every problem.

    Each problem prints as FILE:LINE: path: message; exit status 2 when there is one.
    """
    if as_json:
        _validate_json(file)
        return
    scenario = load_or_exit(file, to_stdout=True)
    if not quiet:
        summary = ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for word, n in _counts(scenario).items())
        typer.echo(f"{visible(file)}: valid ({summary})")


def _problem_json(problem: Problem) -> dict[str, object]:
    """One problem as JSON: file, line (0 in a workbook), the cell where a workbook names one, path, message."""
    out: dict[str, object] = {"file": problem.file, "line": problem.line}
    cell = getattr(problem, "cell", None)
    if cell is not None:
        out["cell"] = cell
    return out | {"path": problem.path, "message": problem.message}


def _validate_json(file: Path) -> None:
    """`validate --json`: one object on stdout, whether valid or not; exit 2 when not."""
    from bastion.cli.common import read_scenario_file
    from bastion.scenario import ScenarioError

    try:
        scenario, _warnings = read_scenario_file(file)
    except ScenarioError as error:
        errors = [_problem_json(p) for p in error.problems]
        print_json({"file": str(file), "valid": False, "errors": errors})
        raise typer.Exit(EXIT_INVALID) from None
    counts = {f"{word}s": n for word, n in _counts(scenario).items()}
    print_json({"file": str(file), "valid": True, "errors": [], "name": scenario.name, "counts": counts})


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
