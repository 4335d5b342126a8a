"""The application factory: `create_app(settings)` gives the FastAPI app on the store.

Every error answers JSON `{"detail": ...}` with its status; an unexpected one answers 500 with
a fixed message (never a traceback). Request bodies over `settings.max_upload_bytes` answer 413.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bastion import __version__
from bastion.server.db import Database
from bastion.server.deps import authenticate_only, authenticates_inside_marked
from bastion.server.errors import ServiceError
from bastion.server.http_extras import ApiHeaders, HeadAsGet
from bastion.server.routes import audit, auth, oidc, runs, scenarios, studies, tokens
from bastion.server.serial import AdmitRequests, admission_limit
from bastion.server.settings import ServerSettings

log = logging.getLogger("bastion.server")


class BodyTooLarge(Exception):
    """A request body over the limit (raised while it is read)."""


class LimitBody:
    """ASGI middleware: 413 for a body whose Content-Length, or whose streamed bytes, exceed `limit`."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.limit:
                    await _too_large(self.limit, send)
                    return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await _too_large(self.limit, send)


async def _too_large(limit: int, send: Send) -> None:
    response = JSONResponse({"detail": f"request body larger than {limit} bytes"}, status_code=413)
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:  # pragma: no cover - a JSONResponse never reads
    return {"type": "http.disconnect"}


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API, not a script): answer refusals as the web's pages."""
    path = request.url.path
    return not path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def create_app(settings: ServerSettings | None = None, db: Database | None = None) -> FastAPI:
    """The API on the store of `settings.database_url` (migrated on opening)."""
    settings = settings or ServerSettings()
    database = db or Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """On start: jobs left running are interrupted, queued ones resume on the job queue (Dask); not in
        a request-only process (`settings.run_jobs` False: processes.py)."""
        from bastion.server.queue import start_job_queue

        dispatcher = start_job_queue(database, settings.workers, settings.scheduler) if settings.run_jobs else None
        app.state.dispatcher = dispatcher
        try:
            yield
        finally:
            if dispatcher is not None:
                dispatcher.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Bastion workspace server",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = database

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, error: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return JSONResponse({"detail": error.detail}, status_code=error.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        if authenticates_inside_marked(request.scope.get("endpoint")):
            try:  # as for an endpoint taking `Authed`: 401 before 422 (deps.authenticates_inside)
                await authenticate_only(request)
            except ServiceError as refused:
                return await _service_error(request, refused)
        detail = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in error.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404 and wants_page(request):
            from bastion.server.web.pages import error_page  # a typed URL in the browser: the web's page

            return error_page(request, 404, "")
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(Exception)
    async def _internal(request: Request, error: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error (logged on the server)"}, status_code=500)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, Any]:
        """200 while the server runs."""
        return {"status": "ok", "version": __version__}

    for router in (auth.router, scenarios.router, runs.router, audit.router):
        app.include_router(router)
    app.include_router(studies.router)
    app.include_router(tokens.router)
    app.include_router(oidc.router)  # signing in with OpenID Connect, when configured
    app.include_router(__import__("bastion.server.web", fromlist=["router"]).router)  # the web app (docs/web.md)
    app.add_middleware(LimitBody, limit=settings.max_upload_bytes)
    # a few requests at a time, queued in the event loop rather than in the thread pool (serial.py)
    app.add_middleware(AdmitRequests, limit=admission_limit(database.engine.dialect.name))
    app.add_middleware(ApiHeaders)  # nosniff, no-store; a sandboxing CSP on report pages (http_extras.py)
    app.add_middleware(HeadAsGet)  # HEAD answered as GET without its body
    return app
