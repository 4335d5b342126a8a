"""Script tokens: create a named one (its secret shown once), list one's own tokens, revoke one.

Every token (a script's, a password login's, a browser session's) is stored as the sha256 of the
random secret (`api_tokens`); its public `id` is the first 16 hexadecimal digits of that hash,
which tells nothing of the secret. A user lists and revokes only their own tokens; another
user's token id answers 404, as a missing one. Revoking is final (the row is kept, revoked).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from bastion.server.errors import NotFound
from bastion.server.repository import Users
from bastion.server.security import new_token, token_digest
from bastion.server.services import NOT_FOUND, Context, _caller
from bastion.store.server_tables import ApiToken, User

ID_DIGITS = 16
DAY_S = 24 * 3600


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


def create_token(ctx: Context, name: str, days: int) -> dict[str, Any]:
    """A new script token of the caller, valid `days` days: the answer holds the secret, shown this once."""
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
