"""The audit trail: append-only records, each holding the sha256 of the previous record's canonical JSON.

A record's canonical JSON is its fields (`seq`, `at`, `actor`, `address`, `action`, `object`,
`outcome`, `prev_hash`) as JSON with sorted keys and no spaces; `hash` is its sha256 and the
next record's `prev_hash`. The first record's `prev_hash` is 64 zeros. `verify` walks the chain
and names the first record that breaks it: one edited (its hash no longer matches its fields),
one deleted (a gap in the sequence numbers) or one inserted (a record that does not follow the
one before it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bastion.store.server_tables import AuditRecord

GENESIS = "0" * 64
_FIELDS = ("seq", "at", "actor", "address", "action", "object", "outcome", "prev_hash")


def canonical(record: AuditRecord) -> str:
    """The record's canonical JSON (every field but `hash`)."""
    return json.dumps({name: getattr(record, name) for name in _FIELDS}, sort_keys=True, separators=(",", ":"))


def digest(record: AuditRecord) -> str:
    """sha256 (hex) of the record's canonical JSON."""
    return hashlib.sha256(canonical(record).encode("utf-8")).hexdigest()


def now_text() -> str:
    """The current UTC time as the audit trail writes it (ISO 8601, microseconds, `Z`)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append(session: Session, *, actor: str, address: str, action: str, obj: str, outcome: str) -> AuditRecord:
    """Add one record at the end of the chain, in the session's (writing) transaction.

    On PostgreSQL an advisory lock serialises appenders; on SQLite the session's transaction
    holds the write lock already (`BEGIN IMMEDIATE`).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(195956999)"))
    last = session.execute(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).scalar_one_or_none()
    record = AuditRecord(
        seq=1 if last is None else last.seq + 1,
        at=now_text(),
        actor=actor[:200],
        address=address[:100],
        action=action[:64],
        object=obj[:200],
        outcome=outcome[:32],
        prev_hash=GENESIS if last is None else last.hash,
    )
    record.hash = digest(record)
    session.add(record)
    session.flush()
    return record


@dataclass(frozen=True)
class Broken:
    """The first record that breaks the chain and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"audit record {self.seq}: {self.reason}"


def verify(session: Session) -> tuple[int, Broken | None]:
    """(records checked, the first broken record or None when the chain is intact)."""
    previous: AuditRecord | None = None
    count = 0
    for record in session.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars():
        count += 1
        expected_seq = 1 if previous is None else previous.seq + 1
        if record.seq != expected_seq:
            missing = expected_seq if record.seq > expected_seq else record.seq
            return count, Broken(
                missing,
                f"missing: the chain jumps from record {expected_seq - 1} to {record.seq} (a record was deleted)",
            )
        if digest(record) != record.hash:
            return count, Broken(record.seq, "edited: its fields no longer match its hash")
        expected_prev = GENESIS if previous is None else digest(previous)
        if record.prev_hash != expected_prev:
            return count, Broken(
                record.seq,
                f"does not follow record {expected_seq - 1} "
                "(it or the record before it was inserted, or one was deleted)",
            )
        previous = record
    return count, None


def as_json(record: AuditRecord) -> dict[str, Any]:
    """The record as the API returns it."""
    return {name: getattr(record, name) for name in (*_FIELDS, "hash")}
