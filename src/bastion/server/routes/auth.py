"""Logging in: `POST /api/v1/auth/token` (the OAuth2 password flow, for scripts) and the browser's
session cookie: `POST|GET|DELETE /api/v1/session`; changing one's own password:
`POST /api/v1/session/password`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel, Field

from bastion.server import services, session_ops
from bastion.server.deps import Authed, Ctx, Settings
from bastion.server.errors import BAD_BODY, STRICT_BODY
from bastion.server.security import NO_NUL, PASSWORD_MAX, SESSION_COOKIE, presented_token, secure_cookies

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=BAD_BODY)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class SessionIn(BaseModel):
    model_config = STRICT_BODY
    username: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX, pattern=NO_NUL)


class PasswordIn(BaseModel):
    model_config = STRICT_BODY
    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX, pattern=NO_NUL)
    new_password: str = Field(
        min_length=1, max_length=PASSWORD_MAX, pattern=NO_NUL, description="8 to 1000 characters, no NUL"
    )


class UserOut(BaseModel):
    name: str
    role: str
    nation: str
    clearance: str


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str | None = Field(description="Send it as X-CSRF-Token on every state-changing request")
    expires_at: datetime | None


@router.post("/auth/token", response_model=TokenOut, responses={401: {}, 422: {}, 429: {}})
def token(
    ctx: Ctx,
    settings: Settings,
    username: Annotated[str, Form(min_length=1, max_length=200, pattern=NO_NUL)],
    password: Annotated[str, Form(min_length=1, max_length=PASSWORD_MAX, pattern=NO_NUL)],
) -> TokenOut:
    """Log in with a user name and password; the token goes in `Authorization: Bearer TOKEN`."""
    return TokenOut(access_token=services.login(ctx, settings, username, password))


@router.post("/session", response_model=SessionOut, responses={401: {}, 422: {}, 429: {}})
def open_session(ctx: Ctx, settings: Settings, body: SessionIn, request: Request, response: Response) -> object:
    """Log in for a browser session: sets the `bastion_session` cookie (HttpOnly, SameSite=Strict, Secure
    over https) and answers the session's CSRF token, to send as `X-CSRF-Token` on state-changing requests."""
    cookie, answer = session_ops.open_session(ctx, settings, body.username, body.password)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=settings.token_ttl_s,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )
    return answer


@router.get("/session", response_model=SessionOut, responses={401: {}})
def read_session(ctx: Authed, request: Request) -> object:
    """Who is logged in, and the CSRF token of the session cookie (null for a bearer token)."""
    by_cookie = "authorization" not in request.headers
    return session_ops.read_session(ctx, request.cookies.get(SESSION_COOKIE) if by_cookie else None)


@router.delete("/session", status_code=204, response_class=Response, responses={401: {}, 403: {}})
def close_session(ctx: Authed, request: Request) -> Response:
    """Log out: the session is revoked and its cookie cleared (with the cookie, send X-CSRF-Token)."""
    by_cookie = "authorization" not in request.headers
    session_ops.close_session(ctx, request.cookies.get(SESSION_COOKIE) if by_cookie else None)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure_cookies(request))
    return response


@router.post(
    "/session/password", status_code=204, response_class=Response, responses={401: {}, 403: {}, 422: {}, 429: {}}
)
def change_password(ctx: Authed, settings: Settings, body: PasswordIn, request: Request) -> Response:
    """Change one's own password, giving the current one (with the cookie, send X-CSRF-Token). Only a
    signed-in session (the cookie, or a password login's bearer token): a script token answers 403. A
    wrong current password answers 403 and counts as a failed login (429 after 5, as logins); a new
    password that is not 8 to 1000 characters 422. The user's other tokens and sessions are revoked;
    this one stays signed in."""
    session_ops.change_password(ctx, settings, presented_token(request), body.current_password, body.new_password)
    return Response(status_code=204)
