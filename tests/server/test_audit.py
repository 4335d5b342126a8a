"""The audit trail: what is recorded, the auditors' API, and tamper detection by `bastion audit verify`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from tests.server.conftest import PASSWORD, Server, scenario_yaml
from typer.testing import CliRunner

from bastion.cli import app
from bastion.server.audit import GENESIS, digest
from bastion.server.audit_read import references
from bastion.store.migrate import upgrade
from bastion.store.server_tables import AuditRecord


def trail(server: Server) -> list[tuple[str, str, str, str]]:
    rows = server.client.get("/api/v1/audit", params={"limit": 1000}, headers=server.headers("aud")).json()
    return [(r["actor"], r["action"], r["object"], r["outcome"]) for r in rows]


def busy_server(server: Server) -> str:
    """Logins (good and bad), a create, reads, an edit and a denied read; returns the scenario id."""
    server.user("ana", "analyst", "LVA", "SECRET")
    server.user("est", "viewer", "EST", "SECRET")
    server.user("aud", "auditor", "LVA", "UNCLASSIFIED")
    server.client.post("/api/v1/auth/token", data={"username": "ana", "password": "wrong password"})
    sid = server.create("ana", scenario_yaml())
    server.client.get(f"/api/v1/scenarios/{sid}", headers=server.headers("ana"))
    server.client.post(
        f"/api/v1/scenarios/{sid}/revisions",
        headers=server.headers("ana"),
        json={"yaml": scenario_yaml("v2"), "message": "v2"},
    )
    server.client.get(f"/api/v1/scenarios/{sid}", headers=server.headers("est"))
    return sid


def verify(server: Server, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("BASTION_DATABASE_URL", server.url)
    result = CliRunner().invoke(app, ["audit", "verify"])
    return result.exit_code, result.output


def test_every_login_read_create_edit_and_denial_is_recorded(server: Server) -> None:
    sid = busy_server(server)
    assert trail(server)[3:] == [  # after the three add-user records
        ("-", "login", "ana", "failure"),
        ("ana", "login", "ana", "success"),
        ("ana", "create-scenario", f"scenario:{sid}@1", "ok"),
        ("ana", "read-scenario", f"scenario:{sid}", "ok"),
        ("ana", "edit-scenario", f"scenario:{sid}@2", "ok"),
        ("est", "login", "est", "success"),
        ("est", "read-scenario", f"scenario:{sid}", "not-found"),
        ("aud", "login", "aud", "success"),
    ]


def test_auditors_filter_the_trail(server: Server) -> None:
    busy_server(server)
    rows = server.client.get(
        "/api/v1/audit", params={"action": "login", "outcome": "failure"}, headers=server.headers("aud")
    ).json()
    assert [(r["actor"], r["object"]) for r in rows] == [("-", "ana")]
    rows = server.client.get("/api/v1/audit", params={"actor": "est"}, headers=server.headers("aud")).json()
    assert [r["action"] for r in rows] == ["login", "read-scenario"]


def test_an_intact_chain_verifies(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    busy_server(server)
    code, output = verify(server, monkeypatch)
    assert code == 0, output
    assert "audit trail intact: 10 records" in output
    result = CliRunner().invoke(app, ["audit", "verify", "--json"])
    head = _records(server)[-1]["hash"]
    assert f"audit trail intact: 10 records; head 10:{head}" in output
    assert json.loads(result.stdout) == {"intact": True, "records": 10, "broken": None, "head": f"10:{head}"}
    listed = CliRunner().invoke(app, ["users", "list", "--json"])
    assert listed.exit_code == 0
    assert {u["name"] for u in json.loads(listed.stdout)["users"]} >= {"ana", "est", "aud"}


def _records(server: Server) -> list[dict[str, Any]]:
    with server.db.transaction() as session:
        return [dict(r._mapping) for r in session.execute(text("SELECT * FROM audit_records ORDER BY seq"))]


def test_an_edited_record_is_named(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    busy_server(server)
    with server.db.transaction() as session:
        session.execute(text("UPDATE audit_records SET outcome = 'ok' WHERE seq = 10"))
    code, output = verify(server, monkeypatch)
    assert code == 1
    assert "audit record 10: edited" in output
    result = CliRunner().invoke(app, ["audit", "verify", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "intact": False, "records": 10, "broken": "audit record 10: edited: its fields no longer match its hash",
        "head": None}


def test_a_deleted_record_is_named(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    busy_server(server)
    with server.db.transaction() as session:
        session.execute(text("DELETE FROM audit_records WHERE seq = 5"))
    code, output = verify(server, monkeypatch)
    assert code == 1
    assert "audit record 5: missing" in output


def test_a_deleted_record_renumbered_over_is_still_caught(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    busy_server(server)
    with server.db.transaction() as session:
        session.execute(text("DELETE FROM audit_records WHERE seq = 5"))
        session.execute(text("UPDATE audit_records SET seq = seq - 1 WHERE seq > 5"))
    code, output = verify(server, monkeypatch)
    assert code == 1
    assert "audit record 5: edited" in output  # its seq is part of what its hash covers


def test_an_inserted_record_is_named(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    busy_server(server)
    records = _records(server)
    with server.db.transaction() as session:
        session.execute(text("UPDATE audit_records SET seq = seq + 1000 WHERE seq > 6"))
        session.execute(text("UPDATE audit_records SET seq = seq - 999 WHERE seq > 1000"))
        # A well-formed record slipped in as number 7, chained to record 6 with a correct own hash.
        forged = AuditRecord(
            seq=7,
            at=records[5]["at"],
            actor="mallory",
            address="10.0.0.1",
            action="read-scenario",
            object="scenario:x",
            outcome="ok",
            prev_hash=records[5]["hash"],
        )
        forged.hash = digest(forged)
        session.add(forged)
    code, output = verify(server, monkeypatch)
    assert code == 1
    assert "audit record 8: edited" in output  # the old record 7 moved: its seq no longer matches its hash


def test_a_forged_record_appended_at_the_end_is_named(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    busy_server(server)
    with server.db.transaction() as session:
        forged = AuditRecord(
            seq=11,
            at="2026-01-01T00:00:00.000000Z",
            actor="mallory",
            address="-",
            action="login",
            object="mallory",
            outcome="success",
            prev_hash=GENESIS,
        )
        forged.hash = digest(forged)
        session.add(forged)
    code, output = verify(server, monkeypatch)
    assert code == 1
    assert "audit record 11: does not follow record 10" in output


def test_the_first_user_login_password_is_not_in_the_trail(server: Server) -> None:
    busy_server(server)
    assert all(PASSWORD not in str(r) for r in _records(server))


def test_non_auditors_get_403_and_the_denial_is_recorded(server: Server) -> None:
    busy_server(server)
    assert server.client.get("/api/v1/audit", headers=server.headers("ana")).status_code == 403
    assert ("ana", "read-audit", "-", "forbidden") in trail(server)


def test_any_text_where_an_id_goes_is_read_as_an_id() -> None:
    assert references("scenario:F4E34CFBBB092770") == ({"F4E34CFBBB092770"}, set())
    assert references("scenario:abc@2..3") == ({"abc"}, set())
    assert references("scenario:new@1 from scenario:old@3") == ({"new", "old"}, set())
    assert references("run:a..B-x") == (set(), {"a", "B-x"})
    assert references("run:a,run:b") == (set(), {"a", "b"})
    assert references("scenario:") == ({""}, set())  # names nothing: hides the record
    assert references("POST /api/v1/runs/Ab_1/cancel") == (set(), {"Ab_1"})
    assert references("POST /api/v1/scenarios/validate") == (set(), set())
    assert references("POST /api/v1/scenarios") == (set(), set())
    assert references("-") == references("user:ana") == (set(), set())


def test_commands_reading_the_store_refuse_a_sqlite_file_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    typo = tmp_path / "sevrer.sqlite"
    monkeypatch.setenv("BASTION_DATABASE_URL", f"sqlite:///{typo}")
    runner = CliRunner()
    for args in (["audit", "verify"], ["users", "list"], ["users", "disable", "a"], ["users", "set-role", "a", "x"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert f"no server store at {typo}" in result.output
        assert "intact" not in result.output
        assert not typo.exists()  # nothing created
    added = runner.invoke(
        app,
        ["users", "add", "eve", "--role", "viewer", "--nation", "LVA", "--clearance", "SECRET", "--password-stdin"],
        input="long enough\n",
    )
    assert added.exit_code == 0 and f"created the server store {typo}" in added.output  # meant to create it
    assert runner.invoke(app, ["users", "list"]).output.startswith("eve\tviewer")


def test_deleting_the_newest_records_is_caught_by_the_chain_head(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_server(server)
    with server.db.transaction() as session:
        session.execute(text("DELETE FROM audit_records WHERE seq > 8"))
    code, output = verify(server, monkeypatch)
    assert code == 1
    assert "audit record 9: missing: the trail ends at record 8 but the chain's head is record 10" in output


def test_a_kept_head_catches_a_cut_tail_whose_author_also_rewrote_the_stored_head(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_server(server)
    code, output = verify(server, monkeypatch)
    kept = output.split("head ")[1].strip()  # the operator keeps it outside the database
    assert code == 0 and kept == f"10:{_records(server)[-1]['hash']}"
    trail(server)  # the trail grows past the kept head: still intact against it
    assert CliRunner().invoke(app, ["audit", "verify", "--head", kept]).exit_code == 0
    with server.db.transaction() as session:
        eight = session.execute(text("SELECT hash FROM audit_records WHERE seq = 8")).scalar_one()
        session.execute(text("DELETE FROM audit_records WHERE seq > 8"))
        session.execute(text("UPDATE audit_head SET seq = 8, hash = :h"), {"h": eight})
    assert verify(server, monkeypatch)[0] == 0  # the stored head alone is fooled
    result = CliRunner().invoke(app, ["audit", "verify", "--head", kept])
    assert result.exit_code == 1
    assert "audit record 9: missing: the trail ends at record 8 but the head given is record 10" in result.output
    wrong = CliRunner().invoke(app, ["audit", "verify", "--head", f"8:{'0' * 64}"])
    assert wrong.exit_code == 1 and "audit record 8: differs from the head given" in wrong.output
    for bad in ("10", "x:" + "0" * 64, "10:abc", "10:" + "G" * 64):
        refused = CliRunner().invoke(app, ["audit", "verify", "--head", bad])
        assert refused.exit_code == 2 and "is not a chain head SEQ:HASH" in refused.output, bad


def test_records_appended_without_moving_the_head_are_named(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    busy_server(server)
    with server.db.transaction() as session:
        session.execute(text("UPDATE audit_head SET seq = 9"))
    code, output = verify(server, monkeypatch)
    assert code == 1 and "audit record 10: after the chain's head (record 9)" in output
    with server.db.transaction() as session:
        session.execute(text("DELETE FROM audit_head"))
    code, output = verify(server, monkeypatch)
    assert code == 1 and "the chain's head (table audit_head) is missing" in output


def test_migration_0009_starts_the_head_at_the_trail_s_end(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    busy_server(server)
    with server.db.transaction() as session:  # the store as 0008 left it: no head
        session.execute(text("DROP TABLE audit_head"))
        session.execute(text("UPDATE alembic_version SET version_num = '0008'"))
    upgrade(server.db.engine)
    last = _records(server)[-1]["hash"]
    with server.db.transaction() as session:
        assert session.execute(text("SELECT id, seq, hash FROM audit_head")).all() == [(1, 10, last)]
    code, output = verify(server, monkeypatch)
    assert code == 0 and "intact: 10 records" in output


def test_verify_reads_the_chain_in_chunks(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    from bastion.server import audit

    busy_server(server)
    monkeypatch.setattr(audit, "CHUNK", 3)  # records 3 and 4, 6 and 7, 9 and 10 straddle chunks
    with server.db.transaction() as session:
        assert audit.verify(session) == (10, None)
        session.execute(text("DELETE FROM audit_records WHERE seq = 7"))
        count, broken = audit.verify(session)
    assert count == 7
    assert str(broken) == "audit record 7: missing: the chain jumps from record 6 to 8 (a record was deleted)"


def test_since_compares_times_in_any_offset(server: Server) -> None:
    busy_server(server)
    everything = server.client.get("/api/v1/audit", params={"limit": 1000}, headers=server.headers("aud")).json()
    fifth = datetime.fromisoformat(everything[4]["at"])
    expected = [r["seq"] for r in everything if r["at"] >= everything[4]["at"]]
    for since in (
        fifth.astimezone(timezone(timedelta(hours=2))).isoformat(),  # ...+02:00: the same instant
        fifth.astimezone(timezone(timedelta(hours=-5))).isoformat(),
        fifth.strftime("%Y-%m-%dT%H:%M:%S.%f"),  # no offset: UTC
    ):
        rows = server.client.get("/api/v1/audit", params={"since": since}, headers=server.headers("aud")).json()
        assert [r["seq"] for r in rows][: len(expected)] == expected, since
    later = (fifth + timedelta(days=1)).strftime("%Y-%m-%d")  # a date alone: its midnight, UTC
    assert server.client.get("/api/v1/audit", params={"since": later}, headers=server.headers("aud")).json() == []
    earlier = (fifth - timedelta(days=1)).strftime("%Y-%m-%d")
    rows = server.client.get("/api/v1/audit", params={"since": earlier}, headers=server.headers("aud")).json()
    assert rows[0]["seq"] == 1
    for bad in ("yesterday", "2026-13-01", "2026-12-01T25:00", "12/01/2026"):
        answer = server.client.get("/api/v1/audit", params={"since": bad}, headers=server.headers("aud"))
        assert answer.status_code == 422, bad
        assert answer.json()["detail"].startswith(f"since: {bad!r} is not an ISO 8601 date or date-time"), bad
    assert ("aud", "read-audit", "-", "invalid") in trail(server)


def test_paging_the_trail_ends(server: Server) -> None:
    busy_server(server)
    server.user("aud2", "auditor", "LVA", "UNCLASSIFIED")
    server.client.get("/api/v1/audit", headers=server.headers("aud2"))  # another auditor's read
    h = server.headers("aud")

    def page_through(**filters: object) -> tuple[list[int], int]:
        seqs: list[int] = []
        after, pages = 0, 0
        while pages < 50:
            pages += 1
            params = {"after_seq": after, "limit": 3, **filters}
            rows = server.client.get("/api/v1/audit", params=params, headers=h).json()
            if not rows:
                return seqs, pages
            seqs += [r["seq"] for r in rows]
            after = rows[-1]["seq"]
        raise AssertionError("paging never reached an empty page")

    # busy_server's 10 records, aud2's add-user and login, (13: aud2's read, left out), aud's login:
    # 13 records in pages of 3, then an empty page
    seqs, pages = page_through()
    assert (seqs, pages) == ([*range(1, 13), 14], 6)
    actions = [r["action"] for r in server.client.get("/api/v1/audit", params={"limit": 1000}, headers=h).json()]
    assert "read-audit" not in actions
    _, pages = page_through(action="read-audit")  # only the other auditor's: never one's own
    objects = server.client.get("/api/v1/audit", params={"action": "read-audit"}, headers=h).json()
    assert [(r["actor"], r["outcome"]) for r in objects] == [("aud2", "ok")] and pages == 2


def test_refused_credentials_are_recorded(server: Server) -> None:
    busy_server(server)
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Bearer " + "x" * 500}):
        assert server.client.get("/api/v1/scenarios", headers=headers).status_code == 401
    server.client.cookies.set("bastion_session", "stale")
    assert server.client.post("/api/v1/scenarios", json={"yaml": "x"}).status_code == 401
    server.client.cookies.clear()
    answer = server.client.get("/api/v1/audit", params={"action": "authenticate"}, headers=server.headers("aud"))
    rows = [(r["actor"], r["object"], r["outcome"]) for r in answer.json()]
    get, post = ("-", "GET /api/v1/scenarios", "unauthorized"), ("-", "POST /api/v1/scenarios", "unauthorized")
    assert rows == [get, get, get, post]
