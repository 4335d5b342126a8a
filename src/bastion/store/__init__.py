"""The run store: finished runs kept in SQLite (default) or PostgreSQL, with alembic migrations.

`RunStore.open()` opens `$BASTION_DATABASE_URL`, else the default SQLite file (see
`location`), and migrates it; `save(RunRecord.new(...))` stores a run in one
transaction; `get` accepts a unique prefix of a run id. docs/store.md has the details.
"""

from __future__ import annotations

from bastion.store.compare import compare, diff_values, line_changes, scenario_diff
from bastion.store.errors import (
    AmbiguousRunId,
    InvalidRecord,
    RunExists,
    RunNotFound,
    SchemaTooNew,
    StoreDamaged,
    StoreError,
    StoreReadOnly,
    StoreUnavailable,
)
from bastion.store.location import DATABASE_URL_ENV, HOME_ENV, default_path, resolve_url
from bastion.store.record import RunRecord, RunSummary, new_run_id, package_versions, scenario_hash
from bastion.store.repository import RunStore

__all__ = [
    "DATABASE_URL_ENV",
    "HOME_ENV",
    "AmbiguousRunId",
    "InvalidRecord",
    "RunExists",
    "RunNotFound",
    "RunRecord",
    "RunStore",
    "RunSummary",
    "SchemaTooNew",
    "StoreDamaged",
    "StoreError",
    "StoreReadOnly",
    "StoreUnavailable",
    "compare",
    "default_path",
    "diff_values",
    "line_changes",
    "new_run_id",
    "package_versions",
    "resolve_url",
    "scenario_diff",
    "scenario_hash",
]
