"""`bastion xlsx export|import|template`: scenarios as Excel workbooks."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from bastion.cli.common import EXIT_INVALID, fail, load_or_exit, print_json

xlsx_app = typer.Typer(
    name="xlsx",
    help="Scenarios as Excel workbooks: export a scenario, import a workbook, or start from a template.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


_JSON = typer.Option(False, "--json", help="Print one JSON object: the file written.")


def _write(target: Path, data: str | bytes, force: bool, as_json: bool = False) -> None:
    from bastion.files import write_atomic

    if target.exists() and not force:
        fail(f"{target}: already exists; use --force to overwrite", EXIT_INVALID)
    try:
        write_atomic(target, data)
    except OSError as error:
        fail(f"{target}: cannot write: {error.strerror}", EXIT_INVALID)
    if as_json:
        print_json({"written": str(target)})
    else:
        typer.echo(f"wrote {target}", err=True)


def _workbook(scenario: object, example: bool) -> bytes:
    from bastion.xlsxio import ExportError, build_workbook

    try:
        return build_workbook(scenario, example=example)  # type: ignore[arg-type]
    except ExportError as error:
        fail(f"cannot export: {error}", EXIT_INVALID)


@xlsx_app.command("export")
def export(
    file: Path = typer.Argument(..., help="Scenario file (YAML, JSON or .xlsx)."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Workbook to write (default: FILE with .xlsx)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    as_json: bool = _JSON,
) -> None:
    """Write a scenario as an Excel workbook: a sheet per section, a row per entity, a column per field."""
    scenario = load_or_exit(file)
    target = out if out is not None else file.with_suffix(".xlsx")
    if target.resolve() == file.resolve():
        fail(f"{target}: would overwrite the scenario it reads; give another name with -o", EXIT_INVALID)
    _write(target, _workbook(scenario, example=False), force, as_json)


@xlsx_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="Scenario workbook (.xlsx)."),
    out: Path | None = typer.Option(
        None, "-o", "--out", help="YAML file to write (default: FILE with .yaml; - for stdout)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    as_json: bool = _JSON,
) -> None:
    """Read a scenario workbook and write it as YAML.

    Every problem prints as FILE.xlsx:Sheet!C7: path: message; exit status 2 and nothing written when there is one.
    """
    from bastion.scenario import dump_scenario
    from bastion.xlsxio import is_workbook_name

    if not is_workbook_name(str(file)):
        fail(f"{file}: not a workbook (.xlsx); to turn YAML into a workbook: bastion xlsx export", EXIT_INVALID)
    scenario = load_or_exit(file)
    text = f"# Imported from {file.name} by bastion xlsx import (comments are not carried).\n" + dump_scenario(scenario)
    if out is not None and str(out) == "-":
        if as_json:
            fail("-o - writes the YAML to stdout; leave out --json", EXIT_INVALID)
        sys.stdout.write(text)
        return
    target = out if out is not None else file.with_suffix(".yaml")
    _write(target, text, force, as_json)


@xlsx_app.command("template")
def template(
    out: Path = typer.Option(Path("scenario-template.xlsx"), "-o", "--out", help="Workbook to write."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    as_json: bool = _JSON,
) -> None:
    """Write an empty scenario workbook with one example row per sheet (marked as an example)."""
    from importlib import resources

    from bastion.scenario import load_text

    text = (resources.files("bastion.xlsxio") / "template.yaml").read_text("utf-8")
    _write(out, _workbook(load_text(text, "template.yaml"), example=True), force, as_json)


def register(app: typer.Typer) -> None:
    """Add the `xlsx` command group to the app."""
    app.add_typer(xlsx_app, name="xlsx")
