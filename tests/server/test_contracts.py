"""Request and response contracts (issue 18): strict numbers, errors that name the field, enumerated
query parameters, the run's marking, security headers, HEAD, a revision's author, workbook sniffing,
an optional copy body."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from tests.server.conftest import Server, scenario_yaml

from bastion.scenario.load import load_text
from bastion.server import jobs
from bastion.server.repository import Releasability
from bastion.server.routes.studies import StudyIn
from bastion.server.services import combined_marking
from bastion.xlsxio import build_workbook

RELEASED = "{level: RESTRICTED, releasable_to: [EST]}"
MARKING = "RESTRICTED // REL TO LVA, EST"


@pytest.fixture
def sid(server: Server) -> str:
    server.user("ana", "analyst", "LVA", "SECRET")
    server.user("bob", "analyst", "LVA", "SECRET")
    server.user("est", "viewer", "EST", "SECRET")
    server.user("aud", "auditor", "LVA", "SECRET")
    return server.create("ana", scenario_yaml("Contracts", RELEASED))


def post(server: Server, user: str, url: str, body: Any) -> tuple[int, Any]:
    answer = server.client.post(url, json=body, headers=server.headers(user))
    return answer.status_code, answer.json()


def refused_field(answer: tuple[int, Any]) -> list[Any]:
    status, body = answer
    assert status == 422, body
    return [e["loc"] for e in body["detail"]]


# 8: numbers in a body are JSON numbers, never booleans or text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("paths", True),
        ("paths", "5"),
        ("paths", 5.5),
        ("seed", False),
        ("confidence", "0.5"),
        ("confidence", True),
        ("futures", "200"),
        ("revision", True),
    ],
)
def test_a_run_body_number_is_never_a_boolean_or_text(server: Server, sid: str, field: str, value: Any) -> None:
    assert refused_field(post(server, "ana", "/api/v1/runs", {"scenario_id": sid, field: value})) == [["body", field]]
    listed = server.client.get("/api/v1/runs", headers=server.headers("ana"))
    assert listed.headers["X-Total-Count"] == "0"  # nothing queued


def test_token_study_copy_and_session_bodies_are_strict_too(server: Server, sid: str) -> None:
    for days in (True, "5", 5.5):
        assert refused_field(post(server, "ana", "/api/v1/tokens", {"name": "ci", "days": days})) == [["body", "days"]]
    assert post(server, "ana", "/api/v1/tokens", {"name": "ci", "days": 5})[0] == 201
    assert post(server, "ana", "/api/v1/tokens", {"name": "ci", "days": 5.0})[1]["expires_at"]  # JSON Schema's integer
    study = {"scenario_id": sid, "tornado": 10}
    for field, value in (
        ("paths", True),
        ("sample", "3"),
        ("tornado", "10"),
        ("skip_invalid", "true"),
        ("confidence", [True]),
    ):
        loc = refused_field(post(server, "ana", "/api/v1/studies", {**study, field: value}))
        assert loc[0][:2] == ["body", field]
    assert refused_field(post(server, "ana", f"/api/v1/scenarios/{sid}/copy", {"revision": True})) == [
        ["body", "revision"]
    ]
    assert refused_field(post(server, "ana", "/api/v1/session", {"username": "ana", "password": 12345678})) == [
        ["body", "password"]
    ]


def test_a_whole_number_is_taken_where_a_fraction_is() -> None:
    assert StudyIn.model_validate({"scenario_id": "s", "tornado": 10, "confidence": [1, 0.5][1:]}).tornado == 10.0


# 9: a body that is not JSON is 422 (FastAPI's norm), as docs/server.md says


def test_unparseable_json_is_422_with_the_reason(server: Server, sid: str) -> None:
    headers = {**server.headers("ana"), "Content-Type": "application/json"}
    answer = server.client.post("/api/v1/runs", content=b'{"scenario_id": ', headers=headers)
    assert answer.status_code == 422 and answer.json()["detail"][0]["type"] == "json_invalid"
    answer = server.client.post("/api/v1/scenarios", content=b'{"yaml": ', headers=headers)
    assert answer.status_code == 422 and answer.json()["detail"].startswith("invalid JSON body: not JSON (")


# 10: a scenario body's refusal names the field and the rule


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"message": "m"}, "invalid JSON body: yaml: field required"),
        ({"yaml": "x", "message": "m" * 10_001}, "invalid JSON body: message: at most 10000 characters"),
        ({"yaml": "x", "x": 1}, "invalid JSON body: unexpected field 'x'"),
        ({"yaml": "x", "message": "a\x00b"}, "invalid JSON body: message: holds a NUL character"),
        ({"yaml": 5}, "invalid JSON body: yaml: a JSON string is wanted"),
        ({"yaml": ""}, "invalid JSON body: yaml: empty"),
        ([], "invalid JSON body: a JSON object is wanted, {yaml, message}"),
        ({"x": 1, "y": 2}, "invalid JSON body: yaml: field required; unexpected field 'x'; unexpected field 'y'"),
    ],
)
def test_a_scenario_body_refusal_names_the_field(server: Server, sid: str, body: Any, detail: str) -> None:
    assert post(server, "ana", "/api/v1/scenarios", body) == (422, {"detail": detail})


def test_a_multipart_message_is_checked_as_the_json_one(server: Server, sid: str) -> None:
    url, headers = f"/api/v1/scenarios/{sid}/revisions", server.headers("ana")
    file = {"file": ("s.yaml", scenario_yaml("Contracts").encode())}
    answer = server.client.post(url, files=file, data={"message": "a\x00b"}, headers=headers)
    assert answer.status_code == 422 and answer.json() == {"detail": "message: holds a NUL character"}
    answer = server.client.post(url, files=file, data={"message": "m" * 10_001}, headers=headers)
    assert answer.status_code == 422
    assert answer.json() == {"detail": "message: at most 10000 characters (this one has 10001)"}
    answer = server.client.post(url, files=file, data={"message": "m" * 10_000}, headers=headers)
    assert answer.status_code == 201 and answer.json()["revision"] == 2
    revision = server.client.get(f"/api/v1/scenarios/{sid}/revisions/2", headers=headers).json()
    assert revision["message"] == "m" * 10_000


# 11: an enumerated query parameter refuses a value outside its list


def test_a_bogus_run_status_is_422_naming_the_allowed_values(server: Server, sid: str) -> None:
    for url in ("/api/v1/runs", f"/api/v1/scenarios/{sid}/runs"):
        answer = server.client.get(url, params={"status": "bogus"}, headers=server.headers("ana"))
        assert answer.status_code == 422, answer.text
        assert "queued|running|done|failed|cancelled|interrupted" in answer.json()["detail"][0]["msg"]
        assert server.client.get(url, params={"status": "done"}, headers=server.headers("ana")).status_code == 200


# 19: a run's JSON carries its scenario's marking; 20: security headers; 21: HEAD


def test_runs_of_two_scenarios_each_carry_their_own_marking(server: Server, sid: str) -> None:
    """A list of runs of two scenarios of different levels (their markings read in one query) shows each
    run's own; a comparison of the two is marked for both together: the higher level, released only to
    who may see both (the review: "the higher-level one" marked LVA-only content REL TO EST)."""
    other = server.create("ana", scenario_yaml("Secret one", "{level: SECRET}"))
    low = post(server, "ana", "/api/v1/runs", {"scenario_id": sid, "paths": 10})[1]
    high = post(server, "ana", "/api/v1/runs", {"scenario_id": other, "paths": 10})[1]
    assert high["marking"] == "SECRET // LVA ONLY" and low["marking"] == MARKING
    listed = server.client.get("/api/v1/runs", headers=server.headers("ana")).json()
    assert {r["id"]: r["marking"] for r in listed} == {low["id"]: MARKING, high["id"]: "SECRET // LVA ONLY"}
    assert jobs.work_once(server.db) and jobs.work_once(server.db)
    compared = server.client.get(f"/api/v1/runs/{low['id']}/compare/{high['id']}", headers=server.headers("ana"))
    assert compared.json()["marking"] == "SECRET // LVA ONLY"  # not SECRET // REL TO LVA, EST


@pytest.mark.parametrize(
    ("rels", "expected"),
    [
        ([("RESTRICTED", "LVA", ("EST",))], "RESTRICTED // REL TO LVA, EST"),
        ([("RESTRICTED", "LVA", ("EST",)), ("RESTRICTED", "LVA", ())], "RESTRICTED // LVA ONLY"),
        ([("SECRET", "LVA", ("EST", "LTU")), ("RESTRICTED", "LVA", ("LTU",))], "SECRET // REL TO LVA, LTU"),
        ([("RESTRICTED", "LVA", ("EST",)), ("CONFIDENTIAL", "EST", ("LVA", "LTU"))], "CONFIDENTIAL // REL TO EST, LVA"),
        ([("RESTRICTED", "LVA", ()), ("RESTRICTED", "EST", ())], "RESTRICTED // NOT RELEASABLE TOGETHER"),
        ([], None),
    ],
)
def test_content_shown_together_is_marked_for_who_may_see_all_of_it(
    rels: list[tuple[str, str, tuple[str, ...]]], expected: str | None
) -> None:
    assert combined_marking([Releasability(*r) for r in rels]) == expected


def test_a_run_carries_its_scenarios_marking_everywhere(server: Server, sid: str) -> None:
    status, first = post(server, "ana", "/api/v1/runs", {"scenario_id": sid, "paths": 10})
    assert status == 202 and first["marking"] == MARKING
    second = post(server, "ana", "/api/v1/runs", {"scenario_id": sid, "paths": 10, "seed": 1})[1]
    assert jobs.work_once(server.db) and jobs.work_once(server.db)
    headers = server.headers("est")
    assert server.client.get(f"/api/v1/runs/{first['id']}", headers=headers).json()["marking"] == MARKING
    assert [r["marking"] for r in server.client.get("/api/v1/runs", headers=headers).json()] == [MARKING, MARKING]
    compared = server.client.get(f"/api/v1/runs/{first['id']}/compare/{second['id']}", headers=headers).json()
    assert compared["marking"] == MARKING
    assert compared["run_a"]["marking"] == compared["run_b"]["marking"] == MARKING
    # 20: the report page's scripts run sandboxed (an opaque origin: no cookie, no API); nothing is cached
    report = server.client.get(f"/api/v1/runs/{first['id']}/report.html", headers=headers)
    assert report.status_code == 200 and report.headers["content-security-policy"] == "sandbox allow-scripts"
    assert report.headers["x-content-type-options"] == "nosniff" and report.headers["cache-control"] == "no-store"


def test_every_api_answer_is_nosniff_and_no_store(server: Server, sid: str) -> None:
    for url in ("/healthz", "/api/v1/scenarios", f"/api/v1/scenarios/{sid}", "/api/v1/runs/nope", "/api/v1/tokens"):
        answer = server.client.get(url, headers=server.headers("ana"))
        assert answer.headers["x-content-type-options"] == "nosniff", url
        assert answer.headers["cache-control"] == "no-store", url
        assert "content-security-policy" not in answer.headers
    assert server.client.get("/api/v1/scenarios").headers["cache-control"] == "no-store"  # a 401 too
    study_page = server.client.get("/api/v1/studies/0123456789abcdef/report.html", headers=server.headers("ana"))
    assert study_page.status_code == 404 and study_page.headers["content-security-policy"] == "sandbox allow-scripts"


def test_head_answers_as_get_without_a_body_and_is_audited_as_a_read(server: Server, sid: str) -> None:
    got = server.client.get("/healthz")
    head = server.client.head("/healthz")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    head = server.client.head(f"/api/v1/scenarios/{sid}", headers=server.headers("ana"))
    assert head.status_code == 200 and head.content == b"" and head.headers["cache-control"] == "no-store"
    assert server.client.head(f"/api/v1/scenarios/{sid}", headers=server.headers("est")).status_code == 200
    assert server.client.head("/api/v1/scenarios/nope", headers=server.headers("ana")).status_code == 404
    assert server.client.head("/api/v1/scenarios").status_code == 401
    assert server.client.head(f"/api/v1/scenarios/{sid}/copy", headers=server.headers("ana")).status_code == 405
    run = post(server, "ana", "/api/v1/runs", {"scenario_id": sid, "paths": 10})[1]
    events = server.client.head(f"/api/v1/runs/{run['id']}/events", headers=server.headers("ana"))
    assert events.status_code == 200 and events.content == b""  # a stream: ended after its first part
    rows = server.client.get("/api/v1/audit", params={"limit": 1000}, headers=server.headers("aud")).json()
    reads = [(r["actor"], r["object"], r["outcome"]) for r in rows if r["action"] == "read-scenario"]
    # the HEAD of a missing id is recorded too, but a record about an id that is no visible object's is
    # listed to no auditor (docs/server.md, "Audit trail"): the two reads of the real scenario are
    assert reads == [("ana", f"scenario:{sid}", "ok"), ("est", f"scenario:{sid}", "ok")]
    with server.db.transaction() as session:  # ... and the probe is in the trail
        probe = session.execute(
            text("SELECT actor, action, outcome FROM audit_records WHERE object = 'scenario:nope'")
        ).all()
    assert [tuple(r) for r in probe] == [("ana", "read-scenario", "not-found")]


# 22: a new revision's answer names its author and time


def test_a_revision_answers_its_own_author_and_time(server: Server, sid: str) -> None:
    status, made = post(server, "bob", f"/api/v1/scenarios/{sid}/revisions", {"yaml": scenario_yaml("v2")})
    assert status == 201 and made["revision"] == 2
    assert made["created_by"] == "ana" and made["revised_by"] == "bob"
    revision = server.client.get(f"/api/v1/scenarios/{sid}/revisions/2", headers=server.headers("ana")).json()
    got = server.client.get(f"/api/v1/scenarios/{sid}", headers=server.headers("ana")).json()
    assert made["revised_at"] == revision["created_at"] == got["revised_at"] and got["revised_by"] == "bob"
    first = server.client.get(f"/api/v1/scenarios/{sid}/revisions/1", headers=server.headers("ana")).json()
    assert got["created_at"] != got["revised_at"] and made["created_at"] == got["created_at"]
    assert first["author"] == "ana"


# 24: a workbook is known by its first bytes, whatever its name; 25: copy takes no body


@pytest.mark.parametrize("name", ["small.yaml", "upload", "plant.xlsx"])
def test_a_workbook_is_read_as_one_whatever_its_name(server: Server, sid: str, name: str) -> None:
    workbook = build_workbook(load_text(scenario_yaml("From workbook")))
    answer = server.client.post("/api/v1/scenarios", files={"file": (name, workbook)}, headers=server.headers("ana"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == "From workbook"


def test_copy_takes_no_body_or_an_empty_one(server: Server, sid: str) -> None:
    bare = server.client.post(f"/api/v1/scenarios/{sid}/copy", headers=server.headers("ana"))
    assert bare.status_code == 201, bare.text
    assert bare.json()["id"] != sid and bare.json()["revised_by"] == "ana"
    assert post(server, "ana", f"/api/v1/scenarios/{sid}/copy", {})[0] == 201
    revisions = server.client.get(f"/api/v1/scenarios/{bare.json()['id']}/revisions", headers=server.headers("ana"))
    assert revisions.json()[0]["message"] == f"copy of {sid}@1"
