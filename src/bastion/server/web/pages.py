"""Rendering the web app's pages: the templates, the security headers, and errors as pages.

Every page is rendered from `templates/` with autoescaping (user text shows as text), carries
the classification banner at its top and bottom, and goes out with a strict
Content-Security-Policy: scripts and styles only from this server's own files, no inline
script, no inline style, no frames, forms posting only here (docs/web.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from functools import cache
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from bastion import __version__
from bastion.server.errors import ServiceError
from bastion.server.web.session import COOKIE, SignInNeeded, WebContext

log = logging.getLogger("bastion.server.web")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
CHART_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
"""The run page's policy: plotly.js styles its charts with inline style elements and attributes, so
that page allows inline styles (never inline script: script-src stays 'self')."""
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DEFAULT_MARKING = "UNCLASSIFIED"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bastion.server.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["units"] = _units
    env.filters["when"] = _when
    return env


def _units(value: Any) -> str:
    if value is None:
        return ""
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"


def _when(value: Any) -> str:
    """A time as `2026-11-30 15:31 UTC`."""
    if value is None:
        return ""
    return str(value.strftime("%Y-%m-%d %H:%M UTC")) if hasattr(value, "strftime") else str(value)[:16]


def secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response


def render(
    template: str,
    web: WebContext | None = None,
    *,
    code: int = 200,
    marking: str = DEFAULT_MARKING,
    title: str = "Bastion",
    charts: bool = False,
    **values: Any,
) -> HTMLResponse:
    """A page from `template` with the layout's header (the user, nation and clearance) and banners."""
    page = environment().get_template(template).render(
        user=web.caller if web is not None else None,
        csrf=web.csrf if web is not None else "",
        marking=marking,
        title=title,
        version=__version__,
        **values,
    )
    response = HTMLResponse(page, status_code=code)
    secure(response)
    if charts:
        response.headers["Content-Security-Policy"] = CHART_CSP
    return response


def error_page(request: Request, status: int, message: str) -> Response:
    """The page for a refused request: 404 says only "not found" (never whether the object exists)."""
    titles = {401: "Sign in", 403: "Not allowed", 404: "Not found", 409: "Not ready", 422: "Not valid",
              429: "Too many attempts"}
    if status == 404:
        message = "There is nothing here, or nothing you may see."
    return render("error.html.j2", None, code=status, title=titles.get(status, "Error"),
                  status_code=status, message=message, signed_in=COOKIE in request.cookies)


class WebRoute(APIRoute):
    """A route whose refusals answer as pages: sign-in needed -> the sign-in page; 404, 403, ... -> an
    error page; a malformed id in the URL -> the not-found page (as for any id not visible)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded:
                target = "/login?next=" + quote(request.url.path, safe="/")
                if request.headers.get("HX-Request"):
                    return secure(Response(status_code=204, headers={"HX-Redirect": target}))
                return secure(RedirectResponse(target, status_code=303))
            except ServiceError as error:
                detail = error.detail if isinstance(error.detail, str) else "the request was refused"
                return error_page(request, error.status, detail)
            except RequestValidationError:
                return error_page(request, 404, "")

        return handle


def redirect(url: str) -> Response:
    """303 See Other to a page of this app (after a POST)."""
    return secure(RedirectResponse(url, status_code=303))
