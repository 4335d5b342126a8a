"""Script tokens: create a named one (its secret shown once), list one's own tokens, revoke one.

Every token (a script's, a password login's, a browser session's) is stored as the sha256 of the
random secret (`api_tokens`); its public `id` is the first 16 hexadecimal digits of that hash,
which tells nothing of the secret. A user lists and revokes only their own tokens; another
user's token id answers 404, as a missing one. Revoking is final (the row is kept, revoked).

Only a signed-in request (a password login's bearer token, a browser session, a single sign-on
session) creates a script token or changes a password; a request made with a script token gets 403,
so a stolen script token cannot renew itself past its expiry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from bastion.server.errors import Forbidden, NotFound
from bastion.server.repository import Users
from bastion.server.security import new_token, token_digest
from bastion.server.services import NOT_FOUND, Context, _caller
from bastion.store.server_tables import ApiToken, User

ID_DIGITS = 16
DAY_S = 24 * 3600
SIGNED_IN = frozenset({"login", "session"})
"""Kinds of token a person got by signing in (`script` tokens are made by these, for programs)."""


def token_id(token_hash: str) -> str:
    """The public id of a stored token: the first 16 hexadecimal digits of its sha256."""
    return token_hash[:ID_DIGITS]


def token_json(row: ApiToken, current: str | None = None) -> dict[str, Any]:
    return {
        "id": token_id(row.token_hash),
        "kind": row.kind,
        "name": row.name,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "last_used_at": row.last_used_at,
        "current": row.token_hash == current,
    }


def _user(ctx: Context) -> User:
    user = Users(ctx.session).by_name(_caller(ctx).name)
    if user is None:  # pragma: no cover - the caller was authenticated in this transaction
        raise NotFound(NOT_FOUND)
    return user


def require_signed_in(ctx: Context, presented: str | None, action: str, obj: str, what: str) -> None:
    """403 (recorded as `action` / `forbidden`) unless the request's token is a signed-in one (`SIGNED_IN`)."""
    kind = None
    if presented:
        digest = token_digest(presented)
        kind = ctx.session.execute(select(ApiToken.kind).where(ApiToken.token_hash == digest)).scalar_one_or_none()
    if kind not in SIGNED_IN:
        message = f"only a signed-in session {what}: sign in with your password (not with a script token)"
        raise ctx.refuse(Forbidden(message), action, obj, "forbidden")


def create_token(ctx: Context, name: str, days: int, presented: str | None) -> dict[str, Any]:
    """A new script token of the caller, valid `days` days: the answer holds the secret, shown this once.
    Only from a signed-in session (403 for a request made with a script token)."""
    require_signed_in(ctx, presented, "create-token", "-", "creates a token")
    secret = new_token()
    row = Users(ctx.session).issue_token(_user(ctx), secret, days * DAY_S, kind="script", name=name)
    ctx.session.flush()
    ctx.record("create-token", f"token:{token_id(row.token_hash)}", "ok")
    return {**token_json(row), "token": secret}


def list_tokens(ctx: Context, presented: str | None) -> list[dict[str, Any]]:
    """The caller's active tokens, newest first (never a secret); `current` marks the request's own."""
    current = token_digest(presented) if presented else None
    rows = Users(ctx.session).active_tokens(_user(ctx))
    ctx.record("list-tokens", "-", "ok")
    return [token_json(r, current) for r in rows]


def revoke_token(ctx: Context, wanted: str) -> None:
    """Revoke one of the caller's active tokens by its id; 404 for any other id (missing, another user's)."""
    obj = f"token:{wanted}"
    found = [r for r in Users(ctx.session).active_tokens(_user(ctx)) if token_id(r.token_hash) == wanted]
    if not found:
        raise ctx.refuse(NotFound(NOT_FOUND), "revoke-token", obj, "not-found")
    ctx.session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash.in_([r.token_hash for r in found]))
        .values(revoked=True)
        .execution_options(synchronize_session=False)
    )
    ctx.record("revoke-token", obj, "ok")
