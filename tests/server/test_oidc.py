"""Signing in with OpenID Connect against a fake identity provider started in the test (fake_idp.py):
the whole flow, users without a local account, state, nonce and audience checks, the settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.server.conftest import PASSWORD
from tests.server.fake_idp import FakeIdp
from typer.testing import CliRunner

from bastion.cli import app as cli
from bastion.server import ServerSettings, create_app
from bastion.server.db import Database
from bastion.server.oidc import OidcConfigError, OidcSettings, oidc_from_env
from bastion.server.users import add_user, disable


@pytest.fixture(scope="module")
def idp() -> Iterator[FakeIdp]:
    with FakeIdp() as provider:
        yield provider


class Site:
    def __init__(self, folder: Path, oidc: OidcSettings | None) -> None:
        self.db = Database(f"sqlite:///{folder / 'oidc.sqlite'}")
        with self.db.transaction() as session:
            add_user(session, "ana", "analyst", "LVA", "SECRET", PASSWORD)
            add_user(session, "aud", "auditor", "LVA", "SECRET", PASSWORD)
            add_user(session, "old", "viewer", "LVA", "SECRET", PASSWORD)
            disable(session, "old")
        self.client = TestClient(create_app(ServerSettings(oidc=oidc), db=self.db))

    def audit(self) -> list[tuple[str, str, str]]:
        token = self.client.post("/api/v1/auth/token", data={"username": "aud", "password": PASSWORD})
        rows = self.client.get("/api/v1/audit", params={"action": "login-oidc"},
                               headers={"Authorization": f"Bearer {token.json()['access_token']}"}).json()
        return [(r["actor"], r["object"], r["outcome"]) for r in rows]


@pytest.fixture
def site(tmp_path: Path, idp: FakeIdp) -> Iterator[Site]:
    idp.user, idp.nonce, idp.audience, idp.token_requests = "ana", None, None, 0
    made = Site(tmp_path, OidcSettings(idp.issuer, idp.client_id, idp.client_secret, name="Ministry ID"))
    yield made
    made.client.close()
    made.db.close()


def to_provider(site: Site, next_path: str = "/scenarios/abc") -> str:
    """Start a sign-in: the browser is sent to the provider's authorize endpoint."""
    started = site.client.get("/login/oidc", params={"next": next_path}, follow_redirects=False)
    assert started.status_code == 303
    cookie = started.headers["set-cookie"]
    assert "bastion_oidc=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    return str(started.headers["location"])


def provider_answer(url: str) -> str:
    """The provider signs its user in and redirects back to the callback (a URL on this server)."""
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["location"])


def test_the_whole_flow_opens_a_session_for_the_local_user(site: Site, idp: FakeIdp) -> None:
    url = to_provider(site)
    back = provider_answer(url)
    asked = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{idp.issuer}/authorize?")
    assert asked["client_id"] == [idp.client_id] and asked["code_challenge_method"] == ["S256"]
    assert asked["redirect_uri"] == ["http://testserver/login/oidc/callback"] and "openid" in asked["scope"][0]
    assert len(asked["state"][0]) >= 32 and len(asked["nonce"][0]) >= 32
    done = site.client.get(back, follow_redirects=False)
    assert done.status_code == 200, done.text
    assert 'content="0;url=/scenarios/abc"' in done.text  # on to the page asked for
    cookies = done.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("bastion_session="))
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie
    me = site.client.get("/api/v1/session")
    assert me.status_code == 200 and me.json()["user"] == {
        "name": "ana", "role": "analyst", "nation": "LVA", "clearance": "SECRET"  # the server's own, not the IdP's
    }
    sessions = [t for t in site.client.get("/api/v1/tokens").json() if t["kind"] == "session"]
    assert [(t["name"], t["current"]) for t in sessions] == [("Ministry ID", True)]
    # the same answer again (replayed): the started sign-in was used up
    replayed = site.client.get(back, follow_redirects=False)
    assert replayed.status_code == 400 and "not started here" in replayed.text
    assert site.audit() == [("ana", "ana", "success"), ("-", "-", "bad-state")]


@pytest.mark.parametrize("user", ["zoe", "old"])
def test_a_user_without_an_active_local_account_is_refused(site: Site, idp: FakeIdp, user: str) -> None:
    idp.user = user
    refused = site.client.get(provider_answer(to_provider(site)), follow_redirects=False)
    assert refused.status_code == 403
    assert "no active account of that name" in refused.text and "ask an administrator" in refused.text
    assert not any(c.startswith("bastion_session=") for c in refused.headers.get_list("set-cookie"))
    assert site.client.get("/api/v1/session").status_code == 401
    assert site.audit() == [("-", user, "no-account")]


