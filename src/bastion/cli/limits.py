"""`--max-memory`: the resource guard on the command line (the estimates are `bastion.guard`'s).

Every command that runs an engine estimates, before any work, the memory the run would
take from the scenario's size, and refuses with the figures and exit 2 when it is over
the limit; the simulation instead runs fewer paths at a time where that fits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bastion.cli.common import EXIT_INVALID, fail

if TYPE_CHECKING:
    from bastion.guard import Estimate

MAX_MEMORY_HELP = (
    "Refuse a run whose estimated memory is over this (e.g. 4GB, 512MB, 16G), before any work; "
    "the simulation runs fewer paths at a time to fit where it can."
)


def max_memory_option() -> Any:
    """The `--max-memory SIZE` option (default 4GB)."""
    return typer.Option("4GB", "--max-memory", help=MAX_MEMORY_HELP)


def limit_or_exit(text: str) -> int:
    """`--max-memory`'s value in bytes, or exit 2 saying what is wrong with it."""
    from bastion.guard import parse_size

    try:
        return parse_size(text)
    except ValueError:
        fail(f"--max-memory: {text!r} is not a memory size (e.g. 4GB, 512MB, 16G)", EXIT_INVALID)


def guard_or_exit(file: Path, limit: int, *estimates: Estimate) -> None:
    """Exit 2 with the estimate's figures if any of `estimates` is over `limit`; nothing is done then."""
    from bastion.guard import TooLarge, check

    for estimate in estimates:
        try:
            check(estimate, limit)
        except TooLarge as error:
            fail(f"{file}: {error}; nothing done", EXIT_INVALID)


@contextmanager
def refusals(file: Path) -> Iterator[None]:
    """An engine's own refusal (`TooLarge`, raised before it allocates) as one line and exit 2."""
    from bastion.guard import TooLarge

    try:
        yield
    except TooLarge as error:
        fail(f"{file}: {error}; nothing done", EXIT_INVALID)
