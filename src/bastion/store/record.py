"""What the store keeps about one finished run: `RunRecord`, and `RunSummary` for listings."""

from __future__ import annotations

import hashlib
import secrets
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

#: Distributions whose versions a run records by default (those not installed are left out).
DEFAULT_PACKAGES = ("bastion", "numpy", "highspy", "ortools", "pydantic", "jax", "sqlalchemy")


def scenario_hash(text: str) -> str:
    """The sha256 (hex) of a scenario file's text, encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_run_id(now: datetime | None = None) -> str:
    """A run id, `YYYYMMDD-HHMMSS-xxxxxx` (UTC time and 6 random hex digits): sorts by creation time."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def package_versions(names: tuple[str, ...] = DEFAULT_PACKAGES) -> dict[str, str]:
    """Installed versions of `names` (missing ones skipped), plus the Python version."""
    versions = {"python": ".".join(str(part) for part in sys.version_info[:3])}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@dataclass(frozen=True)
class RunRecord:
    """One finished run: its inputs, provenance and every result, as JSON-able values.

    The store does not look inside `headline`, `results` or `tables`; they must be
    JSON-able (str, int, float without NaN/Infinity, bool, None, lists, dicts with str keys).
    """

    run_id: str
    """Unique id; `new_run_id()` makes one that sorts by creation time."""
    created_at: datetime
    """When the run was made; timezone-aware (stored and returned in UTC)."""
    scenario_name: str
    """The scenario's own name."""
    scenario_file: str
    """The scenario file's path as the user gave it."""
    scenario_text: str
    """The scenario file's text, verbatim."""
    scenario_hash: str
    """sha256 (hex) of `scenario_text`; see `scenario_hash()`."""
    seed: int
    """Random seed of the Monte-Carlo stages."""
    paths: int
    """Number of Monte-Carlo paths."""
    versions: dict[str, str]
    """Package versions (bastion, numpy, highspy, ortools, ...); see `package_versions()`."""
    timings: dict[str, float]
    """Seconds per stage."""
    status: str
    """Outcome: "ok", "short" (some target short), ..."""
    headline: dict[str, Any]
    """Small summary shown by `bastion runs list` and compared by `compare`."""
    results: dict[str, Any] = field(default_factory=dict)
    """Engine name ("schedule", "plan", "simulate", ...) -> its JSON object."""
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Table name -> rows (tidy tables: one dict per row)."""

    def __post_init__(self) -> None:
        if not self.run_id:
            raise ValueError("run_id is empty")
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            raise ValueError("created_at must be timezone-aware (use UTC)")

    @classmethod
    def new(
        cls,
        *,
        scenario_name: str,
        scenario_file: str,
        scenario_text: str,
        seed: int,
        paths: int,
        status: str,
        headline: dict[str, Any],
        results: dict[str, Any] | None = None,
        tables: dict[str, list[dict[str, Any]]] | None = None,
        timings: dict[str, float] | None = None,
        versions: dict[str, str] | None = None,
        created_at: datetime | None = None,
    ) -> RunRecord:
        """A record with a fresh id, the current UTC time, the text's hash and the installed versions."""
        moment = (created_at or datetime.now(UTC)).astimezone(UTC)
        return cls(
            run_id=new_run_id(moment),
            created_at=moment,
            scenario_name=scenario_name,
            scenario_file=scenario_file,
            scenario_text=scenario_text,
            scenario_hash=scenario_hash(scenario_text),
            seed=seed,
            paths=paths,
            versions=package_versions() if versions is None else versions,
            timings=timings or {},
            status=status,
            headline=headline,
            results=results or {},
            tables=tables or {},
        )


@dataclass(frozen=True)
class RunSummary:
    """One line of `bastion runs list`: a run without its scenario text and results."""

    run_id: str
    created_at: datetime
    scenario_name: str
    scenario_hash: str
    status: str
    headline: dict[str, Any]

    @property
    def hash_prefix(self) -> str:
        """The first 12 hex digits of the scenario hash: enough to tell scenarios apart."""
        return self.scenario_hash[:12]
