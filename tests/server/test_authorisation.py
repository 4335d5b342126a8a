"""The authorisation matrix: endpoint x role x nation (owner / released / not) x clearance (enough / not).

The scenario under test is owned by LVA, RESTRICTED, releasable to EST. A user sees it iff
their clearance is at least RESTRICTED and their nation is LVA or EST; everything about an
invisible scenario answers 404, exactly as a missing one (a random id is checked alongside).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.server.conftest import BACKENDS, Databases, Server, scenario_yaml

ROLES = ("viewer", "analyst", "admin", "auditor")
NATIONS = {"owner": "LVA", "released": "EST", "not-released": "LTU"}
CLEARANCES = {"enough": "SECRET", "exactly": "RESTRICTED", "not-enough": "UNCLASSIFIED"}
RELEASED = "{level: RESTRICTED, releasable_to: [EST]}"
WIDER = "{level: RESTRICTED, releasable_to: [EST, LTU]}"
MISSING = "0123456789abcdef"

USERS = {
    f"{role}-{nat}-{clr}": (role, NATIONS[nat], CLEARANCES[clr])
    for role, nat, clr in itertools.product(ROLES, NATIONS, CLEARANCES)
}


def expected(endpoint: str, role: str, nation: str, clearance: str) -> int:
    """The status the contract asks for."""
    visible = nation in ("LVA", "EST") and clearance != "UNCLASSIFIED"
    if endpoint == "audit":
        return 200 if role == "auditor" else 403
    if endpoint == "list":
        return 200
    if endpoint == "create":
        return 201 if role == "analyst" else 403
    if not visible:
        return 404
    if endpoint in ("get", "revisions", "revision", "run"):
        return 200
    if endpoint == "start-run":
        return 202 if role == "analyst" else 403
    if role != "analyst":
        return 403
    if endpoint == "edit":
        return 201
    assert endpoint == "release"
    return 201 if nation == "LVA" else 403


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    databases = Databases(request.param, Path(tmp_path_factory.mktemp("authz")), request)
    server = Server(databases.new())
    server.user("author", "analyst", "LVA", "SECRET")
    for name, (role, nation, clearance) in USERS.items():
        server.user(name, role, nation, clearance)
    yield server
    server.client.close()
    server.db.close()
    databases.drop()


@pytest.fixture(scope="module")
def shared(world: Server) -> str:
    sid = world.create("author", scenario_yaml("Shared", RELEASED))
    answer = world.client.post("/api/v1/runs", headers=world.headers("author"), json={"scenario_id": sid})
    world.run_of[sid] = answer.json()["id"]  # a queued run of the shared scenario
    return sid


def call(server: Server, user: str, endpoint: str, sid: str) -> int:
    h = server.headers(user)
    c = server.client
    calls: dict[str, Callable[[], int]] = {
        "list": lambda: c.get("/api/v1/scenarios", headers=h).status_code,
        "get": lambda: c.get(f"/api/v1/scenarios/{sid}", headers=h).status_code,
        "revisions": lambda: c.get(f"/api/v1/scenarios/{sid}/revisions", headers=h).status_code,
        "revision": lambda: c.get(f"/api/v1/scenarios/{sid}/revisions/1", headers=h).status_code,
        "edit": lambda: (
            c.post(
                f"/api/v1/scenarios/{sid}/revisions",
                headers=h,
                json={"yaml": scenario_yaml("Edited", RELEASED), "message": "edit"},
            ).status_code
        ),
        "release": lambda: (
            c.post(
                f"/api/v1/scenarios/{sid}/revisions",
                headers=h,
                json={"yaml": scenario_yaml("Wider", WIDER), "message": "wider"},
            ).status_code
        ),
        "create": lambda: (
            c.post("/api/v1/scenarios", headers=h, json={"yaml": scenario_yaml("Mine"), "message": ""}).status_code
        ),
        "audit": lambda: c.get("/api/v1/audit", headers=h).status_code,
        "start-run": lambda: c.post("/api/v1/runs", headers=h, json={"scenario_id": sid, "paths": 10}).status_code,
        "run": lambda: c.get(f"/api/v1/runs/{server.run_of.get(sid, sid)}", headers=h).status_code,
    }
    return calls[endpoint]()


ENDPOINTS = ("list", "get", "revisions", "revision", "edit", "release", "create", "audit", "start-run", "run")


@pytest.mark.parametrize(("endpoint", "user"), list(itertools.product(ENDPOINTS, USERS)))
def test_matrix(world: Server, shared: str, endpoint: str, user: str) -> None:
    # Reads use one scenario; each edit gets its own, so that no case changes another's.
    sid = world.create("author", scenario_yaml("Shared", RELEASED)) if endpoint in ("edit", "release") else shared
    role, nation, clearance = USERS[user]
    assert call(world, user, endpoint, sid) == expected(endpoint, role, nation, clearance)
    # A missing id answers exactly as an invisible one: 404 wherever the scenario matters.
    if endpoint in ("get", "revisions", "revision", "edit", "release", "start-run", "run"):
        assert call(world, user, endpoint, MISSING) == 404


# Endpoints added with the scenario and run operations and the browser session; one test per
# endpoint walks every user (same table, fewer test items).
MORE = (
    "scenario-runs", "list-runs", "diff", "validate", "copy", "archive", "restore", "cancel", "compare", "events",
    "session", "resubmit", "tokens",
)
WITH_IDS = ("scenario-runs", "diff", "copy", "archive", "restore", "cancel", "compare", "events", "resubmit")


def expected_more(endpoint: str, role: str, nation: str, clearance: str) -> int:
    """The status the contract asks for (docs/server.md)."""
    visible = nation in ("LVA", "EST") and clearance != "UNCLASSIFIED"
    if endpoint in ("list-runs", "validate", "session", "tokens"):
        return 200
    if not visible:
        return 404
    if endpoint in ("scenario-runs", "diff", "events"):
        return 200
    if endpoint == "compare":
        return 409  # visible, but the runs are queued: no result to compare yet
    if role != "analyst":
        return 403
    if endpoint == "copy":
        return 201
    if endpoint == "cancel":
        return 200
    if endpoint == "resubmit":
        return 202
    assert endpoint in ("archive", "restore")
    return 200 if nation == "LVA" else 403


@pytest.fixture(scope="module")
def runs(world: Server, shared: str) -> dict[str, str]:
    """Runs of the shared scenario: a second queued one, and one that has ended (cancelled)."""
    h = world.headers("author")
    queued = world.client.post("/api/v1/runs", headers=h, json={"scenario_id": shared}).json()["id"]
    ended = world.client.post("/api/v1/runs", headers=h, json={"scenario_id": shared}).json()["id"]
    assert world.client.post(f"/api/v1/runs/{ended}/cancel", headers=h).status_code == 200
    return {"queued": queued, "ended": ended}


def call_more(server: Server, user: str, endpoint: str, sid: str, runs: dict[str, str]) -> int:
    h = server.headers(user)
    c = server.client
    author = server.headers("author")
    if endpoint == "archive":  # each change gets a scenario (or a run) of its own
        sid = server.create("author", scenario_yaml("Archived", RELEASED)) if sid != MISSING else sid
        return c.delete(f"/api/v1/scenarios/{sid}", headers=h).status_code
    if endpoint == "restore":
        if sid != MISSING:
            sid = server.create("author", scenario_yaml("Restored", RELEASED))
            assert c.delete(f"/api/v1/scenarios/{sid}", headers=author).status_code == 200
        return c.post(f"/api/v1/scenarios/{sid}/restore", headers=h).status_code
    if endpoint == "cancel":
        rid = MISSING
        if sid != MISSING:
            rid = c.post("/api/v1/runs", headers=author, json={"scenario_id": sid}).json()["id"]
        return c.post(f"/api/v1/runs/{rid}/cancel", headers=h).status_code
    run_a = server.run_of.get(sid, MISSING)
    calls: dict[str, Callable[[], int]] = {
        "scenario-runs": lambda: c.get(f"/api/v1/scenarios/{sid}/runs", headers=h).status_code,
        "list-runs": lambda: c.get(f"/api/v1/runs?scenario_id={sid}", headers=h).status_code,
        "diff": lambda: c.get(f"/api/v1/scenarios/{sid}/diff?a=1", headers=h).status_code,
        "validate": lambda: (
            c.post("/api/v1/scenarios/validate", headers=h, json={"yaml": scenario_yaml("v")}).status_code
        ),
        "copy": lambda: c.post(f"/api/v1/scenarios/{sid}/copy", headers=h, json={}).status_code,
        "compare": lambda: c.get(f"/api/v1/runs/{run_a}/compare/{runs['queued']}", headers=h).status_code,
        "events": lambda: (
            c.get(f"/api/v1/runs/{runs['ended'] if sid != MISSING else MISSING}/events", headers=h).status_code
        ),
        "session": lambda: c.get("/api/v1/session", headers=h).status_code,
        # the cancelled run again (a new queued run each time; the cancelled one stays cancelled)
        "resubmit": lambda: (
            c.post(f"/api/v1/runs/{runs['ended'] if sid != MISSING else MISSING}/resubmit", headers=h).status_code
        ),
        "tokens": lambda: c.get("/api/v1/tokens", headers=h).status_code,
    }
    return calls[endpoint]()


@pytest.mark.parametrize("endpoint", MORE)
def test_matrix_more(world: Server, shared: str, runs: dict[str, str], endpoint: str) -> None:
    wrong = []
    for user, (role, nation, clearance) in USERS.items():
        got, want = call_more(world, user, endpoint, shared, runs), expected_more(endpoint, role, nation, clearance)
        if got != want:
            wrong.append((user, got, want))
        # A missing id answers exactly as an invisible one.
        if endpoint in WITH_IDS and (missing := call_more(world, user, endpoint, MISSING, runs)) != 404:
            wrong.append((user, missing, "404 for a missing id"))
    assert wrong == []


@pytest.mark.parametrize("user", list(USERS))
def test_lists_show_only_visible_scenarios(world: Server, user: str) -> None:
    shared = world.create("author", scenario_yaml("Shared", RELEASED))
    lva_only = world.create("author", scenario_yaml("LVA only", "{level: UNCLASSIFIED}"))
    answer = world.client.get("/api/v1/scenarios", headers=world.headers(user))
    ids = {s["id"] for s in answer.json()}
    _, nation, clearance = USERS[user]
    assert (shared in ids) == (nation in ("LVA", "EST") and clearance != "UNCLASSIFIED")
    assert (lva_only in ids) == (nation == "LVA")
    # the count is of the visible ones only, and so is a search
    assert int(answer.headers["x-total-count"]) == len(ids)
    found = world.client.get("/api/v1/scenarios?name=lva+ONLY", headers=world.headers(user))
    assert int(found.headers["x-total-count"]) == len(found.json())
    assert {s["name"] for s in found.json()} == ({"LVA only"} if nation == "LVA" else set())
    assert (lva_only in {s["id"] for s in found.json()}) == (nation == "LVA")
    # runs of an invisible scenario are neither listed nor counted
    rid = world.client.post("/api/v1/runs", headers=world.headers("author"), json={"scenario_id": shared}).json()["id"]
    listed = world.client.get(f"/api/v1/runs?scenario_id={shared}", headers=world.headers(user))
    assert (rid in {r["id"] for r in listed.json()}) == (shared in ids)
    assert (int(listed.headers["x-total-count"]) > 0) == (shared in ids)


def test_changing_releasability_shows_the_scenario_to_the_new_nation(world: Server) -> None:
    sid = world.create("author", scenario_yaml("Shared", RELEASED))
    outsider = "viewer-not-released-enough"
    assert world.client.get(f"/api/v1/scenarios/{sid}", headers=world.headers(outsider)).status_code == 404
    answer = world.client.post(
        f"/api/v1/scenarios/{sid}/revisions",
        headers=world.headers("author"),
        json={"yaml": scenario_yaml("Wider", WIDER), "message": "release to LTU"},
    )
    assert answer.status_code == 201
    assert answer.json()["releasability"] == {"level": "RESTRICTED", "owner": "LVA", "releasable_to": ["EST", "LTU"]}
    assert answer.json()["marking"] == "RESTRICTED // REL TO LVA, EST, LTU"
    assert world.client.get(f"/api/v1/scenarios/{sid}", headers=world.headers(outsider)).status_code == 200


def test_a_creator_cannot_give_a_scenario_to_another_nation_or_above_their_clearance(world: Server) -> None:
    h = world.headers("analyst-released-exactly")
    for rel in ("{owner: LVA}", "{level: SECRET}"):
        answer = world.client.post("/api/v1/scenarios", headers=h, json={"yaml": scenario_yaml("x", rel)})
        assert answer.status_code == 403, rel


def test_no_token_or_a_bad_token_is_401(world: Server) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic Zm9vOmJhcg=="},
        {"Authorization": "Bearer " + "x" * 500},
        {"Authorization": "Bearer"},
    ):
        answer = world.client.get("/api/v1/scenarios", headers=headers)
        assert answer.status_code == 401, headers
        assert "detail" in answer.json()


AUDITORS = [u for u, (role, _, _) in USERS.items() if role == "auditor"]


@pytest.mark.parametrize("user", AUDITORS)
def test_auditors_read_only_the_records_about_what_they_may_see(world: Server, user: str) -> None:
    author = world.headers("author")
    shared = world.create("author", scenario_yaml("Audited", RELEASED))
    lva_only = world.create("author", scenario_yaml("Audited LVA only", "{level: UNCLASSIFIED}"))
    rid = world.client.post("/api/v1/runs", headers=author, json={"scenario_id": shared}).json()["id"]
    world.client.get(f"/api/v1/scenarios/{MISSING}", headers=author)  # a well-formed id naming nothing
    world.client.get("/api/v1/scenarios/nonsense", headers=author)  # cannot be an id: names nothing
    world.client.get(f"/api/v1/scenarios/{lva_only.upper()}", headers=author)  # an existing id, altered
    world.client.get(f"/api/v1/scenarios/{lva_only}-x", headers=author)
    world.client.get(f"/api/v1/runs/{rid}/compare/{MISSING}", headers=author)  # names a visible and a missing run
    lva_run = world.client.post("/api/v1/runs", headers=author, json={"scenario_id": lva_only}).json()["id"]
    probe = f"/api/v1/runs/{rid}/compare/{lva_run}"  # refused (401) before anything is read: its path recorded
    assert world.client.get(probe, headers={"Authorization": "Bearer " + "y" * 43}).status_code == 401
    _, nation, clearance = USERS[user]
    sees_shared = nation in ("LVA", "EST") and clearance != "UNCLASSIFIED"
    h = world.headers(user)

    def objects(**filters: object) -> list[str]:
        answer = world.client.get("/api/v1/audit", params={"limit": 1000, **filters}, headers=h)
        assert answer.status_code == 200
        return [r["object"] for r in answer.json()]

    created = objects(action="create-scenario")
    assert (f"scenario:{shared}@1" in created) == sees_shared
    assert (f"scenario:{lva_only}@1" in created) == (nation == "LVA")
    assert (f"run:{rid}" in objects(action="start-run")) == sees_shared
    not_found = objects(outcome="not-found", actor="author")
    assert f"scenario:{MISSING}" not in not_found  # a missing id is hidden exactly as an invisible one
    assert "scenario:nonsense" not in not_found  # any text where an id goes is read as one
    assert f"scenario:{lva_only.upper()}" not in not_found  # upper-cased: names nothing, leaks nothing
    assert f"scenario:{lva_only}-x" not in not_found
    assert f"run:{rid}..{MISSING}" not in objects(action="compare-runs")
    # the path of a refused comparison names both runs: shown only to who sees both (LVA's and EST's
    # cleared auditors see `rid`, only LVA's see `lva_run`)
    assert (f"GET {probe}" in objects(action="authenticate")) == (sees_shared and nation == "LVA")
    # a refused request is recorded by its route's template, ids filled in only where a listing checks
    # them: an invisible id after a space, or in a parameter no listing reads, is never in the trail
    bad = {"Authorization": "Bearer " + "y" * 43}
    for hostile in (
        f"/api/v1/runs/{rid}%20{lva_run}",
        f"/api/v1/runs/{rid}%C2%A0{lva_run}",
        f"/api/v1/runs/{rid}/compare/{rid}%20{lva_run}",
        f"/api/v1/scenarios/{shared}%20{lva_only}",
        f"/api/v1/scenarios/{shared}/revisions/{lva_only}",
    ):
        assert world.client.get(hostile, headers=bad).status_code == 401, hostile
    assert world.client.delete(f"/api/v1/tokens/{lva_only}", headers=bad).status_code == 401
    refused = objects(action="authenticate")
    if nation != "LVA":
        assert not [o for o in refused if lva_run in o or lva_only in o], refused
    if sees_shared:  # the template, the visible id filled in
        assert f"GET /api/v1/scenarios/{shared}/revisions/{{number}}" in refused
    # `limit` counts the records shown: the oldest visible creation comes first however many hidden
    # ones precede it (an LTU auditor sees none of the author's LVA scenarios before this one)
    ltu = world.create("analyst-not-released-enough", scenario_yaml("Lithuanian", "{level: UNCLASSIFIED}"))
    visible = world.client.get("/api/v1/audit", params={"action": "create-scenario", "limit": 1000}, headers=h).json()
    first = world.client.get("/api/v1/audit", params={"action": "create-scenario", "limit": 1}, headers=h).json()
    assert [r["seq"] for r in first] == [r["seq"] for r in visible[:1]]
    assert (f"scenario:{ltu}@1" in {r["object"] for r in visible}) == (nation == "LTU")
