"""Browser sessions: log in with a password for a session cookie, read the session, log out.

The session token is the same kind of token `POST /api/v1/auth/token` hands out (random, 256
bits, stored as its sha256 in `api_tokens`, so the web app's own sign-in and this endpoint make
the same sessions); it is held only in the cookie, lives as long as a bearer token
(`token_ttl_s`) and is revoked when the user logs out, is disabled or changes role. Logins go
through the same checks and rate limit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bastion.server.repository import Users
from bastion.server.security import csrf_token, new_token
from bastion.server.services import Context, _caller, authenticate
from bastion.server.settings import ServerSettings


def user_json(ctx: Context) -> dict[str, Any]:
    caller = _caller(ctx)
    return {"name": caller.name, "role": caller.role, "nation": caller.nation, "clearance": caller.clearance}


def open_session(ctx: Context, settings: ServerSettings, username: str, password: str) -> tuple[str, dict[str, Any]]:
    """A new session token for a correct name and password (401 / 429 as for tokens), and the answer:
    the user, the session's CSRF token and when it expires."""
    user = authenticate(ctx, settings, username, password)
    token = new_token()
    Users(ctx.session).issue_token(user, token, settings.token_ttl_s, kind="session")
    ctx.record("login", username, "success")
    expires = datetime.now(UTC) + timedelta(seconds=settings.token_ttl_s)
    return token, {"user": user_json(ctx), "csrf_token": csrf_token(token), "expires_at": expires}


def read_session(ctx: Context, cookie: str | None) -> dict[str, Any]:
    """Who is logged in, and the CSRF token of the session cookie (None when authenticated by a bearer token)."""
    ctx.record("read-session", "-", "ok")
    return {"user": user_json(ctx), "csrf_token": csrf_token(cookie) if cookie else None, "expires_at": None}


def close_session(ctx: Context, cookie: str | None) -> None:
    """Revoke the request's session (logging out); a request without one changes nothing."""
    if cookie:
        Users(ctx.session).revoke_token(cookie)
    ctx.record("logout", ctx.who, "ok")
