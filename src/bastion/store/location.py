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
from sqlalchemy.exc import ArgumentError

from bastion.store.errors import StoreUnavailable

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


def chosen_url(url: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The database URL text to use: `url`, else `$BASTION_DATABASE_URL`, else the default SQLite file."""
    env = os.environ if environ is None else environ
    return url or env.get(DATABASE_URL_ENV) or sqlite_url(default_path(env))


def resolve_url(url: str | None = None, environ: Mapping[str, str] | None = None) -> URL:
    """The database URL to use: `url`, else `$BASTION_DATABASE_URL`, else the default SQLite file.

    Raises `StoreUnavailable` for a text that is not a database URL, and for an in-memory
    SQLite database (a run stored there would be lost when Bastion exits).
    """
    text = chosen_url(url, environ)
    try:
        parsed = make_url(text)
    except (ArgumentError, ValueError) as exc:
        raise StoreUnavailable(
            f"the run store {text!r} is not a database URL (sqlite:///PATH or postgresql://...): {exc}"
        ) from exc
    if is_in_memory(parsed):
        raise StoreUnavailable(
            f"the run store {describe(parsed, text)} is an in-memory database: a run saved there is lost "
            "when Bastion exits; give a file (sqlite:///PATH) or a PostgreSQL URL"
        )
    return parsed


def is_in_memory(url: URL) -> bool:
    """True for a SQLite URL whose database lives in memory (`sqlite://`, `:memory:`, `mode=memory`)."""
    if url.get_backend_name() != "sqlite":
        return False
    database = url.database or ""
    return database == "" or ":memory:" in database or "mode=memory" in database or url.query.get("mode") == "memory"


def describe(url: URL, text: str | None = None) -> str:
    """The URL as shown in messages: as the user wrote it (`text`) unless it holds a password, hidden then."""
    if text is not None and url.password is None:
        return text
    return url.render_as_string(hide_password=True)
