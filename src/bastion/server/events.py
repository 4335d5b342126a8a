"""Server-sent events of a run's progress: `GET /api/v1/runs/{id}/events` (text/event-stream).

The stream reads the job's stored progress (the `stage` and `step` its worker writes, as the
CLI shows them) every `POLL_S` seconds, through the repository with the caller's visibility,
and sends an event whenever it changes:

    event: progress
    data: {"id": ..., "status": "running", "stage": "plan", "step": "...", "text": "plan: ...", ...}

When the run has ended (done, failed, interrupted, cancelled) it sends one `event: end` with
the same data and closes. A comment line (`: keep-alive`) goes out every `KEEPALIVE_S` seconds
of silence. A run that stops being visible meanwhile (its releasability narrowed) ends the
stream with `event: end` and `{"status": "gone"}`, as if it had been removed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bastion.run import STAGES
from bastion.server.db import Database
from bastion.server.jobs import FINISHED
from bastion.server.repository import Caller, Runs

POLL_S = 0.5
"""How often the stream reads the job's progress."""
KEEPALIVE_S = 15.0


def progress_event(run: Any) -> dict[str, Any]:
    """The event data of a job: status, stage, step, and the line the CLI would show for them."""
    from bastion.cli.run_view import STAGE_TEXT

    stage, step = str(run.stage), str(run.step)
    if stage in STAGE_TEXT:
        text = f"{stage}: {STAGE_TEXT[stage]}" if step in ("start", "done", "") else f"{stage}: {step}"
        index: int | None = STAGES.index(stage) + 1
    else:
        text, index = stage, None
    return {
        "id": run.id,
        "status": run.status,
        "stage": stage,
        "step": step,
        "text": text,
        "stage_index": index,
        "stages": len(STAGES),
        "error": run.error,
    }


def _read(db: Database, caller: Caller, run_id: str) -> dict[str, Any] | None:
    with Session(db.engine) as session:  # a reader: no write lock taken
        run = Runs(session, caller).get(run_id)
        return None if run is None else progress_event(run)


def _frame(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def stream(db: Database, caller: Caller, run_id: str) -> AsyncIterator[str]:
    """The event stream of a run already found visible to `caller` (the route answered 404 otherwise)."""
    last: dict[str, Any] | None = None
    quiet_since = time.monotonic()
    while True:
        data = await run_in_threadpool(_read, db, caller, run_id)
        if data is None:
            yield _frame("end", {"id": run_id, "status": "gone"})
            return
        if data["status"] in FINISHED:
            yield _frame("end", data)
            return
        if data != last:
            yield _frame("progress", data)
            last, quiet_since = data, time.monotonic()
        elif time.monotonic() - quiet_since >= KEEPALIVE_S:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(POLL_S)
