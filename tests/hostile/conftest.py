"""Fixtures of the hostile-input tests: the CLI run as a user runs it, optionally unprivileged.

`cli.run(...)` runs `python -m bastion` with a private `BASTION_HOME`; `unprivileged=True`
runs it, when the tests run as root, without the capabilities that let root write through
permission bits, so that a read-only folder is read-only for it too.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "examples" / "minimal.yaml"


#: Linux capabilities that let root write through permission bits (dropped for `unprivileged`).
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER = 1, 2, 3
_PR_CAPBSET_DROP = 24


def _unprivileged() -> Callable[[], None] | None:
    """As root: drop the capabilities that ignore permission bits (the child keeps its uid and files)."""
    if os.geteuid() != 0:
        return None

    def drop() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER):
            if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return drop


@pytest.fixture
def restore_modes(tmp_path: Path) -> Iterator[Path]:
    """tmp_path, with every folder under it made writable again afterwards (for its removal)."""
    yield tmp_path
    for path in [tmp_path, *tmp_path.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


def bastion(
    *args: str,
    home: Path,
    cwd: Path | None = None,
    unprivileged: bool = False,
    db: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run `bastion ARGS` with BASTION_HOME=home (and no database URL unless `db`)."""
    env = {**os.environ, "BASTION_HOME": str(home), "COLUMNS": "200", "HOME": str(home)}
    env.pop("BASTION_DATABASE_URL", None)
    if db is not None:
        env["BASTION_DATABASE_URL"] = db
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "bastion", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
        preexec_fn=_unprivileged() if unprivileged else None,
    )


def one_clear_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single line on stderr; fails if there is a traceback or more than one line."""
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def files_under(folder: Path) -> set[str]:
    """Every path under `folder` (files and folders, hidden ones too), relative."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


class Cli:
    """The helpers above as one fixture."""

    minimal = MINIMAL
    run = staticmethod(bastion)
    one_clear_line = staticmethod(one_clear_line)
    files_under = staticmethod(files_under)


@pytest.fixture
def cli() -> Cli:
    """`cli.run(ARGS, home=...)`, `cli.one_clear_line(proc)`, `cli.files_under(folder)`, `cli.minimal`."""
    return Cli()