def test_state_and_a_started_sign_in_are_checked_before_the_code_is_used(site: Site, idp: FakeIdp) -> None:
    back = provider_answer(to_provider(site))
    forged = back.split("state=")[0] + "state=forged"
    answer = site.client.get(forged, follow_redirects=False)
    assert answer.status_code == 400 and "state does not match" in answer.text
    site.client.cookies.clear()  # no sign-in started in this browser (e.g. a link sent by someone else)
    assert site.client.get(provider_answer(to_provider(site)), follow_redirects=False).status_code == 200
    other = TestClient(site.client.app)
    unstarted = other.get(provider_answer(to_provider(site)), follow_redirects=False)
    assert unstarted.status_code == 400 and "not started here" in unstarted.text
    assert idp.token_requests == 1  # only the good sign-in reached the token endpoint


@pytest.mark.parametrize(("field", "value", "says"), [
    ("nonce", "another nonce", "did not verify"),
    ("audience", "someone-else", "not for this server"),
])
def test_an_id_token_with_a_wrong_nonce_or_audience_is_refused(
    site: Site, idp: FakeIdp, field: str, value: str, says: str
) -> None:
    setattr(idp, field, value)
    refused = site.client.get(provider_answer(to_provider(site)), follow_redirects=False)
    assert refused.status_code == 401 and says in refused.text
    assert site.client.get("/api/v1/session").status_code == 401


def test_off_by_default_and_the_sign_in_page_offers_it_only_when_configured(tmp_path: Path, site: Site) -> None:
    (tmp_path / "plain").mkdir()
    plain = Site(tmp_path / "plain", None)
    try:
        assert plain.client.get("/login/oidc", follow_redirects=False).status_code == 404
        assert plain.client.get("/login/oidc/callback?code=x&state=y").status_code == 404
        assert "Sign in with" not in plain.client.get("/login").text
    finally:
        plain.client.close()
        plain.db.close()
    page = site.client.get("/login", params={"next": "/runs/abc"}).text
    assert 'id="sign-in-oidc"' in page and "Sign in with Ministry ID" in page
    assert 'href="/login/oidc?next=/runs/abc"' in page or 'href="/login/oidc?next=%2Fruns%2Fabc"' in page


def test_the_settings_come_from_the_environment() -> None:
    assert oidc_from_env({}) is None
    full = oidc_from_env({
        "BASTION_OIDC_ISSUER": "https://id.example.org/realms/mod/", "BASTION_OIDC_CLIENT_ID": "bastion",
        "BASTION_OIDC_CLIENT_SECRET": "s", "BASTION_OIDC_NAME": "Ministry ID",
        "BASTION_OIDC_USERNAME_CLAIM": "email",
        "BASTION_OIDC_REDIRECT_URL": "https://bastion.example.org/login/oidc/callback",
    })
    assert full == OidcSettings("https://id.example.org/realms/mod", "bastion", "s",
                                "https://bastion.example.org/login/oidc/callback", "Ministry ID", "email")
    with pytest.raises(OidcConfigError, match="BASTION_OIDC_CLIENT_ID and BASTION_OIDC_CLIENT_SECRET are not"):
        oidc_from_env({"BASTION_OIDC_ISSUER": "https://id.example.org"})
    with pytest.raises(OidcConfigError, match="BASTION_OIDC_ISSUER: an https:// address"):
        oidc_from_env({"BASTION_OIDC_ISSUER": "http://id.example.org", "BASTION_OIDC_CLIENT_ID": "c",
                       "BASTION_OIDC_CLIENT_SECRET": "s"})


def test_serve_refuses_a_half_configured_provider(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BASTION_OIDC_ISSUER", "https://id.example.org")
    monkeypatch.delenv("BASTION_OIDC_CLIENT_ID", raising=False)
    monkeypatch.delenv("BASTION_OIDC_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("BASTION_DATABASE_URL", f"sqlite:///{tmp_path / 'never.sqlite'}")
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "OpenID Connect: BASTION_OIDC_ISSUER is set, but BASTION_OIDC_CLIENT_ID" in result.output
    assert not (tmp_path / "never.sqlite").exists()  # nothing written


def test_a_head_of_the_sign_in_or_its_callback_does_nothing(site: Site) -> None:
    """HEAD is answered as GET elsewhere (http_extras.HeadAsGet), not where a GET acts: a link checker's
    HEAD of the sign-in starts no sign-in (no cookie, no redirect to the provider)."""
    for path in ("/login/oidc", "/login/oidc/callback?code=x&state=y"):
        answer = site.client.head(path, follow_redirects=False)
        assert answer.status_code == 405 and "set-cookie" not in answer.headers, path
    assert site.client.head("/healthz").status_code == 200
