"""Requests admitted a few at a time, queued in the event loop before they take a thread.

Every request writes (its audit record at least), and its transaction holds a lock from its
first write until its commit: SQLite's file write lock (from the first query: `BEGIN IMMEDIATE`),
or on PostgreSQL the audit trail's advisory lock (from the audit append). That span crosses
several hops through the thread pool (dependencies, the endpoint, the commit). Had tens of
requests waited for the lock inside the pool's threads, they would hold every thread (and every
pooled connection) while the request owning the lock waits for one: a standstill, broken only
by timeouts. Admitted here, at most `limit` at once (1 on SQLite, which lets one writer in at a
time anyway; 8 on PostgreSQL, below the thread pool's 40 threads and the connection pool's 15),
they go in turn. A server-sent event stream (`Accept: text/event-stream`) is not counted: it
would hold its place for as long as it streams; nor is an OpenID Connect sign-in (`/login/oidc...`),
which waits on the identity provider before its short database work.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

SQLITE_LIMIT = 1
POSTGRESQL_LIMIT = 8


class AdmitRequests:
    """ASGI middleware: at most `limit` HTTP requests at a time inside `app` (event streams excepted)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _streams(scope):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)


def admission_limit(dialect: str) -> int:
    return SQLITE_LIMIT if dialect == "sqlite" else POSTGRESQL_LIMIT


def _streams(scope: Scope) -> bool:
    if str(scope.get("path", "")).startswith("/login/oidc"):
        return True  # waits on the identity provider (up to its timeout): it must not hold a place meanwhile
    return any(name == b"accept" and b"text/event-stream" in value for name, value in scope.get("headers", []))
