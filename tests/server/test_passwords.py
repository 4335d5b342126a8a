"""A signed-in user changes their own password: `POST /api/v1/session/password` (issue 18, item 12)."""

from __future__ import annotations

from sqlalchemy import select
from tests.server.conftest import PASSWORD, Server

from bastion.server.users import first_admin
from bastion.store.server_tables import AuditRecord

URL = "/api/v1/session/password"
NEW = "a better passphrase"


def status(server: Server, name: str, password: str) -> int:
    return server.client.post("/api/v1/auth/token", data={"username": name, "password": password}).status_code


def trail(server: Server, action: str) -> list[tuple[str, str, str]]:
    with server.db.transaction() as session:
        rows = session.execute(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq))
        return [(r.actor, r.object, r.outcome) for r in rows.scalars()]


def test_a_user_changes_their_own_password_in_their_session(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    elsewhere = server.headers("ana")  # a password login's token, from another program
    opened = server.client.post("/api/v1/session", json={"username": "ana", "password": PASSWORD})
    csrf = {"X-CSRF-Token": opened.json()["csrf_token"]}
    body = {"current_password": PASSWORD, "new_password": NEW}
    assert server.client.post(URL, json=body).status_code == 403  # no CSRF token
    wrong = server.client.post(URL, json={**body, "current_password": "not it at all"}, headers=csrf)
    assert wrong.status_code == 403 and wrong.json()["detail"] == "wrong current password"
    short = server.client.post(URL, json={**body, "new_password": "short"}, headers=csrf)
    assert short.status_code == 422 and "at least 8 characters" in short.json()["detail"]
    assert server.client.post(URL, json={**body, "new_password": "x" * 1001}, headers=csrf).status_code == 422
    assert server.client.post(URL, json=body, headers=csrf).status_code == 204
    assert server.client.get("/api/v1/session").status_code == 200  # this session stays signed in
    assert server.client.get("/api/v1/scenarios", headers=elsewhere).status_code == 401  # the others are revoked
    assert status(server, "ana", PASSWORD) == 401 and status(server, "ana", NEW) == 200
    # the missing CSRF token is recorded as `csrf`; 1001 characters are refused before the service
    assert trail(server, "change-password") == [
        ("ana", "user:ana", "failure"),
        ("ana", "user:ana", "invalid"),
        ("ana", "user:ana", "ok"),
    ]
    assert trail(server, "csrf") == [("ana", "POST /api/v1/session/password", "forbidden")]
    server.client.cookies.clear()


def test_a_wrong_current_password_counts_as_a_failed_login(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    h = server.headers("ana")
    body = {"current_password": "guess guess", "new_password": NEW}
    answers = [server.client.post(URL, json=body, headers=h).status_code for _ in range(6)]
    assert answers == [403] * 5 + [429]
    assert server.client.post(URL, json={**body, "current_password": PASSWORD}, headers=h).status_code == 429
    assert status(server, "ana", PASSWORD) == 429  # the login limit is the same count
    assert [o for _, _, o in trail(server, "change-password")] == ["failure"] * 5 + ["rate-limited"] * 2


def test_a_script_token_cannot_change_the_password(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    script = server.client.post("/api/v1/tokens", json={"name": "job"}, headers=server.headers("ana")).json()["token"]
    answer = server.client.post(
        URL, json={"current_password": PASSWORD, "new_password": NEW}, headers={"Authorization": f"Bearer {script}"}
    )
    assert answer.status_code == 403 and "signed-in session" in answer.json()["detail"]
    assert status(server, "ana", PASSWORD) == 200
    assert server.client.post(URL, json={"current_password": PASSWORD, "new_password": NEW}).status_code == 401


def test_the_first_admin_changes_the_one_time_password(server: Server) -> None:
    with server.db.transaction() as session:
        first = first_admin(session)
    assert first is not None
    token = server.client.post("/api/v1/auth/token", data={"username": "admin", "password": first}).json()
    h = {"Authorization": f"Bearer {token['access_token']}"}
    assert server.client.post(URL, json={"current_password": first, "new_password": NEW}, headers=h).status_code == 204
    assert status(server, "admin", first) == 401 and status(server, "admin", NEW) == 200
