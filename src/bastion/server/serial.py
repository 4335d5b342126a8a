"""On a SQLite store, requests go in one at a time, queued in the event loop.

Every request writes (its audit record at least) and SQLite lets one writer in at a time, so
each request's transaction holds the file's write lock from its first query to its commit,
across several hops through the thread pool (dependencies, then the endpoint). Requests that
waited for that lock inside the pool's threads would hold every thread while the request owning
the lock waits for one: a standstill, broken only by timeouts. Queued here instead, on an
asyncio lock before any thread is taken, they go in turn. A server-sent event stream (`Accept:
text/event-stream`) is not queued: it would hold the queue for as long as it streams.
PostgreSQL stores are not queued (row locks and the audit trail's advisory lock suffice).
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send


class SerialRequests:
    """ASGI middleware: one HTTP request at a time through `app` (event streams excepted)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._lock: asyncio.Lock | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _streams(scope):
            await self.app(scope, receive, send)
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            await self.app(scope, receive, send)


def _streams(scope: Scope) -> bool:
    return any(name == b"accept" and b"text/event-stream" in value for name, value in scope.get("headers", []))
