"""Roles, clearances, Argon2id password hashes and bearer tokens (stored as sha256)."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bastion.scenario.types import LEVELS as LEVELS

Role = Literal["viewer", "analyst", "admin", "auditor"]
ROLES: tuple[Role, ...] = ("viewer", "analyst", "admin", "auditor")

# Clearance and classification levels, lowest first (the scenario file's `releasability.level`):
# a user sees a level at or below their clearance.

NATION = re.compile(r"^[A-Z]{3}$")
"""An ISO 3166-1 alpha-3 code, upper case (the form is checked, not the list of codes)."""

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
