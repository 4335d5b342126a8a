"""Helpers shared by the commands: loading with clean errors, JSON output, exit codes."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from bastion.scenario.model import Scenario

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INVALID = 2
EXIT_SHORT = 3

SEED_MAX = 2**31 - 1
"""Largest `--seed` in every command: CP-SAT takes a 32-bit seed and a run store a 32-bit column."""
PATHS_MAX = 2**31 - 1
"""Largest `--paths` accepted as an option (the resource guard may still refuse fewer)."""
LIMIT_MAX = 1_000_000
"""Largest `runs list --limit`."""
SEED_HELP = "Random seed, 0 to 2147483647."


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """Print `message` on stderr (control characters escaped) and exit with `code`."""
    from bastion.textsafe import visible

    sys.stderr.write(visible(message.rstrip("\n")) + "\n")
    raise typer.Exit(code)


def read_scenario_file(file: Path) -> tuple[Scenario, list[str]]:
    """A scenario from YAML, JSON or a workbook (.xlsx), with the reader's warnings; raises ScenarioError."""
    from bastion.scenario import load_scenario
    from bastion.xlsxio import is_workbook_name

    if is_workbook_name(str(file)):
        from bastion.xlsxio import load_workbook_scenario  # openpyxl: only for a workbook

        return load_workbook_scenario(file)
    return load_scenario(file), []


def solver_trouble(file: Path, what: str) -> NoReturn:
    """Exit 1 when the solver refused the model, ran out of memory or gave no plan.

    The same in every command: exit 3 is kept for a plan that exists and is
    short (`plan`, `run`), exit 2 for a scenario that breaks the format.
    """
    fail(f"{file}: the solver gave no plan: {what}", EXIT_INTERNAL)


def require_plan(file: Path, plan: Any) -> None:
    """Exit 1 (`solver_trouble`) unless `plan` (a PlanResult) holds a plan."""
    if not plan.status.has_solution:
        solver_trouble(file, plan.message or plan.status.value)


def load_or_exit(file: Path, *, to_stdout: bool = False) -> Scenario:
    """Load a scenario or print its problems (`FILE:LINE: path: message`) and exit 2.

    A workbook (.xlsx) is read by `bastion.xlsxio`; its problems name cells
    (`FILE.xlsx:Sheet!C7: path: message`) and its warnings go to stderr.
    """
    from bastion.scenario import ScenarioError

    try:
        scenario, warnings = read_scenario_file(file)
    except ScenarioError as error:
        from bastion.textsafe import visible

        stream = sys.stdout if to_stdout else sys.stderr
        for problem in error.problems:
            stream.write(f"{visible(problem)}\n")
        n = len(error.problems)
        sys.stderr.write(f"{visible(file)}: {n} problem{'s' if n != 1 else ''}, nothing done\n")
        raise typer.Exit(EXIT_INVALID) from None
    for warning in warnings:
        sys.stderr.write(f"warning: {warning}\n")
    return scenario


#: Characters JSON may carry raw but a terminal would act on (C1 controls, DEL, bidirectional
#: formatting) or UTF-8 cannot encode (lone surrogates): written as \\u escapes instead.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def json_text(obj: Any) -> str:
    """The JSON text Bastion writes: indented, UTF-8, no NaN; terminal controls as \\u escapes."""
    text = json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout and nothing else."""
    sys.stdout.write(json_text(obj))


def write_outputs(out_dir: Path, files: dict[str, str], force: bool = False) -> None:
    """Write `files` (name -> text) into `out_dir` all together or not at all (see `bastion.cli.output`)."""
    from bastion.cli.output import write_files

    write_files(out_dir, files, force)


def console(stderr: bool = False) -> Console:
    """A rich console (imported lazily)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, emoji=False)


def markup_escape(text: object) -> str:
    """User text to print through rich markup exactly as written: `bastion.textsafe.terminal`."""
    from bastion.textsafe import terminal

    return terminal(text)


def marking(classification: str) -> str:
    """The classification marking line printed first and last by every command (rich markup)."""
    return f"[bold]{markup_escape(classification)}[/bold]"


@contextmanager
def solving(out: Console, title: str) -> Iterator[Callable[[str], None] | None]:
    """A one-line spinner on a terminal: `title`, the step now running and the time so far.

    Yields the callback to hand to the engine (None when `out` is not a
    terminal: pipes, files and tests get nothing extra). The line goes away
    when the block ends.
    """
    if not out.is_terminal:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=out, transient=True) as bar:
        task = bar.add_task(f"{title}...", total=None)

        def tell(text: str) -> None:
            bar.update(task, description=f"{title}: {markup_escape(text)}")
        yield tell
