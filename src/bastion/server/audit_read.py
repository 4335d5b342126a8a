"""Reading the audit trail as an auditor: only the records about what the auditor may see.

A record's `object` names what it is about: `scenario:ID` (or `scenario:ID@N`, `scenario:ID@A..B`,
`scenario:NEW@1 from scenario:OLD@N`), `run:ID` (or `run:A..B`, `run:A,run:B`), `study:ID`, or a
request path such as `POST /api/v1/runs/ID/cancel` (a refused CSRF check). An auditor reads a
record only if every scenario, run and study it names is visible to them (the repository's
filter: their clearance at least the scenario's level, their nation the owner's or released to).
A record that names none (a login, a user change, a list, `-`) is shown to every auditor.

Whatever text stands where an id goes (after `scenario:`, `run:`, `study:` or a run range's
`..`, and as the path segment after `/scenarios/`, `/runs/`, `/studies/` or a comparison's
`/compare/`) is read as an id, whatever it looks like: the routes take any `[A-Za-z0-9_-]+`, so a
refused request can name `scenario:F4E34CFBBB092770` (an existing id upper-cased),
`scenario:nonsense` or an id with a suffix (a refused request's path is recorded as its route's
template, deps.request_object). A text that is not exactly the id of an object the auditor may see, whether it names an
invisible object, none at all, or a near-copy of an id, hides the record: the trail never tells an
auditor whether an id exists, nor shows another nation's ids in altered form. Records are read in
batches in sequence order and filtered until the page is full, so `limit` counts visible records
and a count never includes a hidden one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Select, and_, not_, select
from sqlalchemy.orm import Session

from bastion.server.repository import Caller, visible_ids
from bastion.store.server_tables import AuditRecord

_ID = r"[^\s@,./?#]*"
"""An id's text: up to the next separator of the record formats (`@`, `,`, `..`, `/`, a space)."""
_NAMED = re.compile(
    rf"\b(scenario|run|study):({_ID})(?:\.\.({_ID}))?|/(scenarios|runs|studies)/([^/?#]*)|/(compare)/([^/?#]*)"
)
_ROUTE_WORDS = {"validate"}
"""Path segments after `/scenarios/` that are routes, not ids (`POST /api/v1/scenarios/validate`)."""
BATCH = 500


def references(obj: str) -> tuple[set[str], set[str]]:
    """The scenario ids and the job (run or study) ids an audit record's object names."""
    scenarios: set[str] = set()
    jobs: set[str] = set()
    for found in _NAMED.finditer(obj):
        if found.group(6):  # a path's `/runs/A/compare/B`: B is a run id too
            jobs.add(found.group(7))
            continue
        kind = found.group(1) or found.group(4)
        ids = [found.group(2)] if found.group(1) else []
        if found.group(3) is not None:
            ids.append(found.group(3))
        if found.group(5) is not None and found.group(5) not in _ROUTE_WORDS:
            ids.append(found.group(5))
        (scenarios if kind.startswith("scenario") else jobs).update(ids)
    return scenarios, jobs


def _visible_of(session: Session, caller: Caller, objects: Sequence[str]) -> list[bool]:
    named = [references(o) for o in objects]
    seen_scenarios, seen_jobs = visible_ids(
        session, caller, set().union(*(s for s, _ in named)), set().union(*(j for _, j in named))
    )
    return [s <= seen_scenarios and j <= seen_jobs for s, j in named]


def _batches(
    session: Session, query: Select[Any], newest_first: bool
) -> Iterator[list[AuditRecord]]:
    cursor: int | None = None
    while True:
        page = query
        if cursor is not None:
            page = page.where(AuditRecord.seq < cursor if newest_first else AuditRecord.seq > cursor)
        order = AuditRecord.seq.desc() if newest_first else AuditRecord.seq
        rows = list(session.execute(page.order_by(order).limit(BATCH)).scalars())
        if not rows:
            return
        yield rows
        cursor = rows[-1].seq


def visible_records(
    session: Session, caller: Caller, query: Select[Any], limit: int, *, newest_first: bool = False
) -> list[AuditRecord]:
    """Up to `limit` records of `query` (filters already applied) that `caller` may see, in sequence order."""
    out: list[AuditRecord] = []
    for rows in _batches(session, query, newest_first):
        out += [r for r, ok in zip(rows, _visible_of(session, caller, [r.object for r in rows]), strict=True) if ok]
        if len(out) >= limit:
            return out[:limit]
    return out


def count_visible(session: Session, caller: Caller, query: Select[Any]) -> int:
    """How many records of `query` `caller` may see (never counting a hidden one)."""
    total = 0
    cursor = 0
    narrow = query.with_only_columns(AuditRecord.seq, AuditRecord.object)
    while True:
        rows = session.execute(narrow.where(AuditRecord.seq > cursor).order_by(AuditRecord.seq).limit(BATCH)).all()
        if not rows:
            return total
        total += sum(_visible_of(session, caller, [str(obj) for _, obj in rows]))
        cursor = int(rows[-1][0])


def reading_left_out(query: Select[Any], action: str | None, reader: str) -> Select[Any]:
    """`query` without the trail's own successful reads, so that paging ends: every read of the trail
    appends a `read-audit` record, so a listing that showed them would always have one more page.
    They are listed only when asked for (`action` `read-audit`), and then without the reader's own
    (those of the other auditors are what such a listing is for). Refused reads stay listed."""
    own = AuditRecord.action == "read-audit"
    if action == "read-audit":
        own = AuditRecord.actor == reader
    return query.where(not_(and_(own, AuditRecord.outcome == "ok")))


def all_records() -> Select[Any]:
    """The query of every record, for the filters to narrow."""
    return select(AuditRecord)
