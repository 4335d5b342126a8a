"""The audit trail: append-only records, each holding the sha256 of the previous record's canonical JSON.

A record's canonical JSON is its fields (`seq`, `at`, `actor`, `address`, `action`, `object`,
`outcome`, `prev_hash`) as JSON with sorted keys and no spaces; `hash` is its sha256 and the
next record's `prev_hash`. The first record's `prev_hash` is 64 zeros. `verify` walks the chain
and names the first record that breaks it: one edited (its hash no longer matches its fields),
one deleted (a gap in the sequence numbers) or one inserted (a record that does not follow the
one before it).

A chain cannot show its newest records deleted (a cut tail): what is left is a shorter intact
chain. So every append also moves the chain's head (`audit_head`, one row: the last `seq` and
`hash`) in the same transaction, and `verify` compares the chain's end with it; and an operator
who keeps a head `verify` printed (outside the database) can pass it back, which shows any cut,
even one whose author also rewrote `audit_head`.

`verify` reads the chain in many queries, then the head: `checked` runs them all, and `head`, in one
read-only transaction on one snapshot of the store (PostgreSQL: REPEATABLE READ; SQLite: a deferred
transaction, which in WAL mode reads one snapshot without the write lock), so that records appended
meanwhile are neither half seen (a false "deleted") nor block the check, nor are blocked by it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from bastion.store.engine import WRITE_OPTION
from bastion.store.server_tables import AuditHead, AuditRecord

GENESIS = "0" * 64
_FIELDS = ("seq", "at", "actor", "address", "action", "object", "outcome", "prev_hash")
BATCH_KEY = "bastion_audit_batch"
"""Key of a reading session's `AuditBatch` in its `info`."""


def canonical(record: AuditRecord) -> str:
    """The record's canonical JSON (every field but `hash`)."""
    return json.dumps({name: getattr(record, name) for name in _FIELDS}, sort_keys=True, separators=(",", ":"))


def digest(record: AuditRecord) -> str:
    """sha256 (hex) of the record's canonical JSON."""
    return hashlib.sha256(canonical(record).encode("utf-8")).hexdigest()


