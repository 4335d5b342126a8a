"""Runs as jobs: queue a run of a scenario revision, list, read its status and progress (also as
server-sent events), cancel, compare two, download its report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from bastion.server import events, run_ops, services
from bastion.server.answer import JsonAnswer
from bastion.server.deps import Authed, Bearer, authenticated_read, authenticates_inside
from bastion.server.downloads import xlsx_download
from bastion.server.errors import BAD_BODY, STRICT_BODY, WHOLE, Whole

router = APIRouter(prefix="/api/v1/runs", tags=["runs"], responses=BAD_BODY)

RunId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
_ERRORS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}
RunStatus = Annotated[
    str | None,
    Query(pattern="^(queued|running|done|failed|cancelled|interrupted)$", description="Only the runs in this status"),
]


class RunIn(BaseModel):
    """A run of a scenario's revision (default: the newest)."""

    model_config = STRICT_BODY
    scenario_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    revision: Annotated[int, Field(ge=1, le=2**31 - 1), WHOLE] | None = None
    paths: Whole = Field(default=1000, ge=1, le=1_000_000)
    seed: Whole = Field(default=0, ge=0, le=2**31 - 1)
    confidence: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        allow_inf_nan=False,
        description="Plan so that each target is met in this share of futures, 0 < P < 1 "
        "(docs/method-confidence.md); null: the deterministic plan (or the targets' own confidence).",
    )
    futures: Whole = Field(
        default=services.DEFAULT_FUTURES,
        ge=1,
        le=services.MAX_FUTURES,
        description="Sampled futures the confidence plan is made against (as `bastion run --futures`).",
    )


class Progress(BaseModel):
    stage: str
    step: str


class RunOut(BaseModel):
    id: str
    scenario_id: str
    revision: int
    status: str
    progress: Progress
    paths: int
    seed: int
    confidence: float | None
    futures: int
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    result: dict[str, Any] | None
    marking: str | None = Field(
        default=None, description="The scenario's releasability marking, as its scenario answers show it"
    )


class CompareOut(BaseModel):
    """`bastion runs compare`'s object (see docs/server.md) with the two jobs."""

    run_a: RunOut
    run_b: RunOut
    a: dict[str, Any]
    b: dict[str, Any]
    scenario: dict[str, Any]
    settings: dict[str, Any]
    versions: dict[str, Any]
    headline: list[dict[str, Any]]
    marking: str | None = Field(default=None, description="The higher-level marking of the two runs' scenarios")


_RUN = JsonAnswer(RunOut)
TOTAL = {"X-Total-Count": {"description": "How many visible runs match the filters", "schema": {"type": "integer"}}}
_EVENTS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "The event stream"},
    401: {},
    404: {},
    422: {},
}


@router.get("", response_model=list[RunOut], responses={200: {"headers": TOTAL}, 401: {}, 422: {}})
def list_runs(
    ctx: Authed,
    response: Response,
    scenario_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    status: RunStatus = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[dict[str, Any]]:
    """The runs the caller sees (those of visible scenarios), newest first, filtered by scenario and
    status; `X-Total-Count` counts the visible matches only."""
    rows, total = run_ops.list_runs(ctx, scenario_id, status, limit, offset)
    response.headers["X-Total-Count"] = str(total)
    return rows


@router.post("", response_model=RunOut, status_code=202, responses=_ERRORS)
def start_run(ctx: Authed, body: RunIn) -> dict[str, Any]:
    """Queue a run; analysts only. It executes in a worker process; poll `GET /api/v1/runs/{id}`."""
    b = body
    return services.start_run(ctx, b.scenario_id, b.revision, b.paths, b.seed, b.confidence, b.futures)


@router.get("/{run_id}", response_model=RunOut, responses=_ERRORS)
@authenticates_inside
async def get_run(request: Request, credentials: Bearer, run_id: RunId) -> Response:
    """Status (queued | running | done | failed | interrupted), progress, and the headline when done."""
    return await authenticated_read(request, credentials, lambda ctx: _RUN(services.get_run(ctx, run_id)))


@router.get("/{run_id}/report.html", response_class=Response, responses=_ERRORS)
def report_html(ctx: Authed, run_id: RunId) -> Response:
    """The run's report page (409 until the run is done)."""
    return Response(services.report(ctx, run_id, "html"), media_type="text/html; charset=utf-8")


@router.get("/{run_id}/report.xlsx", response_class=Response, responses=_ERRORS)
def report_xlsx(ctx: Authed, run_id: RunId) -> Response:
    """The run's report workbook (409 until the run is done)."""
    return xlsx_download(services.report(ctx, run_id, "xlsx"), f"run-{run_id}.xlsx")


@router.post("/{run_id}/cancel", response_model=RunOut, responses=_ERRORS)
def cancel_run(ctx: Authed, run_id: RunId) -> dict[str, Any]:
    """Cancel a queued or running run (analysts only): status `cancelled`; 409 once it has ended."""
    return run_ops.cancel_run(ctx, run_id)


@router.post("/{run_id}/resubmit", response_model=RunOut, status_code=202, responses=_ERRORS)
def resubmit_run(ctx: Authed, run_id: RunId) -> dict[str, Any]:
    """Queue a new run with the same revision and settings as an interrupted, failed or cancelled run
    (analysts only); the old run keeps its state. 409 for a queued, running or done run."""
    return run_ops.resubmit_run(ctx, run_id)


@router.get("/{run_id}/compare/{other_id}", response_model=CompareOut, responses=_ERRORS)
def compare_runs(ctx: Authed, run_id: RunId, other_id: RunId) -> dict[str, Any]:
    """How run `other_id` differs from run `run_id` (both done): the scenario's changed lines in words,
    the settings, and the headline numbers side by side with their change (as `bastion runs compare`)."""
    return run_ops.compare_runs(ctx, run_id, other_id)


@router.get("/{run_id}/events", response_class=StreamingResponse, responses=_EVENTS)
def run_events(ctx: Authed, run_id: RunId, request: Request) -> StreamingResponse:
    """The run's progress as server-sent events (`progress`, then one `end` when it has ended)."""
    services.get_run(ctx, run_id)  # 404 when invisible; audited as a read
    ctx.session.commit()  # the stream reads with its own sessions: hold no lock while it lasts
    assert ctx.caller is not None
    return StreamingResponse(
        events.stream(request.app.state.db, ctx.caller, run_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
