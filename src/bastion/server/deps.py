"""Request dependencies: the request's session and context, and authentication (a bearer token,
or the browser's session cookie with its CSRF token on state-changing requests)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bastion.server.db import Database
from bastion.server.errors import Forbidden, ServiceError, Unauthorized
from bastion.server.repository import Users
from bastion.server.security import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, csrf_matches
from bastion.server.services import Context
from bastion.server.settings import ServerSettings

T = TypeVar("T")
E = TypeVar("E", bound=Callable[..., Any])
_INSIDE = "_bastion_authenticates_inside"
_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token")


def settings(request: Request) -> ServerSettings:
    value: ServerSettings = request.app.state.settings
    return value


def address(request: Request) -> str:
    return request.client.host if request.client is not None else "-"


def context(request: Request) -> Iterator[Context]:
    """A context whose session commits when the request succeeds and rolls back when it fails; a
    reading session (no lock, audit records batched: db.py) for GET, HEAD and OPTIONS."""
    yield from _context(request, read=request.method in SAFE_METHODS)


def writing_context(request: Request) -> Iterator[Context]:
    """As `context`, always a writing session: for a GET that changes the store (the identity
    provider's return opens a session)."""
    yield from _context(request, read=False)


def _context(request: Request, read: bool) -> Iterator[Context]:
    db: Database = request.app.state.db
    session = db.session(read=read)
    try:
        yield Context(session, None, address(request))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _well_formed(token: str) -> bool:
    return 0 < len(token) <= 200 and token.isascii() and token.isprintable()


def authenticated(
    request: Request,
    ctx: Annotated[Context, Depends(context, scope="function")],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Context:
    """The context of a caller holding a valid bearer token or session cookie; 401 otherwise.

    An `Authorization` header, when sent, is the only credential looked at. Without it, the
    session cookie is; then a state-changing request must carry the session's CSRF token in
    `X-CSRF-Token` (403 otherwise, recorded as `csrf` / `forbidden`).
    """
    return _authenticate(request, ctx, credentials)


def _authenticate(request: Request, ctx: Context, credentials: HTTPAuthorizationCredentials | None) -> Context:
    if "authorization" in request.headers:
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise _refused(ctx, request, "not authenticated: send Authorization: Bearer TOKEN")
        token = credentials.credentials
        if not _well_formed(token):
            raise _refused(ctx, request, "malformed token")
        caller = Users(ctx.session).caller_by_token(token)
        if caller is None:
            raise _refused(ctx, request, "invalid or expired token")
        ctx.caller = caller
        return ctx
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise _refused(
            ctx, request, "not authenticated: send Authorization: Bearer TOKEN, or log in (POST /api/v1/session)"
        )
    caller = Users(ctx.session).caller_by_token(cookie) if _well_formed(cookie) else None
    if caller is None:
        raise _refused(ctx, request, "invalid or expired session: log in again")
    ctx.caller = caller
    if request.method not in SAFE_METHODS and not csrf_matches(cookie, request.headers.get(CSRF_HEADER)):
        raise ctx.refuse(
            Forbidden(f"missing or wrong CSRF token: send the session's token in the {CSRF_HEADER} header"),
            "csrf",
            request_object(request),
            "forbidden",
        )
    return ctx


async def authenticated_read(
    request: Request, credentials: HTTPAuthorizationCredentials | None, work: Callable[[Context], T]
) -> T:
    """`work(ctx)` for a caller authenticated as `authenticated` does, in a reading session as `context`
    opens for a GET (committed when `work` returns, rolled back when it raises), all in one trip through
    the thread pool. The same as an endpoint taking `Authed`, for the hot read paths (a list page, a
    scenario, a run, a diff): FastAPI would take five trips (the session's dependency in and out,
    authentication, the endpoint and the response model's validation), each a thread switch and a
    wake-up of the event loop. `work` returns the answer already serialised (answer.py)."""
    return await run_in_threadpool(_read, request, credentials, work)


def authenticates_inside(endpoint: E) -> E:
    """Mark an endpoint that authenticates inside itself (`authenticated_read`), so that a request with
    invalid parameters is answered as by an endpoint taking `Authed`: 401 first when the caller is not
    authenticated, 422 otherwise (FastAPI solves dependencies before it refuses parameters; app.py's
    handler of invalid requests authenticates these first)."""
    setattr(endpoint, _INSIDE, True)
    return endpoint


def authenticates_inside_marked(endpoint: object) -> bool:
    return bool(getattr(endpoint, _INSIDE, False))


async def authenticate_only(request: Request) -> None:
    """Authenticate the request as `authenticated_read` would (its ServiceError when it fails), nothing more."""
    await authenticated_read(request, await _bearer(request), lambda ctx: None)


def _read(request: Request, credentials: HTTPAuthorizationCredentials | None, work: Callable[[Context], T]) -> T:
    db: Database = request.app.state.db
    session = db.session(read=True)
    try:
        answer = work(_authenticate(request, Context(session, None, address(request)), credentials))
        session.commit()
        return answer
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_ID_TEXT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ID_BEFORE = ("scenarios", "runs", "studies", "compare")
"""The path words an object's id follows (the audit listing reads the id after each: audit_read.py)."""


def request_object(request: Request) -> str:
    """A refused request as an audit record's object: its method and its route's path template, with
    only the ids an audit listing can check filled in (a parameter that follows `/scenarios/`,
    `/runs/`, `/studies/` or `/compare/` and has an id's form); every other parameter, and an id
    of any other form, stays `{name}`. The request is refused before its parameters are validated,
    so its raw path may hold any text, such as another nation's id after a space or in a parameter
    no listing reads; the template never does."""
    route = request.scope.get("route")
    template = getattr(route, "path_format", None)
    if not isinstance(template, str):
        return f"{request.method} -"
    params = request.scope.get("path_params") or {}
    parts = template.split("/")
    for k, part in enumerate(parts):
        if part.startswith("{") and part.endswith("}"):
            value = params.get(part[1:-1].split(":")[0])
            if k and parts[k - 1] in _ID_BEFORE and isinstance(value, str) and _ID_TEXT.fullmatch(value):
                parts[k] = value
    return f"{request.method} {'/'.join(parts)}"


def _refused(ctx: Context, request: Request, message: str) -> ServiceError:
    """A 401, recorded (actor `-`, action `authenticate`, the request as object (`request_object`),
    outcome `unauthorized`)."""
    return ctx.refuse(Unauthorized(message), "authenticate", request_object(request), "unauthorized")


def auditor(ctx: Annotated[Context, Depends(authenticated)]) -> Context:
    if ctx.caller is None or ctx.caller.role != "auditor":
        raise ctx.refuse(Forbidden("only auditors read the audit trail"), "read-audit", "-", "forbidden")
    return ctx


# scope="function": the session commits when the endpoint returns, before the response is sent.
# With FastAPI's default ("request") it would commit after the response had gone out, so a
# browser following a redirect could read the store before the write it was sent from had landed,
# and a client could be told "saved" of a commit that then failed.
Ctx = Annotated[Context, Depends(context, scope="function")]
Writing = Annotated[Context, Depends(writing_context, scope="function")]
Authed = Annotated[Context, Depends(authenticated)]
Auditor = Annotated[Context, Depends(auditor)]
Settings = Annotated[ServerSettings, Depends(settings)]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
"""The bearer credentials of a request, for `authenticated_read` (OpenAPI: the same security scheme)."""
