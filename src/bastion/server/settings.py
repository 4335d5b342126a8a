"""The server's settings: database, upload limit, login rate limit, token lifetime."""

from __future__ import annotations

from dataclasses import dataclass

from bastion.server.oidc import OidcSettings

MIB = 1024 * 1024


@dataclass(frozen=True)
class ServerSettings:
    """Settings of one server; `database_url` None: `$BASTION_DATABASE_URL`, else the default SQLite file."""

    database_url: str | None = None
    max_upload_bytes: int = 20 * MIB
    """Largest request body accepted (413 beyond)."""
    login_max_failures: int = 5
    """Failed logins per user name, or per address, within `login_window_s` before 429."""
    login_window_s: int = 15 * 60
    token_ttl_s: int = 12 * 3600
    """Lifetime of a token issued by `POST /api/v1/auth/token`."""
    workers: int = 0
    """Processes of the local Dask cluster that executes queued jobs (0: none; `bastion serve` starts 1
    by default); ignored with a scheduler."""
    scheduler: str | None = None
    """A Dask scheduler's address for the jobs (None: `$BASTION_DASK_SCHEDULER`, else the local cluster)."""
    run_jobs: bool = True
    """This process runs the job queue (recovering interrupted jobs on start, the dispatcher). False in the
    request-only worker processes of `bastion serve --processes N` (processes.py)."""
    oidc: OidcSettings | None = None
    """OpenID Connect sign-in (None: off); `bastion serve` reads it from the environment (oidc.py)."""
