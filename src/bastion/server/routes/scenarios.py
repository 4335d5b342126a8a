"""Scenarios and their revisions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from bastion.server import scenario_input, services
from bastion.server.deps import Authed
from bastion.server.errors import Invalid

router = APIRouter(prefix="/api/v1/scenarios", tags=["scenarios"])

ScenarioId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Number = Annotated[int, Path(ge=1, le=2**31 - 1)]
_ERRORS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 413: {}, 422: {}}


class ScenarioIn(BaseModel):
    """A scenario as YAML text (with an optional `releasability`) and a message for its revision."""

    model_config = ConfigDict(extra="forbid")
    yaml: str = Field(min_length=1, max_length=10 * 1024 * 1024)
    message: str = Field(default="", max_length=10_000)


class ReleasabilityOut(BaseModel):
    level: str
    owner: str
    releasable_to: list[str]


class ScenarioOut(BaseModel):
    id: str
    name: str
    revision: int
    created_at: datetime
    created_by: str
    releasability: ReleasabilityOut
    marking: str
    yaml: str | None = None


class RevisionOut(BaseModel):
    scenario_id: str
    revision: int
    parent: int | None
    author: str
    created_at: datetime
    message: str
    sha256: str
    releasability: ReleasabilityOut
    yaml: str | None = None


async def _parser(request: Request) -> tuple[Callable[[], scenario_input.Received], str]:
    """How to read the request's scenario (JSON {yaml, message} or a multipart `file`) and its message."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("file")
            message = form.get("message", "")
            if not isinstance(upload, UploadFile) or not isinstance(message, str):
                raise Invalid(
                    "send the scenario as a multipart `file` (YAML or XLSX), with an optional `message` field"
                )
            data = await upload.read()
            name = upload.filename or "upload"
        return (lambda: scenario_input.from_upload(data, name)), message[:10_000]
    if kind != "application/json":
        raise Invalid("send JSON {yaml, message} or a multipart form with a `file`")
    try:
        body = ScenarioIn.model_validate_json(await request.body())
    except ValueError as error:
        raise Invalid(f"invalid JSON body: {str(error).splitlines()[0]}") from None
    text = body.yaml
    return (lambda: scenario_input.from_text(text)), body.message


_BODY = {
    "requestBody": {
        "content": {
            "application/json": {"schema": ScenarioIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}, "message": {"type": "string"}},
                }
            },
        },
        "required": True,
    }
}


@router.get("", response_model=list[ScenarioOut], responses={401: {}})
def list_scenarios(
    ctx: Authed,
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[dict[str, Any]]:
    """The scenarios visible to the caller (their clearance and nation), oldest first; a page of
    `limit` from `offset` when given (default: all)."""
    return services.list_scenarios(ctx, limit=limit, offset=offset)


@router.post("", response_model=ScenarioOut, status_code=201, responses=_ERRORS, openapi_extra=_BODY)
async def create_scenario(ctx: Authed, request: Request) -> dict[str, Any]:
    """Create a scenario (its revision 1) from YAML text or an uploaded YAML/XLSX file; analysts only."""
    parse, message = await _parser(request)
    return services.create_scenario(ctx, parse, message)


@router.get("/{scenario_id}", response_model=ScenarioOut, responses=_ERRORS)
def get_scenario(ctx: Authed, scenario_id: ScenarioId) -> dict[str, Any]:
    """A scenario with its newest revision's text."""
    return services.get_scenario(ctx, scenario_id)


@router.get("/{scenario_id}/revisions", response_model=list[RevisionOut], responses=_ERRORS)
def list_revisions(ctx: Authed, scenario_id: ScenarioId) -> list[dict[str, Any]]:
    """Every revision of a scenario, oldest first (without their text)."""
    return services.list_revisions(ctx, scenario_id)


@router.post(
    "/{scenario_id}/revisions", response_model=ScenarioOut, status_code=201, responses=_ERRORS, openapi_extra=_BODY
)
async def add_revision(ctx: Authed, scenario_id: ScenarioId, request: Request) -> dict[str, Any]:
    """Save a new revision on top of the newest; analysts only (releasability: the owner nation's only)."""
    parse, message = await _parser(request)
    return services.add_revision(ctx, scenario_id, parse, message)


@router.get("/{scenario_id}/revisions/{number}", response_model=RevisionOut, responses=_ERRORS)
def get_revision(ctx: Authed, scenario_id: ScenarioId, number: Number) -> dict[str, Any]:
    """One revision with its text."""
    return services.get_revision(ctx, scenario_id, number)
