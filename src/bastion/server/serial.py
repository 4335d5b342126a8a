"""Requests admitted a few at a time, queued in the event loop before they take a thread.

A request that changes something (any method but GET, HEAD and OPTIONS) holds a lock from its
first write until its commit: SQLite's file write lock (from its first query: `BEGIN IMMEDIATE`),
or on PostgreSQL the audit trail's advisory lock (from its audit append). That span crosses
several hops through the thread pool (dependencies, the endpoint, the commit). Had tens of
requests waited for the lock inside the pool's threads, they would hold every thread (and every
pooled connection) while the request owning the lock waits for one: a standstill, broken only
by timeouts. So writers are admitted here, `writers` at once (1 on SQLite, which lets one writer
in at a time anyway; 4 on PostgreSQL), and go in turn.

A request that only reads takes no lock (db.py: SQLite's WAL lets readers run beside the writer;
its audit record goes through the audit batch, on connections of its own): `readers` of them (8)
are admitted at once beside the writers, so a read never waits behind a write's whole request,
and the two together stay below the thread pool's 40 threads and the connection pool's 15. A
server-sent event stream (`Accept: text/event-stream`) is not counted: it would hold its place
for as long as it streams; nor is an OpenID Connect sign-in (`/login/oidc...`), which waits
on the identity provider before its short database work.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from bastion.server.security import SAFE_METHODS

SQLITE_WRITERS = 1
POSTGRESQL_WRITERS = 4
READERS = 8


@dataclass(frozen=True)
class Limits:
    """How many reading and how many writing requests are let in at once."""

    readers: int
    writers: int


class AdmitRequests:
    """ASGI middleware: at most `limit.readers` reading and `limit.writers` writing HTTP requests at
    a time inside `app` (event streams excepted)."""

    def __init__(self, app: ASGIApp, limit: Limits) -> None:
        self.app = app
        self.limits = limit
        self._readers: asyncio.Semaphore | None = None
        self._writers: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _streams(scope):
            await self.app(scope, receive, send)
            return
        if self._readers is None or self._writers is None:
            self._readers = asyncio.Semaphore(self.limits.readers)
            self._writers = asyncio.Semaphore(self.limits.writers)
        slots = self._readers if scope.get("method", "GET") in SAFE_METHODS else self._writers
        async with slots:
            await self.app(scope, receive, send)


def admission_limit(dialect: str) -> Limits:
    return Limits(READERS, SQLITE_WRITERS if dialect == "sqlite" else POSTGRESQL_WRITERS)


def _streams(scope: Scope) -> bool:
    if str(scope.get("path", "")).startswith("/login/oidc"):
        return True  # waits on the identity provider (up to its timeout): it must not hold a place meanwhile
    return any(name == b"accept" and b"text/event-stream" in value for name, value in scope.get("headers", []))
