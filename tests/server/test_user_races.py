"""Concurrent user changes are serialised, so that their checks hold (users.serialise, docs/server.md).

Each test opens a first change's transaction and, while it is open (its check passed, its change
not committed), starts a second one in another thread. On PostgreSQL the test waits until the
second is seen waiting for the users' lock (`pg_locks`), then commits the first: the second then
checks what the first committed and is refused. Without the lock, under READ COMMITTED, the second
would not wait and both would pass their checks (the wait below then fails the test). On SQLite the
second waits at its `BEGIN IMMEDIATE` for the first's write lock; the outcome is the same.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from tests.server.conftest import PASSWORD, Server
from tests.web.test_pages import Browser

from bastion.server.users import USERS_LOCK, UserError, add_user, disable, set_role
from bastion.store.server_tables import User

WAIT_S = 20.0


def _waiting_for_the_users_lock(server: Server) -> bool:
    """True once another transaction waits for the users' advisory lock (polled up to WAIT_S)."""
    engine = create_engine(server.url, isolation_level="AUTOCOMMIT")
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 0 "
        "AND objid = :key AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    try:
        deadline = time.monotonic() + WAIT_S
        with engine.connect() as connection:
            while time.monotonic() < deadline:
                if connection.execute(query, {"key": USERS_LOCK}).scalar_one() > 0:
                    return True
                time.sleep(0.02)
        return False
    finally:
        engine.dispose()


def _race(server: Server, first: Callable[[Session], None], second: Callable[[Session], None]) -> list[Exception]:
    """Run `second` in another thread while `first`'s transaction is open; the errors `second` raised."""
    errors: list[Exception] = []

    def other() -> None:
        with server.db.transaction() as session:
            second(session)

    _open_race(server, first, other, errors)
    return errors


def _open_race(
    server: Server, first: Callable[[Session], None], other: Callable[[], None], errors: list[Exception]
) -> None:
    def run() -> None:
        try:
            other()
        except Exception as error:  # handed to the test
            errors.append(error)

    thread = threading.Thread(target=run)
    with server.db.transaction() as session:
        first(session)
        thread.start()
        if server.db.engine.dialect.name == "postgresql":
            assert _waiting_for_the_users_lock(server), "the second change did not wait for the first"
    thread.join(WAIT_S * 3)
    assert not thread.is_alive()


def _admins(server: Server) -> list[str]:
    with server.db.transaction() as session:
        query = select(User.name).where(User.role == "admin", User.disabled.is_(False)).order_by(User.name)
        return list(session.scalars(query))


@pytest.mark.parametrize("second", ["demote", "disable"])
def test_the_last_two_administrators_cannot_both_be_removed_at_once(server: Server, second: str) -> None:
    server.user("a", "admin", "LVA", "SECRET")
    server.user("b", "admin", "LVA", "SECRET")
    other: Callable[[Session], None] = (
        (lambda session: set_role(session, "b", "analyst")) if second == "demote" else (lambda s: disable(s, "b"))
    )
    errors = _race(server, lambda session: set_role(session, "a", "analyst"), other)
    assert [str(error) for error in errors] == [
        "'b' is the last active administrator: add or enable another administrator first"
    ]
    assert all(isinstance(error, UserError) for error in errors)
    assert _admins(server) == ["b"]


def test_two_names_differing_by_case_cannot_both_be_added_at_once(server: Server) -> None:
    errors = _race(
        server,
        lambda session: add_user(session, "Ana", "analyst", "LVA", "SECRET", PASSWORD).name and None,
        lambda session: add_user(session, "ana", "analyst", "LVA", "SECRET", PASSWORD).name and None,
    )
    assert [str(error) for error in errors] == ["user 'ana' exists already as 'Ana' (names differ by more than case)"]
    with server.db.transaction() as session:
        assert list(session.scalars(select(User.name))) == ["Ana"]


def test_the_web_users_page_waits_for_a_user_change_before_it_records_anything(server: Server) -> None:
    """The page's change takes the users' lock before its first audit record (list-users), so that it
    never holds the audit chain's lock while waiting for the users' one (the locks' order)."""
    server.user("a", "admin", "LVA", "SECRET")
    server.user("b", "admin", "LVA", "SECRET")
    admin = Browser(server.app, "a")
    with server.db.transaction() as session:
        a_id = session.scalars(select(User.id).where(User.name == "a")).one()
    answers: list[Any] = []

    def web_demotes_a() -> None:
        answers.append(admin.post(f"/admin/users/{a_id}", role="analyst", nation="LVA", clearance="SECRET"))

    errors: list[Exception] = []
    _open_race(server, lambda session: set_role(session, "b", "analyst"), web_demotes_a, errors)
    assert errors == []
    assert answers[0].status_code == 422
    assert "Not changed: &#39;a&#39; is the last active administrator" in answers[0].text
    assert _admins(server) == ["a"]
    with server.db.transaction() as session:
        b_id = session.scalars(select(User.id).where(User.name == "b")).one()
    changed = admin.post(f"/admin/users/{b_id}", role="viewer", nation="EST", clearance="SECRET")  # no race: saved
    assert getattr(changed, "status_code", None) == 303
    with server.db.transaction() as session:
        assert session.execute(select(User.role, User.nation).where(User.id == b_id)).one() == ("viewer", "EST")


def test_disabling_a_user_while_their_request_writes_does_not_deadlock(server: Server) -> None:
    """A user's writing request holds their token's row (it notes the token's use first) and then
    appends its record (the chain's lock); an administrator disabling them meanwhile revokes that
    token. The chain's lock is the last any transaction takes (audit._write flushes the session's own
    changes first), so the administrator waits for the token's row and both commit; before, the
    administrator took the chain's lock first and PostgreSQL aborted one of them (DeadlockDetected)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from bastion.server import audit
    from bastion.server.repository import Users
    from bastion.store.server_tables import ApiToken

    server.user("boss", "admin", "LVA", "SECRET")
    server.user("bea", "analyst", "LVA", "SECRET")
    token = server.token("bea")
    with server.db.transaction() as session:  # so that her next request notes the token's use
        session.execute(update(ApiToken).values(last_used_at=datetime.now(UTC) - timedelta(hours=1)))
    errors: list[Exception] = []

    def boss_disables_bea() -> None:
        try:
            with server.db.transaction() as session:
                disable(session, "bea")
        except Exception as error:
            errors.append(error)

    with server.db.transaction() as session:  # bea's writing request
        assert Users(session).caller_by_token(token) is not None  # her token's row, locked
        other = threading.Thread(target=boss_disables_bea)
        other.start()
        if server.db.engine.dialect.name == "postgresql":
            engine = create_engine(server.url, isolation_level="AUTOCOMMIT")
            try:  # the administrator waits (for the token's row) before bea appends
                deadline = time.monotonic() + WAIT_S
                with engine.connect() as connection:
                    while not connection.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one():
                        assert time.monotonic() < deadline, "the administrator never waited"
                        time.sleep(0.02)
            finally:
                engine.dispose()
        audit.append(session, actor="bea", address="test", action="create-scenario", obj="-", outcome="ok")
    other.join(WAIT_S)
    assert not other.is_alive() and errors == []
    with server.db.transaction() as session:
        assert session.execute(select(User.disabled).where(User.name == "bea")).scalar_one() is True
