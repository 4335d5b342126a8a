"""Sign in, sign out, the home page and the app's static files."""

from __future__ import annotations

import secrets
from functools import cache
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from bastion.server import session_ops
from bastion.server.errors import NotFound, ServiceError
from bastion.server.security import PASSWORD_MAX, secure_cookies
from bastion.server.settings import ServerSettings
from bastion.server.web.pages import WebRoute, redirect, render, secure
from bastion.server.web.session import COOKIE, Plain, signed_in

router = APIRouter(route_class=WebRoute, include_in_schema=False)

LOGIN_COOKIE = "bastion_login"
"""A random value set with the sign-in page and sent back in its form (CSRF of the sign-in form)."""

STATIC = {"web.css": "text/css", "charts.js": "text/javascript", "htmx.min.js": "text/javascript"}


def _safe_next(target: str) -> str:
    """Only a path of this app (never another site) to go to after signing in."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/scenarios"


def _oidc_name(request: Request) -> str:
    """The identity provider's name when OpenID Connect is configured ("Sign in with NAME"), else ""."""
    oidc = getattr(request.app.state.settings, "oidc", None)
    return str(oidc.name) if oidc is not None else ""


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return redirect("/scenarios" if COOKIE in request.cookies else "/login")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/scenarios") -> Response:
    nonce = secrets.token_urlsafe(24)
    response: Response = render("login.html.j2", title="Sign in", error="", next=_safe_next(next), username="",
                      login_csrf=nonce, oidc=_oidc_name(request))
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", secure=secure_cookies(request),
                        max_age=3600)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    ctx: Plain,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=PASSWORD_MAX)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/scenarios",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    settings: ServerSettings = request.app.state.settings
    expected = request.cookies.get(LOGIN_COOKIE, "")
    error = ""
    token = ""
    if not expected or not secrets.compare_digest(expected, csrf):
        error = "The sign-in form was out of date: try again."
    elif not username or not password:
        error = "Give your user name and password."
    else:
        try:
            token, _answer = session_ops.open_session(ctx, settings, username, password)
        except ServiceError as refused:
            error = str(refused.detail)
    if error:
        nonce = secrets.token_urlsafe(24)
        status = 429 if "too many" in error else 401 if "wrong" in error else 400
        response: Response = render("login.html.j2", code=status, title="Sign in", error=error, next=_safe_next(next),
                          username=username, login_csrf=nonce, oidc=_oidc_name(request))
        response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict",
                            secure=secure_cookies(request), max_age=3600)
        return response
    response = redirect(_safe_next(next))
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request),
                        max_age=settings.token_ttl_s, path="/")
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout", response_class=HTMLResponse)
async def logout(request: Request, ctx: Plain) -> Response:
    from bastion.server.web.session import check_csrf

    token = request.cookies.get(COOKIE, "")
    if token:
        web = signed_in(request, ctx)
        async with request.form(max_files=0, max_fields=5) as form:
            check_csrf(token, form.get("csrf"))
        session_ops.close_session(web.ctx, token)
    response = redirect("/login")
    response.delete_cookie(COOKIE, path="/")
    return response


@cache
def _static(name: str) -> bytes:
    if name == "plotly.min.js":
        from plotly.offline import get_plotlyjs

        return str(get_plotlyjs()).encode("utf-8")
    return (resources.files("bastion.server.web") / "static" / name).read_bytes()


@router.get("/static/web/{name}")
def static(name: str) -> Response:
    """The app's own CSS and scripts (htmx and plotly.js vendored: nothing is fetched from outside)."""
    kind = "text/javascript" if name == "plotly.min.js" else STATIC.get(name)
    if kind is None:
        raise NotFound("not found")
    response = Response(_static(name), media_type=kind + "; charset=utf-8")
    secure(response)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
