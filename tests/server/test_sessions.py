"""Browser sessions: a cookie (HttpOnly, SameSite=Strict, Secure over https) and CSRF on every change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.requests import Request
from tests.server.conftest import BACKENDS, PASSWORD, Server, module_server, scenario_yaml

from bastion.server import users
from bastion.server.security import (
    CSRF_HEADER,
    SECURE_COOKIES_ENV,
    SESSION_COOKIE,
    csrf_matches,
    csrf_token,
    csrf_token_of,
    token_digest,
)
from bastion.store.server_tables import ApiToken, AuditRecord


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with module_server(request, tmp_path_factory, "sessions") as server:
        for name in ("ana", "bob", "cyd", "dan"):
            server.user(name, "analyst", "LVA", "SECRET")
        yield server


def browser(server: Server, base_url: str = "http://testserver") -> TestClient:
    """A client of its own (its own cookie jar), as one browser."""
    return TestClient(server.app, base_url=base_url, raise_server_exceptions=False)


def log_in(client: TestClient, name: str) -> tuple[str, str]:
    """(the Set-Cookie header, the CSRF token) of a fresh session."""
    answer = client.post("/api/v1/session", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.headers["set-cookie"], answer.json()["csrf_token"]


def last_audit(server: Server) -> tuple[str, str, str, str]:
    with server.db.transaction() as session:
        record = session.execute(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).scalar_one()
        return record.actor, record.action, record.object, record.outcome


def test_a_session_cookie_is_httponly_strict_and_stored_hashed(world: Server) -> None:
    client = browser(world)
    cookie, csrf = log_in(client, "ana")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes and "secure" not in attributes
    assert "samesite=strict" in cookie.lower()
    token = client.cookies[SESSION_COOKIE]
    assert csrf == csrf_token(token) and len(token) >= 43
    with world.db.transaction() as session:
        stored = session.execute(select(ApiToken.token_hash)).scalars().all()
    assert token_digest(token) in stored and token not in stored
    assert last_audit(world) == ("ana", "login", "ana", "success")
    me = client.get("/api/v1/session")
    assert me.status_code == 200
    assert me.json()["user"] == {"name": "ana", "role": "analyst", "nation": "LVA", "clearance": "SECRET"}
    assert me.json()["csrf_token"] == csrf


def test_the_cookie_is_secure_over_https_or_when_configured(world: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    cookie, _ = log_in(browser(world, "https://testserver"), "bob")
    assert "secure" in cookie.lower()
    monkeypatch.setenv(SECURE_COOKIES_ENV, "1")
    cookie, _ = log_in(browser(world), "bob")
    assert "secure" in cookie.lower()


def test_changes_by_cookie_need_the_csrf_token_reads_do_not(world: Server) -> None:
    client = browser(world)
    _, csrf = log_in(client, "cyd")
    body = {"yaml": scenario_yaml("By browser"), "message": ""}
    assert client.get("/api/v1/scenarios").status_code == 200  # a read: no token needed
    refused = client.post("/api/v1/scenarios", json=body)
    assert refused.status_code == 403 and CSRF_HEADER in refused.json()["detail"]
    assert last_audit(world) == ("cyd", "csrf", "POST /api/v1/scenarios", "forbidden")
    wrong = client.post("/api/v1/scenarios", json=body, headers={CSRF_HEADER: csrf_token("another session")})
    assert wrong.status_code == 403
    made = client.post("/api/v1/scenarios", json=body, headers={CSRF_HEADER: csrf})
    assert made.status_code == 201
    sid = made.json()["id"]
    assert client.delete(f"/api/v1/scenarios/{sid}").status_code == 403  # DELETE is a change too
    assert client.delete(f"/api/v1/scenarios/{sid}", headers={CSRF_HEADER: csrf}).status_code == 200
    # a bearer token needs no CSRF token (a page on another site cannot send that header)
    bearer = world.client.post("/api/v1/scenarios", json=body, headers=world.headers("cyd"))
    assert bearer.status_code == 201


def test_log_out_revokes_the_session(world: Server) -> None:
    client = browser(world)
    _, csrf = log_in(client, "dan")
    token = client.cookies[SESSION_COOKIE]
    assert client.delete("/api/v1/session").status_code == 403  # logging out by cookie is a change
    answer = client.delete("/api/v1/session", headers={CSRF_HEADER: csrf})
    assert answer.status_code == 204 and SESSION_COOKIE in answer.headers["set-cookie"]
    assert last_audit(world) == ("dan", "logout", "dan", "ok")
    # the old cookie, replayed, is refused
    replay = browser(world)
    replay.cookies.set(SESSION_COOKIE, token)
    assert replay.get("/api/v1/session").status_code == 401


def test_disabling_a_user_ends_their_sessions(world: Server) -> None:
    world.user("eve", "viewer", "LVA", "SECRET")
    client = browser(world)
    log_in(client, "eve")
    assert client.get("/api/v1/scenarios").status_code == 200
    with world.db.transaction() as session:
        users.disable(session, "eve")
    assert client.get("/api/v1/scenarios").status_code == 401


def test_bad_logins_and_cookies(world: Server) -> None:
    client = browser(world)
    assert client.post("/api/v1/session", json={"username": "ana", "password": "wrong-password"}).status_code == 401
    assert client.post("/api/v1/session", data={"username": "ana", "password": PASSWORD}).status_code == 422
    assert SESSION_COOKIE not in client.cookies
    for value in ("nonsense", "x" * 500):
        client.cookies.set(SESSION_COOKIE, value)
        assert client.get("/api/v1/scenarios").status_code == 401
    assert browser(world).get("/api/v1/session").status_code == 401


def test_csrf_helpers() -> None:
    token = "session-token"
    assert csrf_token(token) == csrf_token(token) != csrf_token("other")
    assert len(csrf_token(token)) == 64
    assert csrf_matches(token, csrf_token(token))
    assert not csrf_matches(token, None) and not csrf_matches(token, "") and not csrf_matches(token, "é" * 64)
    with_cookie = Request({"type": "http", "headers": [(b"cookie", f"{SESSION_COOKIE}={token}".encode())]})
    assert csrf_token_of(with_cookie) == csrf_token(token)
    assert csrf_token_of(Request({"type": "http", "headers": []})) is None
