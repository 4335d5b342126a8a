"""Errors of the run store."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of the run store's errors."""


class RunNotFound(StoreError, LookupError):
    """No run has this id, nor an id starting with it."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run with id {run_id!r} (nor one starting with it)")
        self.run_id = run_id


class AmbiguousRunId(StoreError, LookupError):
    """More than one run's id starts with this prefix."""

    def __init__(self, prefix: str, matches: list[str]) -> None:
        shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
        super().__init__(f"run id prefix {prefix!r} is ambiguous: it matches {shown}; give more characters")
        self.prefix = prefix
        self.matches = matches


class RunExists(StoreError):
    """A run with this id is already stored."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"a run with id {run_id!r} is already stored")
        self.run_id = run_id


class InvalidRecord(StoreError, ValueError):
    """A record that cannot be stored as it is (not JSON-able, wrong hash, ...)."""


class SchemaTooNew(StoreError):
    """The database was migrated by a newer Bastion than this one."""


class StoreUnavailable(StoreError):
    """The store cannot be opened or reached (bad URL, unwritable folder, server down or hung)."""


class StoreDamaged(StoreError):
    """The store's database is corrupted: a damaged file, a missing table, unreadable JSON."""


class StoreReadOnly(StoreError):
    """The store can be read but not written (a read-only file or folder)."""
