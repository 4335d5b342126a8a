"""`POST /api/v1/auth/token`: the OAuth2 password flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from pydantic import BaseModel

from bastion.server import services
from bastion.server.deps import Ctx, Settings

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/token", response_model=TokenOut, responses={401: {}, 422: {}, 429: {}})
def token(
    ctx: Ctx,
    settings: Settings,
    username: Annotated[str, Form(min_length=1, max_length=200)],
    password: Annotated[str, Form(min_length=1, max_length=1000)],
) -> TokenOut:
    """Log in with a user name and password; the token goes in `Authorization: Bearer TOKEN`."""
    return TokenOut(access_token=services.login(ctx, settings, username, password))
