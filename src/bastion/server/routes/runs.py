"""Runs as jobs: queue a run of a scenario revision, read its status and progress, download its report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from bastion.server import services
from bastion.server.deps import Authed

router = APIRouter(prefix="/api/v1/runs", tags=["runs"])

RunId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
_ERRORS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


class RunIn(BaseModel):
    """A run of a scenario's revision (default: the newest)."""

    model_config = ConfigDict(extra="forbid")
    scenario_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    revision: int | None = Field(default=None, ge=1, le=2**31 - 1)
    paths: int = Field(default=1000, ge=1, le=1_000_000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


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
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    result: dict[str, Any] | None


@router.post("", response_model=RunOut, status_code=202, responses=_ERRORS)
def start_run(ctx: Authed, body: RunIn) -> dict[str, Any]:
    """Queue a run; analysts only. It executes in a worker process; poll `GET /api/v1/runs/{id}`."""
    return services.start_run(ctx, body.scenario_id, body.revision, body.paths, body.seed)


@router.get("/{run_id}", response_model=RunOut, responses=_ERRORS)
def get_run(ctx: Authed, run_id: RunId) -> dict[str, Any]:
    """Status (queued | running | done | failed | interrupted), progress, and the headline when done."""
    return services.get_run(ctx, run_id)


@router.get("/{run_id}/report.html", response_class=Response, responses=_ERRORS)
def report_html(ctx: Authed, run_id: RunId) -> Response:
    """The run's report page (409 until the run is done)."""
    return Response(services.report(ctx, run_id, "html"), media_type="text/html; charset=utf-8")


@router.get("/{run_id}/report.xlsx", response_class=Response, responses=_ERRORS)
def report_xlsx(ctx: Authed, run_id: RunId) -> Response:
    """The run's report workbook (409 until the run is done)."""
    return Response(
        services.report(ctx, run_id, "xlsx"),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="run-{run_id}.xlsx"'},
    )
