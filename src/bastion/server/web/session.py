"""The web app's sign-in session: the server's browser session (`session_ops`, security.py), and
its CSRF token in every form.

Signing in goes through `session_ops.open_session` (rate limit, Argon2id, audit record): a
random token stored only as its sha256 (`api_tokens`), carried by the cookie `bastion_session`,
`HttpOnly`, `SameSite=Strict`, `Path=/`, and `Secure` over HTTPS (or `BASTION_SECURE_COOKIES=1`).
The same session works for the API (with `X-CSRF-Token`). Signing out revokes it.

The CSRF token of a session is `security.csrf_token`, HMAC-SHA256(session token, "csrf"): a page
gets it in a hidden `csrf` field of every form, and every POST of the web app must send it back;
another site can read neither the cookie nor the page, so it cannot forge it. It needs no storage
and dies with the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from bastion.server.deps import context
from bastion.server.errors import Forbidden, ServiceError
from bastion.server.repository import Caller, Users
from bastion.server.security import SESSION_COOKIE, csrf_matches, csrf_token
from bastion.server.services import Context

COOKIE = SESSION_COOKIE
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


def check_csrf(session_token: str, sent: object) -> None:
    """Raise BadCsrf unless `sent` is the session's CSRF token."""
    if not isinstance(sent, str) or not csrf_matches(session_token, sent):
        raise BadCsrf("the form's security token is missing or out of date: reload the page and try again")


def plain(ctx: Annotated[Context, Depends(context, scope="function")]) -> Context:
    """A context without a user (the sign-in page)."""
    return ctx


def signed_in(request: Request, ctx: Annotated[Context, Depends(context, scope="function")]) -> WebContext:
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
