"""Output folders (`--out DIR`): checked before any work, written all together or not at all.

`check_output(target, force=...)` says how a folder would be written, or raises
`OutputError` with a one-line reason: a file in the way, a folder that cannot be written,
a non-empty folder that Bastion did not write (unless `force`). `staged_output(target)`
yields a hidden staging folder beside the target (`.NAME.bastion-PID-XXXXXXXX.tmp`);
when the block ends without an error the stage becomes the target:

- a new target, or an earlier output of Bastion (it holds the `MARKER` file listing
  every file in it) or an empty folder, is replaced whole by a rename (the old one is
  renamed aside first, then removed);
- a foreign folder written into with `force` gets Bastion's files, each by an atomic
  rename; its other files are left alone (Bastion never deletes what it did not write),
  and it gets no marker.

On an error nothing of the stage is published. Staging folders and temporary files left
by a killed Bastion (recognised by that name, and a process id that no longer runs or an
age over a day) are removed by the next `staged_output` or `write_atomic` in the same folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

#: The file that marks a folder as Bastion's output; it lists the folder's files.
MARKER = ".bastion-output"

#: A Bastion temporary file or folder: `.NAME.bastion-PID-RANDOM.tmp` (or `.old.tmp`).
TEMP_NAME = re.compile(r"^\..*\.bastion-(\d+)-[A-Za-z0-9_]{6,}(?:\.old)?\.tmp$")

#: Temporaries older than this are removed even if their process id runs again (reused).
STALE_AFTER_S = 24 * 3600.0


class OutputError(Exception):
    """An output folder that cannot be written as asked; the message is one line."""


class Mode(Enum):
    """How `staged_output` publishes its stage."""

    NEW = "new"
    """The target does not exist (or is an empty folder): the stage is renamed into place."""
    REPLACE = "replace"
    """The target is an earlier output of Bastion: replaced whole."""
    MERGE = "merge"
    """A foreign folder written with --force: Bastion's files go in, the others stay."""


@dataclass(frozen=True)
class Plan:
    """What `check_output` found."""

    target: Path
    mode: Mode


def temp_prefix(name: str) -> str:
    """The start of a temporary name for `name` made by this process (see `TEMP_NAME`)."""
    return f".{name}.bastion-{os.getpid()}-"


def check_output(target: str | os.PathLike[str], *, force: bool = False) -> Plan:
    """How `target` would be written; `OutputError` if it cannot be (nothing is touched).

    Messages name `target` as given; the plan's target is absolute (so `.` works too).
    """
    path = Path(target)
    absolute = Path(os.path.realpath(path))  # a link to a folder: the folder it names
    if absolute == absolute.parent:
        raise OutputError(f"{path}: the root folder cannot be an output folder")
    if path.is_symlink() and not path.exists():
        raise OutputError(f"{path}: is a broken symbolic link, not a folder")
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a folder; give a folder (new or empty) for the output")
    parent = _existing_ancestor(absolute.parent)
    if not parent.is_dir():
        raise OutputError(f"{path}: cannot be created: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"{path}: cannot be written: the folder {parent} is not writable "
            "(Bastion writes its output beside the target, then renames it into place)"
        )
    if not path.exists():
        return Plan(absolute, Mode.NEW)
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise OutputError(f"{path}: the folder is not writable")
    try:
        entries = sorted(entry.name for entry in path.iterdir())
    except OSError as error:
        raise OutputError(f"{path}: cannot read the folder: {error.strerror}") from error
    if not entries:
        return Plan(absolute, Mode.NEW)
    if _bastion_output(path, entries):
        return Plan(absolute, Mode.REPLACE)
    if force:
        return Plan(absolute, Mode.MERGE)
    raise OutputError(
        f"{path}: the folder is not empty and was not written by Bastion (no {MARKER} file listing its files); "
        "give a new or empty folder, or --force to write Bastion's files into it"
    )


@contextmanager
def staged_output(target: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Yield an empty staging folder; when the block succeeds, publish it as `target` (see the module)."""
    shown = Path(target)
    plan = check_output(target, force=force)
    path = plan.target
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(path.parent)
        stage = Path(_make_temp_dir(path))
    except OSError as error:
        raise OutputError(f"{shown}: cannot be written: {error.strerror or error}") from error
    try:
        yield stage
        _publish(stage, check_output(target, force=force), shown)
    except OSError as error:
        raise OutputError(f"{shown}: cannot be written: {error.strerror or error}") from error
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def clean_stale(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove Bastion's temporaries in `folder` left by a process that no longer runs (or over a day old)."""
    removed: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = TEMP_NAME.match(entry.name)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            age = now - entry.lstat().st_mtime
        except OSError:
            continue
        if pid == os.getpid() or (_running(pid) and age < STALE_AFTER_S):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:
            continue
        removed.append(entry)
    return removed


def marker_text(files: list[str]) -> str:
    """The marker's content: who wrote the folder, and its files."""
    from bastion import __version__

    return json.dumps({"written_by": "bastion", "version": __version__, "files": sorted(files)}, indent=2) + "\n"


def _publish(stage: Path, plan: Plan, shown: Path) -> None:
    target = plan.target
    files = sorted(str(item.relative_to(stage)) for item in stage.rglob("*") if not item.is_dir())
    if plan.mode is Mode.MERGE:
        for name in files:
            if (target / name).is_dir() and not (target / name).is_symlink():
                raise OutputError(f"{shown / name}: is a folder; Bastion would write a file there")
        for name in files:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / name, target / name)
        return
    (stage / MARKER).write_text(marker_text(files), encoding="utf-8")
    os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes 0700; give the folder the usual mode
    if not target.exists():
        os.rename(stage, target)
        return
    old = Path(_make_temp_dir(target, suffix=".old.tmp"))
    os.rmdir(old)
    os.rename(target, old)
    try:
        os.rename(stage, target)
    except OSError:
        os.rename(old, target)  # put the earlier output back
        raise
    shutil.rmtree(old, ignore_errors=True)


def _bastion_output(path: Path, entries: list[str]) -> bool:
    """True if `path` holds a valid marker listing every file in it (nothing else was added)."""
    if MARKER not in entries:
        return False
    try:
        data = json.loads((path / MARKER).read_text(encoding="utf-8"))
        listed = set(data["files"]) if data.get("written_by") == "bastion" else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    if listed is None:
        return False
    present = {str(item.relative_to(path)) for item in path.rglob("*") if not item.is_dir()}
    return present - {MARKER} <= listed


def _make_temp_dir(target: Path, suffix: str = ".tmp") -> str:
    return tempfile.mkdtemp(prefix=temp_prefix(target.name), suffix=suffix, dir=target.parent)


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OverflowError:
        return False  # not a process id at all
    except PermissionError:
        return True  # another user's process
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
