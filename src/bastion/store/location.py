"""Where the run store lives: a SQLite file by default, any SQLAlchemy URL by override.

Resolution, first match wins:
1. the `url` passed to `RunStore.open`;
2. `$BASTION_DATABASE_URL` (e.g. `postgresql+psycopg://user@host/bastion`);
3. `sqlite:///$BASTION_HOME/runs.sqlite` if `$BASTION_HOME` is set;
4. `sqlite:///$XDG_DATA_HOME/bastion/runs.sqlite` (`~/.local/share` if `$XDG_DATA_HOME` is unset).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import URL, make_url

DATABASE_URL_ENV = "BASTION_DATABASE_URL"
HOME_ENV = "BASTION_HOME"
FILE_NAME = "runs.sqlite"


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """The default SQLite file: `$BASTION_HOME/runs.sqlite`, else `$XDG_DATA_HOME/bastion/runs.sqlite`."""
    env = os.environ if environ is None else environ
    if env.get(HOME_ENV):
        return Path(env[HOME_ENV]).expanduser() / FILE_NAME
    data_home = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home).expanduser() / "bastion" / FILE_NAME


def sqlite_url(path: str | os.PathLike[str]) -> str:
    """The SQLAlchemy URL of the SQLite file at `path`."""
    return f"sqlite:///{Path(path)}"


def resolve_url(url: str | None = None, environ: Mapping[str, str] | None = None) -> URL:
    """The database URL to use: `url`, else `$BASTION_DATABASE_URL`, else the default SQLite file."""
    env = os.environ if environ is None else environ
    chosen = url or env.get(DATABASE_URL_ENV) or sqlite_url(default_path(env))
    return make_url(chosen)