def _digest_fields(row: dict[str, Any]) -> str:
    text_ = json.dumps({name: row[name] for name in _FIELDS}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


def now_text() -> str:
    """The current UTC time as the audit trail writes it (ISO 8601, microseconds, `Z`)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def since_text(value: str) -> str:
    """An ISO 8601 date or date-time (with an offset or `Z`; without one it is UTC) as the trail writes
    times, so that comparing texts compares times; ValueError with a message saying what is expected."""
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(
            f"since: {value!r} is not an ISO 8601 date or date-time "
            "(e.g. 2026-11-30, 2026-11-30T12:00:00Z or 2026-11-30T14:00:00+02:00; no offset means UTC)"
        ) from None
    return f"{parsed.year:04d}" + parsed.strftime("-%m-%dT%H:%M:%S.%fZ")


def append(session: Session, *, actor: str, address: str, action: str, obj: str, outcome: str) -> None:
    """Add one record at the end of the chain.

    A session that only reads (a GET request's: `Database.session(read=True)`, which puts its
    `AuditBatch` in `session.info`) hands the record to that batch, which appends it in a short
    transaction of its own, together with those of the requests appending at the same moment, and
    returns once it is committed. Any other session appends it in its own (writing) transaction, so
    that a change and its record commit together. Either way the caller's answer leaves only after
    its record is written.
    """
    fields = _fields(actor, address, action, obj, outcome)
    batch = session.info.get(BATCH_KEY)
    if isinstance(batch, AuditBatch):
        # End the read's own transaction first (it wrote nothing; its objects stay loaded): a reader
        # still inside its snapshot when the batch commits keeps SQLite's automatic checkpoint from
        # finishing, so under steady reading the write-ahead log never restarts and only grows.
        session.commit()
        batch.append(fields)
        return
    _write(session, [fields])


def _fields(actor: str, address: str, action: str, obj: str, outcome: str) -> dict[str, Any]:
    return {
        "at": now_text(),
        "actor": actor[:200],
        "address": address[:100],
        "action": action[:64],
        "object": obj[:200],
        "outcome": outcome[:32],
    }


def _write(executor: Session | Connection, records: list[dict[str, Any]]) -> None:
    """Append `records` (their fields but `seq`, `prev_hash` and `hash`) at the end of the chain, in
    the transaction of `executor` (a request's session: its change and its record commit together; or
    the audit batch's connection), under the chain's lock (PostgreSQL: an advisory lock held to the
    end of the transaction; SQLite: the file's write lock, which a writing transaction holds from its
    start).

    Plain SQL in the transaction SQLAlchemy began (`exec_driver_sql`: nothing to compile, no ORM
    object, but SQLAlchemy's own error wrapping and disconnect handling): on PostgreSQL the chain's
    lock, then the chain's head (the last `seq`, one query on the primary key's index) and one INSERT
    of every record, numbered and hashed from it. The batch writer's connection on PostgreSQL:
    `_write_pipelined`, which also commits.
    """
    if isinstance(executor, Connection) and executor.dialect.name == "postgresql":
        _write_pipelined(executor, records)  # the batch writer's connection: two round trips, its commit included
        return
    if isinstance(executor, Session):
        # the session's own pending changes first (their row locks, e.g. revoked tokens): the chain's
        # lock is the last a transaction takes, else a writer holding a row this change updates while
        # it waits for the chain would deadlock with it (PostgreSQL)
        executor.flush()
    connection = executor if isinstance(executor, Connection) else executor.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(_CHAIN_LOCK)
    rows, seq, previous = _chained(records, connection.exec_driver_sql(_LAST).first())
    qmark = connection.dialect.paramstyle == "qmark"
    connection.exec_driver_sql(_INSERT_QMARK if qmark else _INSERT_FORMAT, rows)
    moved = connection.exec_driver_sql(_MOVE_HEAD_QMARK if qmark else _MOVE_HEAD_FORMAT, (seq, previous))
    if moved.rowcount == 0:  # a store whose head row is missing: start it here
        connection.exec_driver_sql(_NEW_HEAD_QMARK if qmark else _NEW_HEAD_FORMAT, (seq, previous))


def _write_pipelined(connection: Connection, records: list[dict[str, Any]]) -> None:
    """As `_write`, on PostgreSQL, for the batch writer's own connection, and its commit: the same
    statements in two round trips instead of six (psycopg's pipeline mode: statements sent together,
    run one after the other by the server, each on its own snapshot). First BEGIN, the chain's lock
    and the chain's head, then the INSERT of every record, the stored head's move (an upsert: its
    row is created if missing, as `_write` does) and COMMIT. Each reading request waits for the
    batch it is in, and the chain's lock is held from the first round trip to the commit: both are
    now two round trips, not six and four (on busy cores each round trip waits for PostgreSQL's
    process to be scheduled, then for the server's thread)."""
    driver: Any = connection.connection.driver_connection  # psycopg's connection
    with driver.pipeline(), driver.cursor() as lock, driver.cursor() as cursor:
        lock.execute(_CHAIN_LOCK)
        cursor.execute(_LAST)
        rows, seq, previous = _chained(records, cursor.fetchone())  # fetchone: the first round trip
        cursor.executemany(_INSERT_FORMAT, rows)
        cursor.execute(_PUT_HEAD_FORMAT, (seq, previous))
        driver.commit()  # the second round trip; SQLAlchemy's commit after it finds nothing to commit


def _chained(records: list[dict[str, Any]], last: Any) -> tuple[list[tuple[Any, ...]], int, str]:
    """The rows to INSERT for `records` after the chain's last record `last` ((seq, hash), or None for
    an empty trail): numbered and hashed in turn; and the new head's seq and hash."""
    seq, previous = (0, GENESIS) if last is None else (int(last[0]), str(last[1]))
    rows = []
    for fields in records:
        seq += 1
        row = {"seq": seq, **fields, "prev_hash": previous}
        row["hash"] = previous = _digest_fields(row)
        rows.append(tuple(row[name] for name in _COLUMNS))
    return rows, seq, previous


_TABLE = cast(Table, AuditRecord.__table__)
_COLUMNS = (*_FIELDS, "hash")
_CHAIN_LOCK = "SELECT pg_advisory_xact_lock(195956999)"
_LAST = f"SELECT seq, hash FROM {_TABLE.name} ORDER BY seq DESC LIMIT 1"
_INSERT_QMARK = f"INSERT INTO {_TABLE.name} ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_INSERT_FORMAT = _INSERT_QMARK.replace("?", "%s")  # the driver's paramstyle: format / pyformat (psycopg)
_HEAD = cast(Table, AuditHead.__table__).name
_MOVE_HEAD_QMARK = f"UPDATE {_HEAD} SET seq = ?, hash = ? WHERE id = 1"
_MOVE_HEAD_FORMAT = _MOVE_HEAD_QMARK.replace("?", "%s")
_NEW_HEAD_QMARK = f"INSERT INTO {_HEAD} (id, seq, hash) VALUES (1, ?, ?)"
_NEW_HEAD_FORMAT = _NEW_HEAD_QMARK.replace("?", "%s")
_PUT_HEAD_FORMAT = (
    f"INSERT INTO {_HEAD} (id, seq, hash) VALUES (1, %s, %s) "
    "ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash"
)


class AuditBatch:
    """Appends the records of reading sessions, many per transaction (a group commit).

    `append` queues a record and waits until it is committed. The caller that finds no batch being
    written writes one: every record queued so far, in one transaction on the batch's own engine
    (connections outside the requests' pool, so that requests holding theirs never starve it). Then,
    if records were queued meanwhile, it hands the writing on to the first of their callers (which
    writes them all) and returns: no caller waits for more than the batch being written and its own.
    Nothing is answered before its record is committed, so a crash loses no record of an answered
    request; a failed commit fails the requests whose records it held (500, nothing answered).

    The batch keeps one connection of its engine open between batches (only one batch is written at a
    time), rather than taking one from the pool for each; after a failed batch it is closed, and the
    next batch opens a fresh one. `engine` must begin its transactions with the write lock where the
    database has one (SQLite: `BEGIN IMMEDIATE`, the store's `WRITE_OPTION`).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._lock = threading.Lock()
        self._queued: list[_Queued] = []
        self._writing = False

    def close(self) -> None:
        """Close the batch's connection (a batch written later opens a new one)."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def append(self, fields: dict[str, Any]) -> None:
        mine = _Queued(fields)
        with self._lock:
            self._queued.append(mine)
            lead = not self._writing
            self._writing = True
        if not lead:
            mine.done.wait()
            lead = mine.lead  # handed the writing: its record is still queued
        if lead:
            self._write_batch()
        if mine.error is not None:
            raise mine.error

    def _write_batch(self) -> None:
        with self._lock:
            batch, self._queued = self._queued, []
        error: BaseException | None = None
        try:
            if self._connection is None:
                self._connection = self._engine.connect()
            with self._connection.begin():
                _write(self._connection, [queued.fields for queued in batch])
        except BaseException as exc:  # handed to every request of the batch
            error = exc
            connection, self._connection = self._connection, None
            if connection is not None:
                try:
                    connection.invalidate()  # whatever state it is in, never used again
                    connection.close()
                except Exception:  # already failing: the waiters below must still be woken
                    pass
        with self._lock:
            for queued in batch:
                queued.error, queued.lead = error, False
                queued.done.set()
            if self._queued:
                self._queued[0].lead = True
                self._queued[0].done.set()
            else:
                self._writing = False


class _Queued:
    __slots__ = ("done", "error", "fields", "lead")

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.lead = False


@dataclass(frozen=True)
class Broken:
    """The first record that breaks the chain and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"audit record {self.seq}: {self.reason}"


CHUNK = 5000
"""Records `verify` reads per query (its memory holds one chunk, whatever the trail's length)."""


def _chain(session: Session) -> Iterator[dict[str, Any]]:
    """Every record's fields, in sequence order, read in chunks of `CHUNK` (plain rows, no ORM object)."""
    columns = [getattr(AuditRecord, name) for name in _COLUMNS]
    cursor: int | None = None
    while True:
        query = select(*columns).order_by(AuditRecord.seq).limit(CHUNK)
        if cursor is not None:
            query = query.where(AuditRecord.seq > cursor)
        rows = session.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield dict(row._mapping)
        cursor = int(rows[-1][0])


def parse_head(text_: str) -> tuple[int, str]:
    """`SEQ:HASH` (as `verify` prints the head) as (seq, hash); ValueError with the reason otherwise."""
    seq, colon, hash_ = text_.strip().partition(":")
    if not colon or not seq.isdigit() or len(hash_) != 64 or any(c not in "0123456789abcdef" for c in hash_):
        raise ValueError(f"{text_!r} is not a chain head SEQ:HASH (a record number, a colon, 64 hexadecimal digits)")
    return int(seq), hash_


def head(session: Session) -> tuple[int, str]:
    """The chain's last record as (seq, hash); (0, 64 zeros) for an empty trail."""
    last = session.execute(select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)).first()
    return (0, GENESIS) if last is None else (int(last[0]), str(last[1]))


def verify(session: Session, expected: tuple[int, str] | None = None) -> tuple[int, Broken | None]:
    """(records checked, the first broken record or None when the chain is intact).

    Besides the chain itself: its end must be the head stored in `audit_head` (else the newest
    records were deleted, or records were appended outside Bastion), and, when `expected` (a head
    an earlier `verify` printed, kept outside the database) is given, the record of its number must
    exist with its hash."""
    count = 0
    last_seq, last_hash = 0, GENESIS
    seen_expected: str | None = None
    for record in _chain(session):
        count += 1
        seq = int(record["seq"])
        if seq != last_seq + 1:
            return count, Broken(
                last_seq + 1 if seq > last_seq + 1 else seq,
                f"missing: the chain jumps from record {last_seq} to {seq} (a record was deleted)",
            )
        if _digest_fields(record) != record["hash"]:
            return count, Broken(seq, "edited: its fields no longer match its hash")
        if record["prev_hash"] != last_hash:
            return count, Broken(
                seq, f"does not follow record {last_seq} (it or the record before it was inserted, or one was deleted)"
            )
        last_seq, last_hash = seq, str(record["hash"])
        if expected is not None and seq == expected[0]:
            seen_expected = last_hash
    stored = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).first()
    if stored is None:
        return count, Broken(last_seq, "the chain's head (table audit_head) is missing: it was deleted")
    if int(stored[0]) > last_seq:
        return count, Broken(
            last_seq + 1,
            f"missing: the trail ends at record {last_seq} but the chain's head is record {stored[0]} "
            f"(records {last_seq + 1} to {stored[0]} were deleted)",
        )
    if int(stored[0]) < last_seq:
        return count, Broken(
            int(stored[0]) + 1,
            f"after the chain's head (record {stored[0]}): records {int(stored[0]) + 1} to {last_seq} were "
            "appended outside Bastion, or the head was rewritten",
        )
    if stored[1] != last_hash:
        return count, Broken(last_seq, "differs from the chain's head (table audit_head): it was replaced")
    if expected is not None:
        if expected[0] > last_seq:
            return count, Broken(
                last_seq + 1,
                f"missing: the trail ends at record {last_seq} but the head given is record {expected[0]} "
                f"(records {last_seq + 1} to {expected[0]} were deleted)",
            )
        if seen_expected != expected[1] and not (expected[0] == 0 and expected[1] == GENESIS):
            return count, Broken(expected[0], "differs from the head given: it or a record before it was rewritten")
    return count, None


@dataclass(frozen=True)
class Checked:
    """What `checked` found: the records checked, the first broken record (None: intact) and the head
    of the chain it checked (seq, hash)."""

    records: int
    broken: Broken | None
    head: tuple[int, str]


def checked(engine: Engine, expected: tuple[int, str] | None = None) -> Checked:
    """`verify` and `head` in one read-only transaction of its own on `engine` (a connection of its
    own, closed at the end), on one snapshot of the store, taking no write lock.

    Under PostgreSQL's default READ COMMITTED every statement sees the commits made before it, so a
    record appended between the chain's last chunk and the read of `audit_head` would show as
    "deleted" (the head is ahead of the chain read), and a head read after the walk could be newer
    than the chain checked: here the transaction is REPEATABLE READ (one snapshot, set before its
    first statement) and READ ONLY. On SQLite the transaction is a plain (deferred) BEGIN, not the
    writers' BEGIN IMMEDIATE: in WAL mode it reads one snapshot and never holds the write lock, so
    requests keep appending their records while a long trail is checked."""
    options: dict[str, Any] = {WRITE_OPTION: False}
    if engine.dialect.name == "postgresql":
        options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with Session(engine.execution_options(**options)) as session:
        try:
            count, broken = verify(session, expected)
            return Checked(count, broken, head(session))
        finally:
            session.rollback()  # it only read


def as_json(record: AuditRecord) -> dict[str, Any]:
    """The record as the API returns it."""
    return {name: getattr(record, name) for name in (*_FIELDS, "hash")}
