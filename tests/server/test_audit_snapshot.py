"""`bastion audit verify` and the web app's audit page check the chain on one snapshot, without the write
lock: a record appended while they read is neither taken for a deletion nor blocked (docs/server.md).

Each test appends a record from another thread at the worst moment: after `verify` has read the whole
chain, before it reads the stored head (`audit_head`). Under PostgreSQL's READ COMMITTED the head read
would see that append (head ahead of the chain read: "records N to N were deleted"); on SQLite a verify
holding the write lock (`BEGIN IMMEDIATE`) would keep the append waiting until the end of the walk.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text
from tests.server.conftest import Server
from tests.web.test_pages import Browser
from typer.testing import CliRunner

from bastion.cli import app
from bastion.server import audit
from bastion.store.server_tables import AuditRecord

WAIT_S = 20.0
"""How long the append may take (a blocked one waits for SQLite's 60 s busy timeout, or the walk's end)."""


def _append_during_the_walk(server: Server, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make `verify` commit one record from another thread once it has read the chain, and say (in the
    list returned) whether that append committed while the walk was still open."""
    walk = audit._chain
    done: list[str] = []

    def append() -> None:
        with server.db.transaction() as session:
            audit.append(session, actor="x", address="local", action="meanwhile", obj="-", outcome="ok")
        done.append("committed")

    def chain(session: Any) -> Iterator[dict[str, Any]]:
        yield from walk(session)
        thread = threading.Thread(target=append)
        thread.start()
        thread.join(WAIT_S)
        if thread.is_alive():
            done.append("blocked")  # the verify's transaction holds the write lock
        monkeypatch.setattr(audit, "_chain", walk)  # once only

    monkeypatch.setattr(audit, "_chain", chain)
    return done


def _trail(server: Server) -> list[tuple[int, str]]:
    with server.db.transaction() as session:
        return [
            (int(seq), str(hash_))
            for seq, hash_ in session.execute(select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq))
        ]


def test_verify_checks_one_snapshot_while_a_record_is_appended(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")  # record 1: add-user
    server.token("ana")  # record 2: login
    before = _trail(server)
    assert [seq for seq, _ in before] == [1, 2]
    done = _append_during_the_walk(server, monkeypatch)
    found = audit.checked(server.db.engine)
    assert done == ["committed"]  # the append did not wait for the verify
    assert found == audit.Checked(2, None, before[-1])  # the chain and head it read, not the newer one
    after = _trail(server)
    assert len(after) == 3 and after[:2] == before
    assert audit.checked(server.db.engine) == audit.Checked(3, None, after[-1])
    if server.db.engine.dialect.name == "postgresql":  # the pooled connections are back to their defaults
        for _ in range(3):
            with server.db.transaction() as session:
                settings = session.execute(
                    text("SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')")
                ).one()
                assert tuple(settings) == ("read committed", "off")
    server.user("bob", "viewer", "LVA", "SECRET")  # and writing still works


def test_the_cli_prints_the_head_of_the_chain_it_checked(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    server.token("ana")
    seq, hash_ = _trail(server)[-1]
    done = _append_during_the_walk(server, monkeypatch)
    monkeypatch.setenv("BASTION_DATABASE_URL", server.url)
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert done == ["committed"]
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"audit trail intact: 2 records; head {seq}:{hash_}"


def test_the_web_audit_page_checks_one_snapshot(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    server.user("aud", "auditor", "LVA", "SECRET")
    auditor = Browser(server.app, "aud")  # records: add-user, the login page, login, the scenarios page
    records = len(_trail(server))
    done = _append_during_the_walk(server, monkeypatch)
    page = auditor.client.get("/audit").text
    assert done == ["committed"]
    assert "The chain is broken" not in page
    assert f"The chain verifies: {records} records" in page
