"""`--out DIR` and `--force` for the commands: checked before any work, written all or nothing.

The rules are `bastion.outdir`'s; this module turns its `OutputError` into one line on
stderr and exit 2, with nothing written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bastion.cli.common import EXIT_INVALID, fail

FORCE_HELP = (
    "Write into a non-empty --out folder that Bastion did not write (its other files are kept). "
    "An earlier output of Bastion is always replaced whole."
)


def check_out_or_exit(out: Path | None, force: bool, option: str = "--out") -> None:
    """Exit 2 with the reason if `out` cannot be written as asked (nothing is touched)."""
    if out is None:
        return
    from bastion.outdir import OutputError, check_output

    try:
        check_output(out, force=force)
    except OutputError as error:
        fail(f"{option} {error}", EXIT_INVALID)


@contextmanager
def output_or_exit(out: Path, force: bool) -> Iterator[Path]:
    """A staging folder for `out`, published when the block ends well; exit 2 if it cannot be written."""
    from bastion.outdir import OutputError, staged_output

    try:
        with staged_output(out, force=force) as stage:
            yield stage
    except OutputError as error:
        fail(f"--out {error}; nothing written", EXIT_INVALID)


def write_files(out: Path, files: dict[str, str] | dict[str, str | bytes], force: bool) -> None:
    """Write `files` (name -> text or bytes) into `out` all together or not at all."""
    with output_or_exit(out, force) as stage:
        for name, data in files.items():
            if isinstance(data, bytes):
                (stage / name).write_bytes(data)
            else:
                (stage / name).write_text(data, encoding="utf-8")
