"""`bastion users` and `bastion serve`'s settings: names, the one password rule, the last administrator,
resetting a password, no terminal, and the proxy headers (issue 18, items 12-17)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.server.conftest import PASSWORD, Server
from tests.server.live import LiveServer, add_users
from typer.testing import CliRunner

from bastion.cli import app
from bastion.server.db import Database
from bastion.server.repository import Caller, Users
from bastion.server.security import hash_password
from bastion.server.services import Context
from bastion.store.server_tables import AuditRecord

ADD = ["users", "add"]
VIEWER = ["--role", "viewer", "--nation", "LVA", "--clearance", "SECRET", "--password-stdin"]


@pytest.fixture
def cli(server: Server, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BASTION_DATABASE_URL", server.url)
    return CliRunner()


def status(server: Server, name: str, password: str) -> int:
    return server.client.post("/api/v1/auth/token", data={"username": name, "password": password}).status_code


def names(cli: CliRunner) -> list[str]:
    return [line.split("\t")[0] for line in cli.invoke(app, ["users", "list"]).output.splitlines()]


def actions(server: Server) -> list[tuple[str, str, str, str]]:
    with server.db.transaction() as session:
        rows = session.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars()
        return [(r.actor, r.action, r.object, r.outcome) for r in rows]


def test_the_cli_and_the_login_share_one_password_rule(server: Server, cli: CliRunner) -> None:
    too_long = cli.invoke(app, [*ADD, "eve", *VIEWER], input="x" * 1500 + "\n")
    assert too_long.exit_code == 2 and "at most 1000 characters" in too_long.output
    assert cli.invoke(app, [*ADD, "eve", *VIEWER], input="seven77\n").exit_code == 2
    assert names(cli) == []
    longest = "y" * 1000
    assert cli.invoke(app, [*ADD, "eve", *VIEWER], input=longest + "\n").exit_code == 0
    assert status(server, "eve", longest) == 200  # what the CLI accepts, the login accepts
    assert status(server, "eve", longest + "y") == 422  # and one more is refused by both


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("-", "ASCII letters"),  # the trail's "before login"
        ("cli", "reserved"),
        ("CLI", "reserved"),
        ("serve", "reserved"),
        ("ALVA", "exists already as 'alva'"),
        ("alv\u0430", "ASCII letters"),  # a Cyrillic a
        ("\uff21\uff2c\uff36\uff21", "ASCII letters"),  # full-width ALVA
        ("al va", "ASCII letters"),
        ("-alva", "ASCII letters"),
        ("a" * 101, "1 to 100"),
    ],
)
def test_confusable_and_reserved_names_are_refused(server: Server, cli: CliRunner, name: str, why: str) -> None:
    assert cli.invoke(app, [*ADD, "alva", *VIEWER], input=PASSWORD + "\n").exit_code == 0
    result = cli.invoke(app, [*ADD, *VIEWER, "--", name], input=PASSWORD + "\n")
    assert result.exit_code == 2 and why in result.output, result.output
    assert names(cli) == ["alva"]


def test_a_name_is_compared_with_the_stored_names_normalised(server: Server, cli: CliRunner) -> None:
    with server.db.transaction() as session:  # a store from before the rule: any name
        Users(session).add("\u212aim", "viewer", "LVA", "SECRET", hash_password(PASSWORD))  # a Kelvin sign K
    for name in ("sa.b_c-d@x.lv", "Ana.2"):
        assert cli.invoke(app, [*ADD, name, *VIEWER], input=PASSWORD + "\n").exit_code == 0, name
    for name in ("kim", "KIM"):  # NFKC turns the Kelvin sign into K; then case-folded
        result = cli.invoke(app, [*ADD, name, *VIEWER], input=PASSWORD + "\n")
        assert result.exit_code == 2 and "exists already as '\u212aim'" in result.output, result.output
    assert cli.invoke(app, [*ADD, "ana.2", *VIEWER], input=PASSWORD + "\n").exit_code == 2
    assert sorted(names(cli)) == sorted(["Ana.2", "sa.b_c-d@x.lv", "\u212aim"])


def test_the_last_active_administrator_is_kept(server: Server, cli: CliRunner) -> None:
    server.user("admin", "admin", "ZZZ", "UNCLASSIFIED")
    server.user("old", "admin", "ZZZ", "UNCLASSIFIED")
    assert cli.invoke(app, ["users", "disable", "old"]).exit_code == 0  # another admin is left
    for args in (["disable", "admin"], ["set-role", "admin", "viewer"]):
        result = cli.invoke(app, ["users", *args])
        assert result.exit_code == 2 and "last active administrator" in result.output, args
    assert "admin\tadmin\tZZZ\tUNCLASSIFIED\tactive" in cli.invoke(app, ["users", "list"]).output
    assert cli.invoke(app, ["users", "set-role", "admin", "admin"]).exit_code == 0  # no demotion
    # the web app's users page keeps the same rule
    from bastion.server.errors import Invalid
    from bastion.server.web.needs import change_user

    with server.db.transaction() as session:
        ctx = Context(session, Caller("admin", "admin", "ZZZ", "UNCLASSIFIED"), "local")
        with pytest.raises(Invalid, match="last active administrator"):
            change_user(ctx, "admin", role="admin", nation="ZZZ", clearance="UNCLASSIFIED", disabled=True)
    server.user("new", "admin", "LVA", "SECRET")
    assert cli.invoke(app, ["users", "set-role", "admin", "viewer"]).exit_code == 0


def test_without_a_terminal_the_password_must_come_on_stdin(server: Server, cli: CliRunner) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    for args in ([*ADD, "eve", *VIEWER[:-1]], ["users", "set-password", "ana"]):
        result = cli.invoke(app, args, input="")
        assert result.exit_code == 2 and "--password-stdin" in result.output and "Aborted" not in result.output
    assert names(cli) == ["ana"] and status(server, "ana", PASSWORD) == 200


def test_an_administrator_resets_a_password_and_its_tokens_are_revoked(server: Server, cli: CliRunner) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    old = server.headers("ana")
    reset = cli.invoke(app, ["users", "set-password", "ana", "--password-stdin", "--json"], input="a new one 42\n")
    assert reset.exit_code == 0 and '"password_set": "ana"' in reset.output
    assert server.client.get("/api/v1/scenarios", headers=old).status_code == 401
    assert status(server, "ana", PASSWORD) == 401 and status(server, "ana", "a new one 42") == 200
    assert ("cli", "set-password", "user:ana", "ok") in actions(server)
    for args, text, why in ((["nobody"], PASSWORD, "no user 'nobody'"), (["ana"], "short", "at least 8")):
        result = cli.invoke(app, ["users", "set-password", *args, "--password-stdin"], input=text + "\n")
        assert result.exit_code == 2 and why in result.output


def test_the_first_admins_password_is_changed_from_the_cli(server: Server, cli: CliRunner) -> None:
    from bastion.server.users import first_admin

    with server.db.transaction() as session:
        first = first_admin(session)
    assert first is not None
    assert cli.invoke(app, ["users", "set-password", "admin", "--password-stdin"], input="mine now!\n").exit_code == 0
    assert status(server, "admin", first) == 401 and status(server, "admin", "mine now!") == 200


@pytest.fixture
def served(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """`bastion serve`'s call to uvicorn.run, captured instead of serving."""
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    monkeypatch.delenv("BASTION_FORWARDED_ALLOW_IPS", raising=False)
    return seen


