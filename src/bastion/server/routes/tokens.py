"""Script tokens: `POST|GET /api/v1/tokens`, `DELETE /api/v1/tokens/{id}` (docs/server.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from bastion.server import token_ops
from bastion.server.deps import Authed
from bastion.server.errors import BAD_BODY, STRICT_BODY, Whole
from bastion.server.security import NO_NUL, presented_token

router = APIRouter(prefix="/api/v1/tokens", tags=["auth"], responses=BAD_BODY)
TokenId = Annotated[str, Path(min_length=16, max_length=16, pattern=r"^[0-9a-f]{16}$")]


class TokenIn(BaseModel):
    model_config = STRICT_BODY
    name: str = Field(min_length=1, max_length=100, pattern=NO_NUL, description="What the token is for")
    days: Whole = Field(default=90, ge=1, le=365, description="How long it is valid")


class TokenInfo(BaseModel):
    id: str
    kind: str = Field(description="script (named), login (POST /api/v1/auth/token) or session (a browser's)")
    name: str | None
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None = Field(description="To the minute")
    current: bool = Field(description="The token of this request")


class NewToken(TokenInfo):
    token: str = Field(description="The secret: shown this once, never again")


@router.post("", response_model=NewToken, status_code=201, responses={401: {}, 403: {}, 422: {}})
def create_token(ctx: Authed, body: TokenIn, request: Request) -> dict[str, Any]:
    """A new named token for scripts (`Authorization: Bearer TOKEN`), with the caller's rights; its
    secret is in this answer only (the server keeps its sha256). Only a signed-in session creates one
    (a password login's token, or the browser's session cookie with X-CSRF-Token): a request made
    with a script token answers 403, so a script token cannot renew itself."""
    return token_ops.create_token(ctx, body.name, body.days, presented_token(request))


@router.get("", response_model=list[TokenInfo], responses={401: {}})
def list_tokens(ctx: Authed, request: Request) -> list[dict[str, Any]]:
    """The caller's own active tokens (scripts', logins' and browser sessions'), newest first; never a secret."""
    return token_ops.list_tokens(ctx, presented_token(request))


@router.delete("/{token_id}", status_code=204, response_class=Response, responses={401: {}, 403: {}, 404: {}, 422: {}})
def revoke_token(ctx: Authed, token_id: TokenId) -> Response:
    """Revoke one of the caller's tokens: it answers 401 from now on. 404 for an id that is not theirs."""
    token_ops.revoke_token(ctx, token_id)
    return Response(status_code=204)
