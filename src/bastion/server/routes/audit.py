"""`GET /api/v1/audit`: the audit trail, for auditors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from bastion.server import audit as trail
from bastion.server.audit_read import reading_left_out, visible_records
from bastion.server.deps import Auditor
from bastion.server.errors import Invalid
from bastion.server.security import NO_NUL
from bastion.store.server_tables import AuditRecord

router = APIRouter(prefix="/api/v1", tags=["audit"])


class AuditOut(BaseModel):
    seq: int
    at: str
    actor: str
    address: str
    action: str
    object: str
    outcome: str
    prev_hash: str
    hash: str


@router.get("/audit", response_model=list[AuditOut], responses={401: {}, 403: {}, 422: {}})
def read_audit(
    ctx: Auditor,
    actor: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    outcome: Annotated[str | None, Query(max_length=32, pattern=NO_NUL)] = None,
    since: Annotated[
        str | None,
        Query(
            max_length=40,
            pattern=NO_NUL,
            description="ISO 8601 date or date-time, e.g. 2026-11-30 or 2026-11-30T14:00:00+02:00 (no offset: UTC)",
        ),
    ] = None,
    after_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Audit records, oldest first, filtered by actor, action, outcome, time (`since`) and sequence; only
    records about scenarios, runs and studies the auditor may see (or about none). The trail's own
    successful reads (`read-audit`) are listed only with `action=read-audit`, then without the
    caller's own: paging with `after_seq` ends with an empty page."""
    query = select(AuditRecord).where(AuditRecord.seq > after_seq)
    for column, value in ((AuditRecord.actor, actor), (AuditRecord.action, action), (AuditRecord.outcome, outcome)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        try:
            query = query.where(AuditRecord.at >= trail.since_text(since))  # the trail's own form: UTC, fixed width
        except ValueError as error:
            raise ctx.refuse(Invalid(str(error)), "read-audit", "-", "invalid") from None
    assert ctx.caller is not None
    query = reading_left_out(query, action, ctx.caller.name)
    rows = [trail.as_json(r) for r in visible_records(ctx.session, ctx.caller, query, limit)]
    ctx.record("read-audit", "-", "ok")
    return rows