def test_proxy_headers_are_trusted_only_from_the_configured_proxies(
    cli: CliRunner, served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    serve = ["serve", "--processes", "1", "--workers", "0"]
    assert cli.invoke(app, serve).exit_code == 0
    assert served["proxy_headers"] is False  # uvicorn's default would trust 127.0.0.1
    assert cli.invoke(app, [*serve, "--forwarded-allow-ips", "10.0.0.5, 10.1.0.0/16"]).exit_code == 0
    assert served["proxy_headers"] is True and served["forwarded_allow_ips"] == "10.0.0.5,10.1.0.0/16"
    monkeypatch.setenv("BASTION_FORWARDED_ALLOW_IPS", "192.0.2.1")
    assert cli.invoke(app, serve).exit_code == 0
    assert served["proxy_headers"] is True and served["forwarded_allow_ips"] == "192.0.2.1"
    bad = cli.invoke(app, [*serve, "--forwarded-allow-ips", "proxy.example"])
    assert bad.exit_code == 2 and "not an IP address or network" in bad.output


def test_a_live_server_audits_the_connections_address_unless_the_proxy_is_named(tmp_path: Path) -> None:
    """A real `bastion serve` (uvicorn): a local client's X-Forwarded-For is ignored by default, so it
    can neither choose its audited address nor step around the per-address login limit."""
    import httpx

    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    add_users(url, ("ana", "analyst", "LVA", "SECRET"))
    forged = {"X-Forwarded-For": "203.0.113.9"}
    for env, seen in (({}, "127.0.0.1"), ({"BASTION_FORWARDED_ALLOW_IPS": "127.0.0.1"}, "203.0.113.9")):
        with LiveServer(url, 0, tmp_path / "serve.log", env=env) as live:
            answer = httpx.post(
                f"{live.base}/api/v1/auth/token", data={"username": "nobody", "password": "x"}, headers=forged
            )
            assert answer.status_code == 401
        db = Database(url)
        try:
            with db.transaction() as session:
                last = (
                    session.execute(
                        select(AuditRecord).where(AuditRecord.action == "login").order_by(AuditRecord.seq.desc())
                    )
                    .scalars()
                    .first()
                )
                assert last is not None and (last.object, last.address) == ("nobody", seen)
        finally:
            db.close()
