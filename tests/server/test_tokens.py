"""Script tokens: shown once, stored hashed, listed without their secret, revocable (docs/server.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from tests.server.conftest import PASSWORD, Server

from bastion.server.security import csrf_token, token_digest
from bastion.store.server_tables import ApiToken


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ids_of(server: Server, user: str) -> set[str]:
    return {t["id"] for t in server.client.get("/api/v1/tokens", headers=server.headers(user)).json()}


def test_a_script_token_is_shown_once_stored_hashed_listed_and_revoked(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    server.user("bob", "viewer", "LVA", "SECRET")
    made = server.client.post("/api/v1/tokens", json={"name": "nightly export", "days": 30},
                              headers=server.headers("ana"))
    assert made.status_code == 201, made.text
    body = made.json()
    secret = body["token"]
    assert body["id"] == token_digest(secret)[:16] and body["kind"] == "script" and body["name"] == "nightly export"
    created = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["expires_at"]) - created == timedelta(days=30)
    with server.db.transaction() as session:
        stored = set(session.execute(select(ApiToken.token_hash)).scalars())
    assert token_digest(secret) in stored and secret not in stored  # only the hash is kept

    assert server.client.get("/api/v1/scenarios", headers=bearer(secret)).status_code == 200
    listed = server.client.get("/api/v1/tokens", headers=bearer(secret)).json()
    assert {t["kind"] for t in listed} == {"script", "login"}  # the script's, and ana's password login
    mine = next(t for t in listed if t["id"] == body["id"])
    assert mine["current"] and mine["last_used_at"] is not None  # used just now
    assert all("token" not in t for t in listed) and secret not in str(listed)

    # another user neither sees nor revokes it: 404 as for a missing id
    assert body["id"] not in ids_of(server, "bob")
    assert server.client.delete(f"/api/v1/tokens/{body['id']}", headers=server.headers("bob")).status_code == 404
    assert server.client.delete("/api/v1/tokens/0123456789abcdef", headers=server.headers("ana")).status_code == 404
    assert server.client.delete("/api/v1/tokens/not-an-id", headers=server.headers("ana")).status_code == 422
    assert server.client.get("/api/v1/scenarios", headers=bearer(secret)).status_code == 200

    revoked = server.client.delete(f"/api/v1/tokens/{body['id']}", headers=server.headers("ana"))
    assert revoked.status_code == 204
    after = server.client.get("/api/v1/scenarios", headers=bearer(secret))
    assert after.status_code == 401 and after.json()["detail"] == "invalid or expired token"
    assert body["id"] not in ids_of(server, "ana")
    assert server.client.delete(f"/api/v1/tokens/{body['id']}", headers=server.headers("ana")).status_code == 404
    with server.db.transaction() as session:  # kept, revoked, for the record
        row = session.get(ApiToken, token_digest(secret))
        assert row is not None and row.revoked


def test_bad_token_requests_are_422_and_the_cookie_session_needs_its_csrf_token(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    h = server.headers("ana")
    for body in ({"name": ""}, {"name": "x", "days": 0}, {"name": "x", "days": 366}, {"name": "a\x00b"},
                 {"name": "x", "extra": 1}, {}):
        assert server.client.post("/api/v1/tokens", json=body, headers=h).status_code == 422, body
    opened = server.client.post("/api/v1/session", json={"username": "ana", "password": PASSWORD})
    assert opened.status_code == 200
    cookie = server.client.cookies.get("bastion_session")
    assert cookie is not None
    sessions = [t for t in server.client.get("/api/v1/tokens").json() if t["kind"] == "session"]
    assert [t["current"] for t in sessions] == [True]
    assert server.client.post("/api/v1/tokens", json={"name": "x"}).status_code == 403  # no CSRF token
    made = server.client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf_token(cookie)})
    assert made.status_code == 201
    # revoking one's own session signs it out
    gone = server.client.delete(f"/api/v1/tokens/{sessions[0]['id']}", headers={"X-CSRF-Token": csrf_token(cookie)})
    assert gone.status_code == 204 and server.client.get("/api/v1/tokens").status_code == 401
    server.client.cookies.clear()


def test_last_use_is_written_at_most_once_a_minute_and_expired_tokens_are_not_listed(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    secret = server.client.post("/api/v1/tokens", json={"name": "s"}, headers=server.headers("ana")).json()["token"]
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    with server.db.transaction() as session:
        session.execute(
            update(ApiToken).where(ApiToken.token_hash == token_digest(secret)).values(last_used_at=long_ago)
        )
    server.client.get("/api/v1/scenarios", headers=bearer(secret))
    with server.db.transaction() as session:
        first = session.get(ApiToken, token_digest(secret))
        assert first is not None and first.last_used_at is not None and first.last_used_at > long_ago
        noted = first.last_used_at
    server.client.get("/api/v1/scenarios", headers=bearer(secret))
    with server.db.transaction() as session:
        again = session.get(ApiToken, token_digest(secret))
        assert again is not None and again.last_used_at == noted  # within the minute: not written again
        session.execute(update(ApiToken).where(ApiToken.token_hash == token_digest(secret))
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert server.client.get("/api/v1/scenarios", headers=bearer(secret)).status_code == 401
    assert token_digest(secret)[:16] not in ids_of(server, "ana")


def test_only_a_signed_in_session_creates_a_token_never_a_script_token(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    made = server.client.post("/api/v1/tokens", json={"name": "nightly"}, headers=server.headers("ana"))
    assert made.status_code == 201  # a password login's token
    script = bearer(made.json()["token"])
    renewed = server.client.post("/api/v1/tokens", json={"name": "renewed", "days": 365}, headers=script)
    assert renewed.status_code == 403 and "signed-in session" in renewed.json()["detail"]
    assert server.client.get("/api/v1/tokens", headers=script).status_code == 200  # it still reads
    kinds = [t["kind"] for t in server.client.get("/api/v1/tokens", headers=script).json()]
    assert sorted(kinds) == ["login", "script"]  # nothing was made
    with server.db.transaction() as session:
        from bastion.store.server_tables import AuditRecord

        made_or_not = session.execute(select(AuditRecord).where(AuditRecord.action == "create-token")).scalars()
        assert [(r.actor, r.object[:6], r.outcome) for r in made_or_not] == [
            ("ana", "token:", "ok"),
            ("ana", "-", "forbidden"),
        ]
    # the browser's session (with its CSRF token) creates one, as in the test above
    opened = server.client.post("/api/v1/session", json={"username": "ana", "password": PASSWORD})
    csrf = {"X-CSRF-Token": opened.json()["csrf_token"]}
    assert server.client.post("/api/v1/tokens", json={"name": "y"}, headers=csrf).status_code == 201
    server.client.cookies.clear()
