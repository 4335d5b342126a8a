"""The workspace server's tables (`bastion serve`): users, tokens, login failures,
versioned scenarios with their releasability, and the hash-chained audit trail.

They share the run store's `Base` (one schema, one set of alembic migrations: r0003 to r0009).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.schema import Base, UTCDateTime


class User(Base):
    """One server user: a role, a nation (ISO 3166-1 alpha-3) and a clearance."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    nation: Mapped[str] = mapped_column(String(3))
    clearance: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A bearer token or a browser session's token, stored as the sha256 of the random token (the
    token itself is shown once, or held only in the session cookie)."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(16), default="login", server_default="login")
    """`login` (POST /api/v1/auth/token), `session` (a browser's cookie) or `script` (a named token, r0007)."""
    name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """A script token's name, given by its owner (None for the other kinds)."""
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    """When a request last used it (to the minute: written at most once a minute)."""


class LoginFailure(Base):
    """One failed login, for the rate limit (per user name and per address)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ServerScenario(Base):
    """A scenario on the server: its current releasability (that of its newest revision)."""

    __tablename__ = "server_scenarios"
    __table_args__ = (
        Index("ix_server_scenarios_created_at_id", "created_at", "id"),
        # a list page's filter and order (live ones, oldest first): SQLite reads the page in order (r0008)
        Index("ix_server_scenarios_archived_created_at_id", "archived", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    owner: Mapped[str] = mapped_column(String(3), index=True)
    level: Mapped[str] = mapped_column(String(16))
    level_rank: Mapped[int] = mapped_column(Integer, index=True)
    head: Mapped[int] = mapped_column(Integer)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)
    """Archived ("deleted"): left out of the default list, still readable; never deleted."""


class ScenarioRelease(Base):
    """One nation (besides the owner) a scenario is currently releasable to."""

    __tablename__ = "scenario_releases"

    scenario_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("server_scenarios.id", ondelete="CASCADE"), primary_key=True
    )
    nation: Mapped[str] = mapped_column(String(3), primary_key=True)


class ScenarioRevision(Base):
    """One immutable revision of a scenario: its text, author, time, message and parent."""

    __tablename__ = "scenario_revisions"

    scenario_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("server_scenarios.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    message: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    releasability: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditRecord(Base):
    """One audit record; `prev_hash` is the sha256 of the previous record's canonical JSON."""

    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(32))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The audit chain's head: one row (`id` 1), the last record's `seq` and `hash`, moved in the
    transaction of every append, so that deleting the newest records shows (r0009)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class ServerRun(Base):
    """A run of a scenario revision as a job: queued, running, then done, failed or interrupted."""

    __tablename__ = "server_runs"
    __table_args__ = (Index("ix_server_runs_status_created_at", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scenario_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("server_scenarios.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    paths: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The run's id in the run store once done."""
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    report_html: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    report_xlsx: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    """When `stage` and `step` were last written (r0004)."""
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Raised each time a worker takes the job; a worker writes only while its attempt is the job's."""
    kind: Mapped[str] = mapped_column(String(16), default="run", server_default="run")
    """`run` or `study` (both go through the same queue)."""
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """A study's request (vary, sample, tornado, confidence, futures, skip_invalid); None for a run."""
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    """A run's plan confidence (0 < P < 1); None: the deterministic plan (r0006)."""
    futures: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """A run's sampled futures for a confidence plan (its own or its targets'); None on runs before r0006."""
