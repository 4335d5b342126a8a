"""Request dependencies: the request's session and context, and bearer authentication."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bastion.server.db import Database
from bastion.server.errors import Forbidden, Unauthorized
from bastion.server.repository import Caller, Users
from bastion.server.services import Context
from bastion.server.settings import ServerSettings

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token")


def settings(request: Request) -> ServerSettings:
    value: ServerSettings = request.app.state.settings
    return value


def address(request: Request) -> str:
    return request.client.host if request.client is not None else "-"


def context(request: Request) -> Iterator[Context]:
    """A context whose session commits when the request succeeds and rolls back when it fails."""
    db: Database = request.app.state.db
    session = db.session()
    try:
        yield Context(session, None, address(request))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def authenticated(
    ctx: Annotated[Context, Depends(context)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Context:
    """The context of a caller holding a valid token; 401 otherwise."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("not authenticated: send Authorization: Bearer TOKEN")
    token = credentials.credentials
    if len(token) > 200 or not token.isascii():
        raise Unauthorized("malformed token")
    user = Users(ctx.session).by_token(token)
    if user is None:
        raise Unauthorized("invalid or expired token")
    ctx.caller = Caller.of(user)
    return ctx


def auditor(ctx: Annotated[Context, Depends(authenticated)]) -> Context:
    if ctx.caller is None or ctx.caller.role != "auditor":
        raise ctx.refuse(Forbidden("only auditors read the audit trail"), "read-audit", "-", "forbidden")
    return ctx


Ctx = Annotated[Context, Depends(context)]
Authed = Annotated[Context, Depends(authenticated)]
Auditor = Annotated[Context, Depends(auditor)]
Settings = Annotated[ServerSettings, Depends(settings)]
