"""User management shared by the CLI (`bastion users`), the web app's users page and the first start
of `bastion serve`: the rules for names and passwords are checked here, in one place."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion.server import audit
from bastion.server.repository import Users
from bastion.server.security import (
    LEVELS,
    NATION,
    PASSWORD_MAX,
    PASSWORD_MIN,
    ROLES,
    hash_password,
    new_password,
)
from bastion.store.server_tables import User

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
"""A user name: 1 to 100 ASCII letters, digits and `. _ - @`, starting with a letter or digit."""
RESERVED = frozenset({"-", "cli", "serve"})
"""Actors of the audit trail that are not users: `-` (before login), `cli` (`bastion users`),
`serve` (the first start): no user may take these names, in any case."""


class UserError(ValueError):
    """A user that cannot be added or changed (the message says why)."""


def check(role: str | None = None, nation: str | None = None, clearance: str | None = None) -> None:
    if role is not None and role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if nation is not None and not NATION.fullmatch(nation):
        raise UserError(f"nation {nation!r}: expected an ISO 3166-1 alpha-3 code in capitals, e.g. LVA")
    if clearance is not None and clearance not in LEVELS:
        raise UserError(f"clearance {clearance!r}: expected one of {', '.join(LEVELS)}")


def name_key(name: str) -> str:
    """The form under which two names are the same user: NFKC, then case-folded (`ALVA` is `alva`)."""
    return unicodedata.normalize("NFKC", name).casefold()


def check_name(name: str) -> None:
    """Refuse a malformed or reserved user name (the charset of `NAME`; not `cli`, `serve`, `-`)."""
    if not NAME.fullmatch(name):
        raise UserError(
            "the user name must be 1 to 100 characters: ASCII letters, digits and . _ - @, "
            "starting with a letter or a digit"
        )
    if name_key(name) in RESERVED:
        raise UserError(f"the user name {name!r} is reserved: the audit trail names the system so")


def check_password(password: str) -> None:
    """The one rule for every password set (CLI, web app, API) and accepted at login: 8 to 1000
    characters, no NUL character."""
    if len(password) < PASSWORD_MIN:
        raise UserError(f"the password must have at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise UserError(f"the password must have at most {PASSWORD_MAX} characters")
    if "\x00" in password:
        raise UserError("the password must not contain a NUL character")


USERS_LOCK = 195957001
"""PostgreSQL advisory lock (transaction-scoped) that serialises the changes of users (`serialise`)."""


def serialise(session: Session) -> None:
    """Wait for any other transaction changing users to end; call first in every transaction that
    checks users and then changes them.

    The checks that span users (a name unique up to case, compared in Python; at least one active
    administrator left) read, then write: under PostgreSQL's READ COMMITTED two concurrent changes
    would each pass its check on the other's unchanged state (two last administrators demoted at
    once; `Ana` and `ana` added at once). So on PostgreSQL a transaction-scoped advisory lock (held to
    the commit or rollback; the audit chain's is another one) is taken before the check; each later
    statement then sees what the previous holder committed. On SQLite nothing is needed: a writing
    transaction holds the file's write lock from its start (`BEGIN IMMEDIATE`). Taken before any audit
    record is appended (whose lock is then always taken second, so the two cannot deadlock).
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({USERS_LOCK})")


def add_user(
    session: Session, name: str, role: str, nation: str, clearance: str, password: str, actor: str = "cli"
) -> User:
    check_name(name)
    check(role, nation, clearance)
    check_password(password)
    password_hash = hash_password(password)  # before the lock: it takes a while
    serialise(session)
    users = Users(session)
    key = name_key(name)
    # names stored before the charset rule may be anything: compare the normalised forms here
    same = [u.name for u in users.all() if name_key(u.name) == key]
    if same:
        exists = f"user {name!r} exists already"
        raise UserError(exists if same[0] == name else f"{exists} as {same[0]!r} (names differ by more than case)")
    user = users.add(name, role, nation, clearance, password_hash)
    audit.append(session, actor=actor, address="local", action="add-user", obj=f"user:{name}", outcome="ok")
    return user


def first_admin(session: Session, nation: str = "ZZZ") -> str | None:
    """When there is no user at all, create `admin` with a random password and return it (else None)."""
    if Users(session).count() > 0:
        return None
    password = new_password()
    add_user(session, "admin", "admin", nation, "UNCLASSIFIED", password, actor="serve")
    return password


def find(session: Session, name: str) -> User:
    user = Users(session).by_name(name)
    if user is None:
        raise UserError(f"no user {name!r}")
    return user


def keep_an_admin(session: Session, user: User, role: str, disabled: bool) -> None:
    """Refuse to disable or demote the last active administrator (nobody could manage users then).
    The caller has called `serialise` first; `user`'s stored role and state are read again here (the
    object may have been loaded before the lock, e.g. the caller's own user)."""
    stored = session.execute(select(User.role, User.disabled).where(User.id == user.id)).one_or_none()
    was_role, was_disabled = (user.role, user.disabled) if stored is None else (stored[0], stored[1])
    if was_role != "admin" or was_disabled or (role == "admin" and not disabled):
        return
    others = select(func.count()).select_from(User).where(
        User.role == "admin", User.disabled.is_(False), User.id != user.id
    )
    if int(session.execute(others).scalar_one()) == 0:
        raise UserError(
            f"{user.name!r} is the last active administrator: add or enable another administrator first"
        )


def disable(session: Session, name: str) -> None:
    serialise(session)
    user = find(session, name)
    keep_an_admin(session, user, user.role, disabled=True)
    user.disabled = True
    Users(session).revoke_tokens(user)
    audit.append(session, actor="cli", address="local", action="disable-user", obj=f"user:{name}", outcome="ok")


def set_role(session: Session, name: str, role: str) -> None:
    check(role=role)
    serialise(session)
    user = find(session, name)
    keep_an_admin(session, user, role, disabled=bool(user.disabled))
    user.role = role
    Users(session).revoke_tokens(user)
    audit.append(session, actor="cli", address="local", action="set-role", obj=f"user:{name}={role}", outcome="ok")


def set_password(session: Session, name: str, password: str) -> None:
    """An administrator's reset from the command line: the new password, and every token and session
    of the user revoked (whoever held one must sign in with the new password)."""
    check_password(password)
    password_hash = hash_password(password)
    serialise(session)
    user = find(session, name)
    user.password_hash = password_hash
    Users(session).revoke_tokens(user)
    audit.append(session, actor="cli", address="local", action="set-password", obj=f"user:{name}", outcome="ok")
