"""Two ASGI middlewares on every HTTP request: HEAD answered as GET, and the API's security headers.

`HeadAsGet`: a HEAD request is served as the GET of the same URL (the same status, headers and
audit record: a read), and its body is dropped. FastAPI's routes answer only the methods they
declare, so without it HEAD was 405 everywhere. A streamed answer (a run's server-sent events)
ends after its first part. Not for a GET that acts (`ACTING_GETS`: the OpenID Connect sign-in and
its callback): a HEAD there stays 405.

`ApiHeaders`: every answer under `/api/` (and `/healthz`) carries `X-Content-Type-Options: nosniff`
and `Cache-Control: no-store` (classified JSON must not stay in a browser's or a proxy's cache).
A report page (`/api/v1/{runs,studies}/{id}/report.html`, inline scripts and plotly) also carries
`Content-Security-Policy: sandbox allow-scripts`: its scripts run, but in an opaque origin, so
they can neither read nor send the session cookie, nor call the API as the user. The web pages
(`/`, `/scenarios`, ...) set their own headers (web/) and are left as they are.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_HEADERS = ((b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store"))
REPORT_CSP = b"sandbox allow-scripts"
"""The report pages' Content-Security-Policy: scripts run, in an opaque origin (no cookie, no API)."""


class _HeadAnswered(OSError):
    """A HEAD's answer is complete: stop the stream behind it (Starlette reads an OSError as a disconnect)."""


ACTING_GETS = ("/login/oidc",)
"""Paths whose GET does something (the OpenID Connect sign-in and its callback): a HEAD of
them is not turned into that GET (a link checker or a prefetch must not sign anyone in)."""


def _acts(scope: Scope) -> bool:
    return str(scope.get("path", "")).startswith(ACTING_GETS)


class HeadAsGet:
    """ASGI middleware: HEAD is served as GET without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD" or _acts(scope):
            await self.app(scope, receive, send)  # (a HEAD of a GET that acts: 405, as before)
            return
        answered = False

        async def without_body(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] == "http.response.body":
                if answered:
                    raise _HeadAnswered
                answered = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                if message.get("more_body", False):
                    raise _HeadAnswered  # a stream: nothing more is sent, stop producing it
            else:  # pragma: no cover - trailers and the like: not used here
                await send(message)

        try:
            await self.app({**scope, "method": "GET"}, receive, without_body)
        except (_HeadAnswered, ClientDisconnect):
            if not answered:
                raise


class ApiHeaders:
    """ASGI middleware: the API's answers get nosniff and no-store; its report pages a sandboxing CSP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not (path.startswith("/api/") or path == "/healthz"):
            await self.app(scope, receive, send)
            return
        extra = [*API_HEADERS]
        if path.endswith("/report.html"):
            extra.append((b"content-security-policy", REPORT_CSP))
        names = {name for name, _ in extra}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": [*kept, *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
