"""The hot reads (a list page, a scenario, a run, a diff) answer from one trip through the thread pool
(deps.authenticated_read): the same answers, refusals and audit records as the endpoints that take
`Authed` and let FastAPI serialise their response model."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.server.conftest import PASSWORD, Server, scenario_yaml

from bastion.store.server_tables import AuditRecord

RELEASED = "{level: RESTRICTED, releasable_to: [EST]}"


def trail(server: Server, since: int) -> list[tuple[str, str, str, str]]:
    """(actor, action, object, outcome) of the audit records after record `since`."""
    with server.db.transaction() as session:
        records = session.execute(select(AuditRecord).where(AuditRecord.seq > since).order_by(AuditRecord.seq))
        return [(r.actor, r.action, r.object, r.outcome) for r in records.scalars()]


def last_seq(server: Server) -> int:
    with server.db.transaction() as session:
        return int(session.execute(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1)).scalar_one())


def test_the_reads_answer_what_fastapis_own_serialisation_answers(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    server.user("est", "viewer", "EST", "SECRET")
    h = server.headers("ana")
    made = server.client.post("/api/v1/scenarios", json={"yaml": scenario_yaml("One", RELEASED)}, headers=h)
    sid = made.json()["id"]
    revised = server.client.post(
        f"/api/v1/scenarios/{sid}/revisions", json={"yaml": scenario_yaml("One b", RELEASED)}, headers=h
    )
    assert made.status_code == 201 and revised.status_code == 201
    second = server.create("ana", scenario_yaml("Two"))
    queued = server.client.post("/api/v1/runs", json={"scenario_id": sid, "paths": 5}, headers=h)
    assert queued.status_code == 202  # nothing executes it: no job queue in this app (no lifespan)
    # The answers of the writes above went through FastAPI's response models: the reads' match them.
    listed = server.client.get("/api/v1/scenarios?limit=1", headers=h)
    assert listed.status_code == 200 and listed.headers["content-type"] == "application/json"
    assert listed.headers["x-total-count"] == "2"
    # a list item is the scenario's summary: no text, and not its newest revision's author and time
    assert listed.json() == [{**revised.json(), "yaml": None, "revised_by": None, "revised_at": None}]
    assert revised.json()["revised_by"] == "ana" and revised.json()["revision"] == 2
    assert listed.json()[0]["marking"] == "RESTRICTED // REL TO LVA, EST"
    assert listed.json()[0]["revision"] == 2 and listed.json()[0]["name"] == "One b"
    page_two = server.client.get("/api/v1/scenarios?limit=1&offset=1", headers=h)
    assert [s["id"] for s in page_two.json()] == [second] and page_two.headers["x-total-count"] == "2"
    got = server.client.get(f"/api/v1/scenarios/{sid}", headers=h)
    assert got.headers["content-type"] == "application/json"
    assert got.json() == {**revised.json(), "yaml": scenario_yaml("One b", RELEASED)}
    run = server.client.get(f"/api/v1/runs/{queued.json()['id']}", headers=server.headers("est"))
    assert run.headers["content-type"] == "application/json" and run.json() == queued.json()
    diff = server.client.get(f"/api/v1/scenarios/{sid}/diff?a=1", headers=h).json()
    assert (diff["revision_a"], diff["revision_b"], diff["changed"]) == (1, 2, True)
    assert diff["marking"] == "RESTRICTED // REL TO LVA, EST"
    assert "-name: One\n+name: One b" in diff["diff"] and (diff["added"], diff["removed"]) == (1, 1)


def test_the_reads_refuse_and_record_as_before(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    server.user("ltu", "analyst", "LTU", "SECRET")
    sid = server.create("ana", scenario_yaml("Mine", RELEASED))
    ana, ltu = server.headers("ana"), server.headers("ltu")
    before = last_seq(server)
    assert server.client.get("/api/v1/scenarios", headers=ltu).headers["x-total-count"] == "0"
    for path in (f"/api/v1/scenarios/{sid}", f"/api/v1/scenarios/{sid}/diff?a=1", "/api/v1/runs/nope"):
        refused = server.client.get(path, headers=ltu)
        assert refused.status_code == 404 and refused.json() == {"detail": "not found"}
    assert server.client.get(f"/api/v1/scenarios/{sid}/diff?a=1&b=1", headers=ana).json()["changed"] is False
    assert trail(server, before) == [
        ("ltu", "list-scenarios", "-", "ok"),
        ("ltu", "read-scenario", f"scenario:{sid}", "not-found"),
        ("ltu", "diff-scenario", f"scenario:{sid}", "not-found"),
        ("ltu", "read-run", "run:nope", "not-found"),
        ("ana", "diff-scenario", f"scenario:{sid}@1..1", "ok"),
    ]
    # Not authenticated: 401 before any parameter is checked, as for the endpoints that take `Authed`.
    for path in ("/api/v1/scenarios?limit=0", f"/api/v1/scenarios/{sid}/diff?a=0", "/api/v1/runs/bad%20id"):
        for headers, detail in (
            ({}, "not authenticated: send Authorization: Bearer TOKEN, or log in (POST /api/v1/session)"),
            ({"Authorization": "Basic abc"}, "not authenticated: send Authorization: Bearer TOKEN"),
            ({"Authorization": "Bearer nope"}, "invalid or expired token"),
        ):
            answer = server.client.get(path, headers=headers)
            assert (answer.status_code, answer.json(), answer.headers["www-authenticate"]) == (
                401,
                {"detail": detail},
                "Bearer",
            )
        assert server.client.get(path, headers=ana).status_code == 422
    # A browser's session cookie reads too (no CSRF token on a read).
    browser = TestClient(server.app, raise_server_exceptions=False)
    assert browser.post("/api/v1/session", json={"username": "ana", "password": PASSWORD}).status_code == 200
    assert [s["id"] for s in browser.get("/api/v1/scenarios").json()] == [sid]
    assert browser.get(f"/api/v1/scenarios/{sid}").json()["name"] == "Mine"
