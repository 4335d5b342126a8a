"""The web app's sign-in session: a cookie holding a random token, and a CSRF token per session.

Signing in goes through `services.login` (rate limit, Argon2id, audit record) and gets the same
kind of random token the API hands out, stored only as its sha256 (`api_tokens`): the cookie
`bastion_session` carries it, `HttpOnly`, `SameSite=Strict`, `Path=/`, and `Secure` when the
request came over HTTPS. Signing out revokes that token.

The CSRF token of a session is HMAC-SHA256(session token, "csrf"): a page gets it in a hidden
`csrf` field of every form, and every POST of the web app must send it back; another site can
read neither the cookie nor the page, so it cannot forge it. It needs no storage and dies with
the session.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import update

from bastion.server.db import Database
from bastion.server.errors import Forbidden, ServiceError
from bastion.server.repository import Caller, Users
from bastion.server.security import token_digest
from bastion.server.services import Context
from bastion.store.server_tables import ApiToken

COOKIE = "bastion_session"
CSRF_FIELD = "csrf"


class SignInNeeded(ServiceError):
    """No valid session: the page sends the browser to the sign-in page."""

    status = 401


class BadCsrf(ServiceError):
    status = 403


@dataclass
class WebContext:
    """One web request: the service context, the session token and the user's CSRF token."""

    ctx: Context
    token: str

    @property
    def caller(self) -> Caller:
        assert self.ctx.caller is not None
        return self.ctx.caller

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session (hex HMAC-SHA256 of "csrf" keyed by the session token)."""
    return hmac.new(session_token.encode("utf-8"), b"csrf", hashlib.sha256).hexdigest()


def check_csrf(session_token: str, sent: object) -> None:
    """Raise BadCsrf unless `sent` is the session's CSRF token."""
    if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token(session_token)):
        raise BadCsrf("the form's security token is missing or out of date: reload the page and try again")


def revoke(ctx: Context, token: str) -> None:
    """Revoke one session token (signing out)."""
    ctx.session.execute(update(ApiToken).where(ApiToken.token_hash == token_digest(token)).values(revoked=True))


def address(request: Request) -> str:
    return request.client.host if request.client is not None else "-"


def _open(request: Request) -> Iterator[Context]:
    db: Database = request.app.state.db
    session = db.session()
    try:
        yield Context(session, None, address(request))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def plain(ctx: Annotated[Context, Depends(_open)]) -> Context:
    """A context without a user (the sign-in page)."""
    return ctx


def signed_in(request: Request, ctx: Annotated[Context, Depends(_open)]) -> WebContext:
    """The context of the signed-in user; SignInNeeded otherwise. POSTs must carry the CSRF token
    (checked by the route, which reads the form)."""
    token = request.cookies.get(COOKIE, "")
    if not token or len(token) > 200 or not token.isascii():
        raise SignInNeeded("sign in first")
    user = Users(ctx.session).by_token(token)
    if user is None:
        raise SignInNeeded("your session has ended: sign in again")
    ctx.caller = Caller.of(user)
    return WebContext(ctx, token)


def require_role(web: WebContext, role: str, action: str, what: str) -> None:
    """Forbidden (recorded) unless the user has `role`."""
    if web.caller.role != role:
        raise web.ctx.refuse(Forbidden(f"only {role}s may {what}"), action, "-", "forbidden")


Plain = Annotated[Context, Depends(plain)]
Web = Annotated[WebContext, Depends(signed_in)]
