"""Scenarios and their revisions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile

from bastion.server import run_ops, scenario_input, scenario_ops, services
from bastion.server.answer import JsonAnswer
from bastion.server.deps import Authed, Bearer, authenticated_read, authenticates_inside
from bastion.server.errors import BAD_BODY, STRICT_BODY, WHOLE, Invalid
from bastion.server.routes.runs import RunOut, RunStatus
from bastion.server.security import NO_NUL
from bastion.server.services import Context

router = APIRouter(prefix="/api/v1/scenarios", tags=["scenarios"], responses=BAD_BODY)

ScenarioId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Number = Annotated[int, Path(ge=1, le=2**31 - 1)]
_ERRORS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 413: {}, 422: {}}


class ScenarioIn(BaseModel):
    """A scenario as YAML text (with an optional `releasability`) and a message for its revision."""

    model_config = STRICT_BODY
    yaml: str = Field(min_length=1, max_length=10 * 1024 * 1024)
    message: str = Field(default="", max_length=10_000, pattern=NO_NUL)


class CopyIn(BaseModel):
    """Which revision to copy (default: the newest) and the copy's first revision message."""

    model_config = STRICT_BODY
    revision: Annotated[int, Field(ge=1, le=2**31 - 1), WHOLE] | None = None
    message: str = Field(default="", max_length=10_000, pattern=NO_NUL)


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
    archived: bool
    yaml: str | None = None
    revised_by: str | None = Field(
        default=None, description="Who saved the newest revision (`revision`); null in a list's items"
    )
    revised_at: datetime | None = Field(
        default=None, description="When the newest revision was saved; null in a list's items"
    )


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


class ProblemOut(BaseModel):
    file: str
    line: int | None
    path: str
    message: str
    text: str
    cell: str | None = None


class ValidationOut(BaseModel):
    valid: bool
    name: str | None
    releasability: dict[str, Any] | None
    problems: list[ProblemOut]


class ChangeOut(BaseModel):
    where: str
    kind: str
    line_a: int | None
    a: str | None
    line_b: int | None
    b: str | None
    text: str = Field(description="The change in words, as `bastion runs compare` prints it")


class DiffOut(BaseModel):
    scenario_id: str
    revision_a: int
    revision_b: int
    releasability_a: ReleasabilityOut
    releasability_b: ReleasabilityOut
    marking: str
    changed: bool
    diff: str = Field(description="Unified diff of the two texts")
    added: int
    removed: int
    changes: list[ChangeOut]


_SCENARIOS = JsonAnswer(list[ScenarioOut])
_SCENARIO = JsonAnswer(ScenarioOut)
_DIFF = JsonAnswer(DiffOut)
TOTAL = {"X-Total-Count": {"description": "How many visible items match the filters", "schema": {"type": "integer"}}}


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
            scenario_input.check_message(message)
            data = await upload.read()
            name = upload.filename or "upload"
        return (lambda: scenario_input.from_upload(data, name)), message
    if kind != "application/json":
        raise Invalid("send JSON {yaml, message} or a multipart form with a `file`")
    try:
        body = ScenarioIn.model_validate_json(await request.body())
    except ValidationError as error:
        raise Invalid(f"invalid JSON body: {scenario_input.body_problems(error)}") from None
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


