"""Studies as jobs (docs/study.md's request over a scenario revision): queue, status, result, page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field, model_validator

from bastion.server import study_service
from bastion.server.deps import Authed
from bastion.server.downloads import xlsx_download
from bastion.server.errors import BAD_BODY, STRICT_BODY, WHOLE, Whole

router = APIRouter(prefix="/api/v1/studies", tags=["studies"], responses=BAD_BODY)

StudyId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
_ERRORS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


class StudyIn(BaseModel):
    """A study of a scenario's revision (default: the newest), as `bastion study` takes it (docs/study.md)."""

    model_config = STRICT_BODY
    scenario_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    revision: Annotated[int, Field(ge=1, le=2**31 - 1), WHOLE] | None = None
    vary: list[Annotated[str, Field(min_length=3, max_length=2000)]] = Field(default_factory=list, max_length=16)
    """`PATH=V1,V2,...` (or `PATH=LOW:HIGH` with `sample`), as `--vary`."""
    sample: Annotated[int, Field(ge=1, le=1000), WHOLE] | None = None
    tornado: float | None = Field(default=None, gt=0, le=100)
    confidence: list[Annotated[float, Field(gt=0, lt=1)]] = Field(default_factory=list, max_length=10)
    futures: Whole = Field(default=200, ge=1, le=10_000)
    paths: Whole = Field(default=2000, ge=1, le=1_000_000)
    seed: Whole = Field(default=0, ge=0, le=2**31 - 1)
    skip_invalid: bool = False

    @model_validator(mode="after")
    def _something_to_vary(self) -> StudyIn:
        if not self.vary and self.tornado is None and not self.confidence:
            raise ValueError("nothing to vary: give vary, tornado and/or confidence")
        return self

    def spec(self) -> dict[str, Any]:
        return {"vary": self.vary, "sample": self.sample, "tornado": self.tornado, "confidence": self.confidence,
                "futures": self.futures if self.confidence else None, "skip_invalid": self.skip_invalid}


class Progress(BaseModel):
    stage: str
    step: str
    at: datetime | None


class StudyOut(BaseModel):
    id: str
    scenario_id: str
    revision: int
    status: str
    progress: Progress
    paths: int
    seed: int
    spec: dict[str, Any]
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    result: dict[str, Any] | None
    marking: str | None


@router.post("", response_model=StudyOut, status_code=202, responses=_ERRORS)
def start_study(ctx: Authed, body: StudyIn) -> dict[str, Any]:
    """Queue a study; analysts only. Its variants are checked first (422 naming each problem, nothing
    queued); it then runs on the job queue: poll `GET /api/v1/studies/{id}`."""
    return study_service.start_study(ctx, body.scenario_id, body.revision, body.paths, body.seed, body.spec())


@router.post("/{study_id}/resubmit", response_model=StudyOut, status_code=202, responses=_ERRORS)
def resubmit_study(ctx: Authed, study_id: StudyId) -> dict[str, Any]:
    """Queue a new study with the same revision and request as an interrupted, failed or cancelled one
    (analysts only); the old one keeps its state. 409 for a queued, running or done study."""
    return study_service.resubmit_study(ctx, study_id)


@router.get("/{study_id}", response_model=StudyOut, responses=_ERRORS)
def get_study(ctx: Authed, study_id: StudyId) -> dict[str, Any]:
    """Status (queued | running | done | failed | cancelled | interrupted), progress, and a summary when done."""
    return study_service.get_study(ctx, study_id)


@router.get("/{study_id}/result", responses=_ERRORS)
def study_result(ctx: Authed, study_id: StudyId) -> dict[str, Any]:
    """The study JSON object (as `bastion study --json`) with the scenario's marking (409 until done)."""
    return study_service.study_result(ctx, study_id)


@router.get("/{study_id}/report.html", response_class=Response, responses=_ERRORS)
def study_html(ctx: Authed, study_id: StudyId) -> Response:
    """The study page (409 until done)."""
    return Response(study_service.study_report(ctx, study_id, "html"), media_type="text/html; charset=utf-8")


@router.get("/{study_id}/report.xlsx", response_class=Response, responses=_ERRORS)
def study_xlsx(ctx: Authed, study_id: StudyId) -> Response:
    """The study workbook (409 until done)."""
    return xlsx_download(study_service.study_report(ctx, study_id, "xlsx"), f"study-{study_id}.xlsx")
