"""Helpers shared by the commands: loading with clean errors, JSON output, exit codes."""

from __future__ import annotations

import json
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


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """Print `message` on stderr and exit with `code`."""
    sys.stderr.write(message.rstrip("\n") + "\n")
    raise typer.Exit(code)


def load_or_exit(file: Path, *, to_stdout: bool = False) -> Scenario:
    """Load a scenario or print its problems (`FILE:LINE: path: message`) and exit 2."""
    from bastion.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(file)
    except ScenarioError as error:
        stream = sys.stdout if to_stdout else sys.stderr
        for problem in error.problems:
            stream.write(f"{problem}\n")
        n = len(error.problems)
        sys.stderr.write(f"{file}: {n} problem{'s' if n != 1 else ''}, nothing done\n")
        raise typer.Exit(EXIT_INVALID) from None


def json_text(obj: Any) -> str:
    """The JSON text Bastion writes: indented, UTF-8, no NaN."""
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


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

    return Console(stderr=stderr, highlight=False)


def markup_escape(text: str) -> str:
    """`text` safe to print through rich markup (rich imported lazily)."""
    from rich.markup import escape

    return escape(text)


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
