"""Roles, clearances, Argon2id password hashes, bearer tokens and browser sessions (stored as
sha256), and the CSRF token of a session.

Browser sessions: `POST /api/v1/session` (or the web app's sign-in page) sets the cookie
`SESSION_COOKIE` (a random token; the server keeps its sha256, as for bearer tokens) as
`HttpOnly`, `SameSite=Strict`, and `Secure` when the request came over https or
`BASTION_SECURE_COOKIES=1`. Every state-changing request (any method but GET, HEAD, OPTIONS)
authenticated by that cookie must carry the header `CSRF_HEADER` with the session's CSRF token,
`csrf_token(session token)`: an HMAC-SHA256 of the label "csrf" keyed by the session token (a
synchronizer token derived from the session, so nothing more is stored; a page on another site can
neither read the cookie nor compute it). Requests with `Authorization: Bearer` need no CSRF token.
The web app gets the current request's token with `csrf_token_of(request)`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import HTTPConnection

from bastion.scenario.types import LEVELS as LEVELS

Role = Literal["viewer", "analyst", "admin", "auditor"]
ROLES: tuple[Role, ...] = ("viewer", "analyst", "admin", "auditor")

# Clearance and classification levels, lowest first (the scenario file's `releasability.level`):
# a user sees a level at or below their clearance.

NO_NUL = r"^[^\x00]*$"
"""Pattern of every free text the API accepts: no NUL character (PostgreSQL's text cannot hold one)."""

NATION = re.compile(r"^[A-Z]{3}$")
"""An ISO 3166-1 alpha-3 code, upper case (the form is checked, not the list of codes)."""

PASSWORD_MIN = 8
"""Shortest password a user may be given (CLI, web app, API)."""
PASSWORD_MAX = 1000
"""Longest password a user may be given, and the longest a login accepts (422 beyond)."""

_HASHER = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile


def rank(level: str) -> int:
    """0 for UNCLASSIFIED up to 3 for SECRET."""
    return [str(name) for name in LEVELS].index(level)


def hash_password(password: str) -> str:
    """An Argon2id hash of `password` (salted, encoded with its parameters)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


#: A hash checked when the user does not exist, so that a wrong name costs as long as a wrong password.
DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def new_token() -> str:
    """A new random bearer token (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The sha256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_password() -> str:
    """A random one-time password for the first administrator."""
    return secrets.token_urlsafe(18)


SESSION_COOKIE = "bastion_session"
"""The browser session's cookie."""
CSRF_HEADER = "X-CSRF-Token"
"""The header that carries the CSRF token on a state-changing request made with the cookie."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing, so need no CSRF token."""
SECURE_COOKIES_ENV = "BASTION_SECURE_COOKIES"
_CSRF_LABEL = b"csrf"  # the web app's forms use the same token


def csrf_token(session_token: str) -> str:
    """The CSRF token of a browser session: HMAC-SHA256 (hex) of "csrf" keyed by the session token."""
    return hmac.new(session_token.encode("utf-8"), _CSRF_LABEL, hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, presented: str | None) -> bool:
    """True when `presented` is the session's CSRF token (compared in constant time)."""
    if not presented or len(presented) > 200 or not presented.isascii():
        return False
    return hmac.compare_digest(csrf_token(session_token), presented)


def csrf_token_of(request: HTTPConnection) -> str | None:
    """The CSRF token the web app must send (header `X-CSRF-Token`, or embed in its page) with the
    request's session cookie; None when the request has no session cookie. It does not check the
    session: call it on a request the API has authenticated (e.g. after `GET /api/v1/session`)."""
    token = request.cookies.get(SESSION_COOKIE)
    return csrf_token(token) if token else None


def presented_token(request: HTTPConnection) -> str | None:
    """The token a request presents: the `Authorization: Bearer` one when the header is sent (None
    for another scheme), else the session cookie's."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else None
    return request.cookies.get(SESSION_COOKIE)


def secure_cookies(request: HTTPConnection) -> bool:
    """Whether the session cookie is marked `Secure`: an https request (behind TLS), or the
    environment's `BASTION_SECURE_COOKIES=1` (e.g. behind a proxy that terminates TLS)."""
    return request.url.scheme == "https" or os.environ.get(SECURE_COOKIES_ENV, "") == "1"
