"""User management shared by the CLI (`bastion users`) and the first start of `bastion serve`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bastion.server import audit
from bastion.server.repository import Users
from bastion.server.security import LEVELS, NATION, ROLES, hash_password, new_password
from bastion.store.server_tables import User


class UserError(ValueError):
    """A user that cannot be added or changed (the message says why)."""


def check(role: str | None = None, nation: str | None = None, clearance: str | None = None) -> None:
    if role is not None and role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if nation is not None and not NATION.fullmatch(nation):
        raise UserError(f"nation {nation!r}: expected an ISO 3166-1 alpha-3 code in capitals, e.g. LVA")
    if clearance is not None and clearance not in LEVELS:
        raise UserError(f"clearance {clearance!r}: expected one of {', '.join(LEVELS)}")


def add_user(
    session: Session, name: str, role: str, nation: str, clearance: str, password: str, actor: str = "cli"
) -> User:
    if not name or len(name) > 100 or not name.isprintable():
        raise UserError("the user name must be 1 to 100 printable characters")
    check(role, nation, clearance)
    if len(password) < 8:
        raise UserError("the password must have at least 8 characters")
    users = Users(session)
    if users.by_name(name) is not None:
        raise UserError(f"user {name!r} exists already")
    user = users.add(name, role, nation, clearance, hash_password(password))
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


def disable(session: Session, name: str) -> None:
    user = find(session, name)
    user.disabled = True
    Users(session).revoke_tokens(user)
    audit.append(session, actor="cli", address="local", action="disable-user", obj=f"user:{name}", outcome="ok")


def set_role(session: Session, name: str, role: str) -> None:
    check(role=role)
    user = find(session, name)
    user.role = role
    Users(session).revoke_tokens(user)
    audit.append(session, actor="cli", address="local", action="set-role", obj=f"user:{name}={role}", outcome="ok")