@router.get("", response_model=list[ScenarioOut], responses={200: {"headers": TOTAL}, 401: {}, 422: {}})
@authenticates_inside
async def list_scenarios(
    request: Request,
    credentials: Bearer,
    name: Annotated[str | None, Query(max_length=200, pattern=NO_NUL, description="Part of the name, any case")] = (
        None
    ),
    archived: Annotated[
        str, Query(pattern="^(no|yes|all)$", description="no: live ones (default); yes: archived ones; all")
    ] = "no",
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    """The scenarios visible to the caller (their clearance and nation), oldest first; a page of `limit`
    from `offset` when given (default: all). `X-Total-Count` counts the visible ones matching the
    filters (never an invisible one)."""

    def page(ctx: Context) -> Response:
        rows, total = scenario_ops.list_scenarios(ctx, name, archived, limit, offset)
        return _SCENARIOS(rows, {"X-Total-Count": str(total)})

    return await authenticated_read(request, credentials, page)


@router.post("/validate", response_model=ValidationOut, responses={401: {}, 413: {}, 422: {}}, openapi_extra=_BODY)
async def validate_scenario(ctx: Authed, request: Request) -> dict[str, Any]:
    """Check a scenario (same body as creating one) with the loader: its problems with their line, or
    cell for a workbook. Nothing is stored; any role may ask."""
    parse, _message = await _parser(request)
    return scenario_ops.validate(ctx, parse)


@router.post("", response_model=ScenarioOut, status_code=201, responses=_ERRORS, openapi_extra=_BODY)
async def create_scenario(ctx: Authed, request: Request) -> dict[str, Any]:
    """Create a scenario (its revision 1) from YAML text or an uploaded YAML/XLSX file; analysts only."""
    parse, message = await _parser(request)
    return services.create_scenario(ctx, parse, message)


@router.get("/{scenario_id}", response_model=ScenarioOut, responses=_ERRORS)
@authenticates_inside
async def get_scenario(request: Request, credentials: Bearer, scenario_id: ScenarioId) -> Response:
    """A scenario with its newest revision's text."""
    return await authenticated_read(
        request, credentials, lambda ctx: _SCENARIO(services.get_scenario(ctx, scenario_id))
    )


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


@router.get("/{scenario_id}/diff", response_model=DiffOut, responses=_ERRORS)
@authenticates_inside
async def diff_revisions(
    request: Request,
    credentials: Bearer,
    scenario_id: ScenarioId,
    a: Annotated[int, Query(ge=1, le=2**31 - 1, description="The revision compared from")],
    b: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="The revision compared to (default: newest)")] = (
        None
    ),
) -> Response:
    """How revision `b` differs from revision `a`: the changed lines with the YAML keys they sit under,
    in words (as `bastion runs compare`), and the unified diff."""
    return await authenticated_read(
        request, credentials, lambda ctx: _DIFF(scenario_ops.diff_revisions(ctx, scenario_id, a, b))
    )


@router.post("/{scenario_id}/copy", response_model=ScenarioOut, status_code=201, responses=_ERRORS)
def copy_scenario(
    ctx: Authed, scenario_id: ScenarioId, body: Annotated[CopyIn | None, Body()] = None
) -> dict[str, Any]:
    """A new scenario from a revision of this one (analysts only), with the source's releasability; the
    body is optional (none, or `{}`: the newest revision, an empty message)."""
    body = body or CopyIn()
    return scenario_ops.copy_scenario(ctx, scenario_id, body.revision, body.message)


@router.delete("/{scenario_id}", response_model=ScenarioOut, responses=_ERRORS)
def archive_scenario(ctx: Authed, scenario_id: ScenarioId) -> dict[str, Any]:
    """"Delete": archive the scenario (analysts of its owner nation). Nothing is removed: it leaves the
    default list, stays readable, takes no new revision or run until restored."""
    return scenario_ops.set_archived(ctx, scenario_id, True)


@router.post("/{scenario_id}/restore", response_model=ScenarioOut, responses=_ERRORS)
def restore_scenario(ctx: Authed, scenario_id: ScenarioId) -> dict[str, Any]:
    """Bring an archived scenario back (analysts of its owner nation)."""
    return scenario_ops.set_archived(ctx, scenario_id, False)


@router.get("/{scenario_id}/runs", response_model=list[RunOut], responses={200: {"headers": TOTAL}, **_ERRORS})
def list_scenario_runs(
    ctx: Authed,
    response: Response,
    scenario_id: ScenarioId,
    status: RunStatus = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[dict[str, Any]]:
    """The scenario's runs, newest first (404 for a scenario the caller does not see)."""
    rows, total = run_ops.list_scenario_runs(ctx, scenario_id, status, limit, offset)
    response.headers["X-Total-Count"] = str(total)
    return rows
