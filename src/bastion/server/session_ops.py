"""Browser sessions: log in with a password for a session cookie, read the session, log out.

The session token is the same kind of token `POST /api/v1/auth/token` hands out (random, 256
bits, stored as its sha256 in `api_tokens`, so the web app's own sign-in and this endpoint make
the same sessions); it is held only in the cookie, lives as long as a bearer token
(`token_ttl_s`) and is revoked when the user logs out, is disabled or changes role. Logins go
through the same checks and rate limit.

A signed-in user changes their own password with the current one (`change_password`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bastion.server.errors import Forbidden, Invalid, TooManyAttempts
from bastion.server.repository import Users
from bastion.server.security import csrf_token, hash_password, new_token, token_digest, verify_password
from bastion.server.services import Context, _caller, authenticate
from bastion.server.settings import ServerSettings
from bastion.server.token_ops import require_signed_in
from bastion.server.users import UserError, check_password


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


def change_password(ctx: Context, settings: ServerSettings, presented: str | None, current: str, new: str) -> None:
    """The caller's own new password, given the current one: only from a signed-in session (403 for a
    script token); a wrong current password is 403 and counts as a failed login (so the same rate
    limit, 429, applies); a new password that breaks the rule is 422. Every other token and session
    of the user is revoked; the request's own session stays signed in. Audited `change-password`."""
    name = _caller(ctx).name
    require_signed_in(ctx, presented, "change-password", f"user:{name}", "changes its password")
    users = Users(ctx.session)
    users.forget_failures(settings.login_window_s)
    if max(users.recent_failures(name, ctx.address, settings.login_window_s)) >= settings.login_max_failures:
        raise ctx.refuse(TooManyAttempts("too many failed logins: try again later"), "change-password",
                         f"user:{name}", "rate-limited")
    user = users.by_name(name)
    if user is None or not verify_password(user.password_hash, current):
        users.add_failure(name, ctx.address)
        raise ctx.refuse(Forbidden("wrong current password"), "change-password", f"user:{name}", "failure")
    try:
        check_password(new)
    except UserError as error:
        raise ctx.refuse(Invalid(str(error)), "change-password", f"user:{name}", "invalid") from None
    user.password_hash = hash_password(new)
    kept = token_digest(presented) if presented else None
    for token in users.active_tokens(user):
        if token.token_hash != kept:
            token.revoked = True
    ctx.record("change-password", f"user:{name}", "ok")
