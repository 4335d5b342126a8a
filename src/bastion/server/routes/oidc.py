"""Signing in with OpenID Connect (`bastion.server.oidc`): `/login/oidc` sends the browser to the
identity provider, `/login/oidc/callback` takes its answer and opens a browser session.

Both answer 404 while OpenID Connect is not configured. A refused sign-in shows the web app's
error page with the reason and is audited (`login-oidc`, with the outcome); a successful one
makes the same session as the sign-in form (cookie `bastion_session`) and is audited
(`login-oidc`, `success`).
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from bastion.server.deps import Writing
from bastion.server.oidc import PENDING_TTL_S, OidcFailed, OidcSettings, Pending, finish, start
from bastion.server.repository import Users
from bastion.server.security import SESSION_COOKIE, new_token, secure_cookies
from bastion.server.services import Context
from bastion.server.web.pages import error_page, secure
from bastion.server.web.routes_auth import _safe_next

router = APIRouter(include_in_schema=False)
PENDING_COOKIE = "bastion_oidc"
COOKIE_PATH = "/login/oidc"


def _settings(request: Request) -> OidcSettings | None:
    found: OidcSettings | None = getattr(request.app.state.settings, "oidc", None)
    return found


def _redirect_uri(request: Request, oidc: OidcSettings) -> str:
    return oidc.redirect_url or str(request.url_for("oidc_callback"))


@router.get("/login/oidc")
def begin(request: Request, next: str = "/scenarios") -> Response:
    """Send the browser to the identity provider (its metadata is read now)."""
    oidc = _settings(request)
    if oidc is None:
        return error_page(request, 404, "")
    try:
        url, pending = start(oidc, _redirect_uri(request, oidc), _safe_next(next[:2000]))
    except OidcFailed as failed:
        return error_page(request, failed.status, failed.message)
    response = secure(RedirectResponse(url, status_code=303))
    # SameSite=Lax: the provider's redirect back is a top-level navigation from another site
    response.set_cookie(PENDING_COOKIE, pending.encode(), max_age=PENDING_TTL_S, path=COOKIE_PATH, httponly=True,
                        samesite="lax", secure=secure_cookies(request))
    return response


@router.get("/login/oidc/callback", name="oidc_callback")
def callback(request: Request, ctx: Writing) -> Response:
    """The provider's answer: verify it, find the local user it names, open a session."""
    oidc = _settings(request)
    if oidc is None:
        return error_page(request, 404, "")
    pending = Pending.decode(request.cookies.get(PENDING_COOKIE))
    try:
        claims = finish(oidc, _redirect_uri(request, oidc), pending, dict(request.query_params))
        name = claims.get(oidc.username_claim)
        if not isinstance(name, str) or not name.strip():
            raise OidcFailed(f"{oidc.name}'s ID token has no {oidc.username_claim!r} claim to name your account")
        token = _open_session(ctx, oidc, name.strip(), request.app.state.settings.token_ttl_s)
    except OidcFailed as failed:
        ctx.record("login-oidc", failed.who, failed.outcome)
        response = error_page(request, failed.status, failed.message)
        response.delete_cookie(PENDING_COOKIE, path=COOKIE_PATH)
        return response
    assert pending is not None
    target = escape(pending.next, quote=True)
    # A page (not a redirect) moves on: the session cookie is SameSite=Strict, which a browser does not
    # send on a redirect chain that started at the provider's site, but does on this page's navigation.
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Signed in</title>'
            f'<meta http-equiv="refresh" content="0;url={target}"></head><body>'
            f'<p>Signed in. <a href="{target}" id="continue">Continue</a></p></body></html>')
    response = secure(HTMLResponse(page))
    response.set_cookie(SESSION_COOKIE, token, max_age=request.app.state.settings.token_ttl_s, path="/",
                        httponly=True, samesite="strict", secure=secure_cookies(request))
    response.delete_cookie(PENDING_COOKIE, path=COOKIE_PATH)
    return response


def _open_session(ctx: Context, oidc: OidcSettings, name: str, ttl_s: int) -> str:
    """A session token for the enabled local user `name`; OidcFailed (outcome `no-account`) otherwise."""
    from bastion.server.repository import Caller

    users = Users(ctx.session)
    user = users.by_name(name)
    if user is None or user.disabled:
        raise OidcFailed(
            f"{oidc.name} signed you in as {name!r}, but this server has no active account of that name: "
            "ask an administrator to add you (same name), then sign in again.",
            403,
            "no-account",
            name[:200],
        )
    token = new_token()
    users.issue_token(user, token, ttl_s, kind="session", name=oidc.name[:100])
    ctx.caller = Caller.of(user)
    ctx.record("login-oidc", name, "success")
    return token

