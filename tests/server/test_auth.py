"""Logins, tokens and the login rate limit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from tests.server.conftest import PASSWORD, Server
from typer.testing import CliRunner

from bastion.cli import app
from bastion.server.security import token_digest
from bastion.store.server_tables import ApiToken, User


def login(server: Server, name: str, password: str, address: str = "testclient") -> int:
    client = server.client
    if address != "testclient":
        from fastapi.testclient import TestClient

        client = TestClient(server.app, client=(address, 50000))
    return client.post("/api/v1/auth/token", data={"username": name, "password": password}).status_code


def test_a_login_gives_a_bearer_token_stored_only_as_its_hash(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    answer = server.client.post("/api/v1/auth/token", data={"username": "ana", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer" and len(body["access_token"]) >= 40
    with server.db.transaction() as session:
        stored = session.execute(select(ApiToken.token_hash)).scalars().all()
        password_hash = session.execute(select(User.password_hash)).scalar_one()
    assert stored == [token_digest(body["access_token"])]
    assert password_hash.startswith("$argon2id$")
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert server.client.get("/api/v1/scenarios", headers=headers).status_code == 200


@pytest.mark.parametrize(("name", "password"), [("ana", "wrong password"), ("nobody", PASSWORD)])
def test_a_wrong_name_or_password_is_401(server: Server, name: str, password: str) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    answer = server.client.post("/api/v1/auth/token", data={"username": name, "password": password})
    assert answer.status_code == 401
    assert answer.json() == {"detail": "wrong user name or password"}


def test_five_failures_for_a_user_lock_that_user_out_even_with_the_right_password(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    server.user("bob", "analyst", "LVA", "SECRET")
    assert [login(server, "ana", f"guess {i}", f"10.0.0.{i}") for i in range(5)] == [401] * 5
    assert login(server, "ana", PASSWORD, "10.0.0.99") == 429
    assert login(server, "bob", PASSWORD, "10.0.0.99") == 200  # another user from another address


def test_five_failures_from_an_address_lock_that_address_out(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    assert [login(server, f"user{i}", "x", "10.1.1.1") for i in range(5)] == [401] * 5
    assert login(server, "ana", PASSWORD, "10.1.1.1") == 429
    assert login(server, "ana", PASSWORD, "10.1.1.2") == 200


def test_four_failures_do_not_lock(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    assert [login(server, "ana", "x") for _ in range(4)] == [401] * 4
    assert login(server, "ana", PASSWORD) == 200


def test_failures_older_than_the_window_no_longer_count(make_server: Callable[..., Server]) -> None:
    server = make_server(login_window_s=0)
    server.user("ana", "analyst", "LVA", "SECRET")
    assert [login(server, "ana", "x") for _ in range(6)] == [401] * 6
    assert login(server, "ana", PASSWORD) == 200


def test_an_expired_token_is_401(make_server: Callable[..., Server]) -> None:
    server = make_server(token_ttl_s=0)
    server.user("ana", "analyst", "LVA", "SECRET")
    assert server.client.get("/api/v1/scenarios", headers=server.headers("ana")).status_code == 401


def test_disabling_a_user_or_changing_their_role_revokes_their_tokens(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    server.user("bob", "analyst", "LVA", "SECRET")
    monkeypatch.setenv("BASTION_DATABASE_URL", server.url)
    ana, bob = server.headers("ana"), server.headers("bob")
    assert CliRunner().invoke(app, ["users", "disable", "ana"]).exit_code == 0
    assert CliRunner().invoke(app, ["users", "set-role", "bob", "viewer"]).exit_code == 0
    assert server.client.get("/api/v1/scenarios", headers=ana).status_code == 401
    assert server.client.get("/api/v1/scenarios", headers=bob).status_code == 401
    assert login(server, "ana", PASSWORD) == 401
    listing = CliRunner().invoke(app, ["users", "list"]).output
    assert "ana\tanalyst\tLVA\tSECRET\tdisabled" in listing and "bob\tviewer\tLVA\tSECRET\tactive" in listing


def test_users_add_checks_its_values_and_writes_nothing_on_error(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASTION_DATABASE_URL", server.url)
    runner = CliRunner()
    for args in (
        ["--role", "boss", "--nation", "LVA", "--clearance", "SECRET"],
        ["--role", "viewer", "--nation", "LV", "--clearance", "SECRET"],
        ["--role", "viewer", "--nation", "LVA", "--clearance", "TOP"],
    ):
        result = runner.invoke(app, ["users", "add", "eve", *args, "--password-stdin"], input="long enough\n")
        assert result.exit_code == 2, args
    result = runner.invoke(
        app,
        ["users", "add", "eve", "--role", "viewer", "--nation", "LVA", "--clearance", "SECRET", "--password-stdin"],
        input="short\n",
    )
    assert result.exit_code == 2 and "at least 8 characters" in result.output
    assert runner.invoke(app, ["users", "list"]).output == ""
    result = runner.invoke(
        app,
        ["users", "add", "eve", "--role", "viewer", "--nation", "LVA", "--clearance", "SECRET", "--password-stdin"],
        input="long enough\n",
    )
    assert result.exit_code == 0
    assert login(server, "eve", "long enough") == 200


def test_the_first_admin_is_created_once(server: Server) -> None:
    from bastion.server.users import first_admin

    with server.db.transaction() as session:
        password = first_admin(session)
    assert password is not None and len(password) >= 20
    with server.db.transaction() as session:
        assert first_admin(session) is None
    assert server.client.post("/api/v1/auth/token", data={"username": "admin", "password": password}).status_code == 200


def test_an_unknown_address_is_the_webs_not_found_page_in_a_browser_and_json_to_scripts(server: Server) -> None:
    page = server.client.get("/users", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "There is nothing here, or nothing you may see." in page.text
    for path, accept in (("/users", "application/json"), ("/api/v1/nothing", "text/html")):
        answer = server.client.get(path, headers={"Accept": accept})
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Not Found"}
