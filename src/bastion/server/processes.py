"""`bastion serve --processes N`: several uvicorn worker processes serving requests, one job queue.

One server process is bound by the GIL to one core: at a few milliseconds of CPU per read, 20
readers queue behind each other. With `--processes N` (N > 1) uvicorn starts N worker processes
on the one listening socket (its supervisor, `uvicorn.run(..., workers=N)`), each importing the
application from `make_app` below, so each builds its own engine and connection pools after it
has started: uvicorn spawns its workers (a fresh interpreter, not a fork), so no connection, lock
or thread crosses a process boundary.

What must happen once happens in the supervisor (`bastion serve`'s own process), never in a
worker: the first start's administrator (before anything listens), `jobs.recover` (jobs left
running become interrupted) and the job dispatcher (`queue.Dispatcher`, its Dask cluster
included), which runs on a thread of the supervisor beside uvicorn's process manager and stops
after the workers have. The workers only serve requests: their application is created with
`ServerSettings(run_jobs=False)`. Everything else a request relies on is in the database and so
shared: the audit chain is appended under the database's lock (SQLite's write lock, PostgreSQL's
advisory lock), the login rate limit counts failures stored in the database, sessions and tokens
are rows. What stays per process is only a cache that may differ between processes without
harm (the OpenID Connect provider's metadata, 10 minutes). A worker whose supervisor has gone
(killed outright, so that it could not stop them) stops itself within a second.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import os
import signal
import socket
import threading
import time
import warnings
from typing import Any

from fastapi import FastAPI

from bastion.server.settings import ServerSettings

#: The environment variable through which `bastion serve` hands its settings to the worker processes.
SETTINGS_ENV = "BASTION_SERVE_SETTINGS"
MAX_DEFAULT = 4


def default_processes() -> int:
    """The machine's cores available to this process, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT, cores))


def export_settings(settings: ServerSettings) -> None:
    """Put what a worker needs of `settings` in the environment its processes inherit."""
    os.environ[SETTINGS_ENV] = json.dumps(
        {"database_url": settings.database_url, "max_upload_bytes": settings.max_upload_bytes}
    )


ACCEPT_PAUSE_S = 0.002
"""After a worker process accepts a connection, it leaves the next ones to the others for this long."""


class WorkerLoop(asyncio.SelectorEventLoop):
    """asyncio's event loop for the worker processes, with two changes to how they take connections
    (uvicorn makes the workers' loops with it: `uvicorn.run(..., loop="bastion.server.processes:WorkerLoop")`):

    - A listening socket accepts one connection when it is ready, then rests for `ACCEPT_PAUSE_S`
      (asyncio takes every connection waiting, up to its backlog: 2,048 under uvicorn). The workers
      share one listening socket and each is woken when a connection arrives; whichever ran first
      took every connection waiting, so clients that open their connections together (20 readers
      with keep-alive) stayed with one process while the others idled: measured, one of two workers
      did 90-100 % of the work. With one connection each and a short rest the workers take turns; a
      connection waits at most `ACCEPT_PAUSE_S` times the waiting ones per worker.
    - Every accepted connection gets `TCP_NODELAY`. asyncio sets it only on sockets whose `proto` is
      TCP, and the socket uvicorn's supervisor makes for its workers says 0: the workers' answers then
      went out under Nagle's algorithm, each waiting for the client's delayed acknowledgement of its
      first segment, about 40 ms (one reader at a time: 48 ms an answer, 2 ms with one process).
    """

    def _accept_connection(  # asyncio's (3.11-3.13), called with every argument positional
        self,
        protocol_factory: Any,
        sock: Any,
        sslcontext: Any = None,
        server: Any = None,
        backlog: int = 100,
        *rest: Any,
    ) -> None:
        super()._accept_connection(protocol_factory, sock, sslcontext, server, 1, *rest)  # type: ignore[misc]
        if self._remove_reader(sock.fileno()):  # type: ignore[attr-defined]
            self.call_later(ACCEPT_PAUSE_S, self._resume, protocol_factory, sock, sslcontext, server, backlog, rest)

    async def _accept_connection2(  # asyncio's: sets up the transport of one accepted connection
        self, protocol_factory: Any, conn: socket.socket, *rest: Any
    ) -> None:
        if conn.family in (socket.AF_INET, socket.AF_INET6):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await super()._accept_connection2(protocol_factory, conn, *rest)  # type: ignore[misc]

    def _resume(
        self, protocol_factory: Any, sock: Any, sslcontext: Any, server: Any, backlog: int, rest: tuple[Any, ...]
    ) -> None:
        if sock.fileno() < 0 or (server is not None and not server.is_serving()):
            return  # stopped meanwhile: the socket is closed, or no longer served
        self._add_reader(  # type: ignore[attr-defined]
            sock.fileno(), self._accept_connection, protocol_factory, sock, sslcontext, server, backlog, *rest
        )


_ACCEPT_PARAMETERS = ("protocol_factory", "sock", "sslcontext", "server", "backlog")


def worker_loop() -> str:
    """The event loop uvicorn gives the worker processes: `WorkerLoop` where this Python's asyncio
    has the private methods it overrides, with the arguments in the order it passes them (checked,
    not assumed: they are not a public interface); else asyncio's own loop, with a warning (the
    workers then share connections less evenly and answer under Nagle's delay, ~40 ms each)."""
    base = asyncio.selector_events.BaseSelectorEventLoop
    accept = getattr(base, "_accept_connection", None)
    fits = (
        accept is not None
        and all(hasattr(base, name) for name in ("_accept_connection2", "_add_reader", "_remove_reader"))
        and tuple(inspect.signature(accept).parameters)[1:6] == _ACCEPT_PARAMETERS
    )
    if fits:
        return "bastion.server.processes:WorkerLoop"
    warnings.warn("this Python's asyncio differs from the one WorkerLoop was written for: the server "
                  "processes use asyncio's own loop (connections shared less evenly, answers slower)",
                  RuntimeWarning, stacklevel=2)
    return "asyncio"


def make_app() -> FastAPI:
    """The application of one worker process (uvicorn's factory): requests only, no job queue."""
    from bastion.server.app import create_app
    from bastion.server.oidc import oidc_from_env

    raw: dict[str, Any] = json.loads(os.environ.get(SETTINGS_ENV, "{}"))
    settings = ServerSettings(
        database_url=raw.get("database_url"),
        max_upload_bytes=int(raw.get("max_upload_bytes", ServerSettings.max_upload_bytes)),
        oidc=oidc_from_env(),  # checked by `bastion serve` before the workers started
        run_jobs=False,
    )
    _stop_with(os.getppid())
    app = create_app(settings)
    settle_heap()
    return app


def settle_heap() -> None:
    """Collect once, then put every object alive (the imported libraries, the application: hundreds of
    thousands) out of the garbage collector's reach (`gc.freeze`), for a process that will now only
    serve requests. Otherwise a full collection walks them all from time to time: 126-145 ms of CPU
    each in a worker under the issue's benchmark, during which none of its threads runs (the GIL),
    so every request in that process waited that long. Objects made later are collected as before."""
    gc.collect()
    gc.freeze()


def _stop_with(parent: int, every_s: float = 1.0) -> None:
    """Stop this worker (SIGTERM: a graceful stop) once its supervisor is gone: killed outright, it
    cannot stop its workers, which would otherwise go on holding the address and the store."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="bastion-supervisor-watch", daemon=True).start()
