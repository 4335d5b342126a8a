"""Scenario endpoints beyond create/read/revise: diff, validate, copy, archive, search with counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from tests.server.conftest import BACKENDS, Server, module_server, scenario_yaml

from bastion.scenario.load import load_text
from bastion.store.server_tables import AuditRecord, ServerScenario
from bastion.xlsxio import build_workbook

RELEASED = "{level: RESTRICTED, releasable_to: [EST]}"


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with module_server(request, tmp_path_factory, "scenario-ops") as server:
        server.user("ana", "analyst", "LVA", "SECRET")
        server.user("eve", "analyst", "EST", "SECRET")  # released to, not the owner
        server.user("vic", "viewer", "LVA", "SECRET")
        server.user("low", "analyst", "EST", "UNCLASSIFIED")  # right nation, clearance too low
        server.user("ltu", "analyst", "LTU", "SECRET")  # not released to
        yield server


def get(server: Server, user: str, path: str) -> tuple[int, object]:
    answer = server.client.get(path, headers=server.headers(user))
    return answer.status_code, answer.json()


def scenarios_in_db(server: Server) -> int:
    with server.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(ServerScenario)).scalar_one())


def last_audit(server: Server) -> tuple[str, str, str, str]:
    with server.db.transaction() as session:
        record = session.execute(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).scalar_one()
        return record.actor, record.action, record.object, record.outcome


def test_the_diff_of_two_revisions_names_each_changed_line(world: Server) -> None:
    sid = world.create("ana", scenario_yaml("Plant A", RELEASED))
    second = scenario_yaml("Plant B", RELEASED).replace("capacity_per_month: 100,", "capacity_per_month: 150,")
    answer = world.client.post(
        f"/api/v1/scenarios/{sid}/revisions", json={"yaml": second, "message": "more"}, headers=world.headers("ana")
    )
    assert answer.status_code == 201
    status, diff = get(world, "eve", f"/api/v1/scenarios/{sid}/diff?a=1")  # b: the newest
    assert status == 200 and isinstance(diff, dict)
    summary = (diff["revision_a"], diff["revision_b"], diff["changed"], diff["added"], diff["removed"])
    assert summary == (1, 2, True, 2, 2)
    assert [(c["where"], c["kind"], c["line_a"], c["line_b"]) for c in diff["changes"]] == [
        ("name", "changed", 3, 3),  # line 1 is `releasability`
        ("sites.p1.lines.l1", "changed", 17, 17),
    ]
    assert diff["changes"][0]["text"] == "name: Plant A → Plant B (line 3)"
    assert "-      l1: {makes: [widget], capacity_per_month: 100" in diff["diff"]
    assert "+      l1: {makes: [widget], capacity_per_month: 150" in diff["diff"]
    assert diff["marking"] == "RESTRICTED // REL TO LVA, EST"
    assert last_audit(world) == ("eve", "diff-scenario", f"scenario:{sid}@1..2", "ok")
    status, same = get(world, "ana", f"/api/v1/scenarios/{sid}/diff?a=2&b=2")
    assert status == 200 and isinstance(same, dict)
    assert (same["changed"], same["diff"], same["changes"]) == (False, "", [])
    # a revision that does not exist, and a scenario not released to the caller: 404 alike
    assert get(world, "ana", f"/api/v1/scenarios/{sid}/diff?a=1&b=3")[0] == 404
    assert get(world, "ltu", f"/api/v1/scenarios/{sid}/diff?a=1")[0] == 404
    assert get(world, "low", f"/api/v1/scenarios/{sid}/diff?a=1")[0] == 404
    assert get(world, "ana", f"/api/v1/scenarios/{sid}/diff")[0] == 422  # `a` is required


def test_validate_gives_the_loaders_problems_and_stores_nothing(world: Server) -> None:
    before = scenarios_in_db(world)
    bad = scenario_yaml().replace("capacity_per_month: 100,", "capacity_per_month: -5,")
    answer = world.client.post("/api/v1/scenarios/validate", json={"yaml": bad}, headers=world.headers("vic"))
    assert answer.status_code == 200
    assert answer.json()["valid"] is False
    assert [(p["line"], p["path"], p["message"]) for p in answer.json()["problems"]] == [
        (16, "sites.p1.lines.l1.capacity_per_month", "must be >= 0, found -5")
    ]
    assert last_audit(world) == ("vic", "validate-scenario", "-", "invalid")
    good = world.client.post(
        "/api/v1/scenarios/validate", json={"yaml": scenario_yaml("Fine", RELEASED)}, headers=world.headers("vic")
    ).json()
    assert good == {
        "valid": True,
        "name": "Fine",
        "releasability": {"level": "RESTRICTED", "owner": None, "releasable_to": ["EST"]},
        "problems": [],
    }
    # a workbook's problem names its cell
    workbook = build_workbook(load_text(scenario_yaml("Book")))
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(workbook))
    cells = [(ws.title, c.coordinate) for ws in book for row in ws.iter_rows() for c in row if c.value == 100]
    sheet, coordinate = cells[0]
    book[sheet][coordinate] = -5
    out = BytesIO()
    book.save(out)
    answer = world.client.post(
        "/api/v1/scenarios/validate", files={"file": ("plant.xlsx", out.getvalue())}, headers=world.headers("ana")
    )
    assert answer.status_code == 200 and answer.json()["valid"] is False
    problem = answer.json()["problems"][0]
    assert problem["file"] == "plant.xlsx" and problem["cell"] == f"{sheet}!{coordinate}", problem
    assert "must be >= 0" in problem["message"]
    assert scenarios_in_db(world) == before


def test_a_copy_is_a_new_scenario_with_the_sources_releasability(world: Server) -> None:
    sid = world.create("ana", scenario_yaml("Source", RELEASED))
    world.client.post(
        f"/api/v1/scenarios/{sid}/revisions",
        json={"yaml": scenario_yaml("Source v2", RELEASED), "message": "2"},
        headers=world.headers("ana"),
    )
    # an analyst of a nation it is released to copies revision 1
    answer = world.client.post(f"/api/v1/scenarios/{sid}/copy", json={"revision": 1}, headers=world.headers("eve"))
    assert answer.status_code == 201, answer.text
    copy = answer.json()
    assert copy["id"] != sid and copy["revision"] == 1 and copy["name"] == "Source"
    assert copy["releasability"] == {"level": "RESTRICTED", "owner": "LVA", "releasable_to": ["EST"]}
    assert copy["created_by"] == "eve"
    assert last_audit(world) == ("eve", "copy-scenario", f"scenario:{copy['id']}@1 from scenario:{sid}@1", "ok")
    revisions = get(world, "ana", f"/api/v1/scenarios/{copy['id']}/revisions")[1]
    assert isinstance(revisions, list) and revisions[0]["message"] == f"copy of {sid}@1"
    text = get(world, "ana", f"/api/v1/scenarios/{copy['id']}/revisions/1")[1]
    assert isinstance(text, dict) and text["yaml"] == scenario_yaml("Source", RELEASED)
    # the copy is no wider than its source
    assert get(world, "ltu", f"/api/v1/scenarios/{copy['id']}")[0] == 404
    # a viewer may not copy; an invisible source or revision is 404
    assert world.client.post(f"/api/v1/scenarios/{sid}/copy", json={}, headers=world.headers("vic")).status_code == 403
    assert world.client.post(f"/api/v1/scenarios/{sid}/copy", json={}, headers=world.headers("ltu")).status_code == 404
    missing = world.client.post(f"/api/v1/scenarios/{sid}/copy", json={"revision": 9}, headers=world.headers("ana"))
    assert missing.status_code == 404


def test_delete_archives_and_lists_hide_archived_scenarios(world: Server) -> None:
    sid = world.create("ana", scenario_yaml("To archive", RELEASED))
    # only analysts of the owner nation archive
    assert world.client.delete(f"/api/v1/scenarios/{sid}", headers=world.headers("eve")).status_code == 403
    assert world.client.delete(f"/api/v1/scenarios/{sid}", headers=world.headers("vic")).status_code == 403
    assert world.client.delete(f"/api/v1/scenarios/{sid}", headers=world.headers("ltu")).status_code == 404
    answer = world.client.delete(f"/api/v1/scenarios/{sid}", headers=world.headers("ana"))
    assert answer.status_code == 200 and answer.json()["archived"] is True
    assert last_audit(world) == ("ana", "archive-scenario", f"scenario:{sid}", "ok")

    def ids(user: str, query: str = "") -> set[str]:
        return {s["id"] for s in world.client.get(f"/api/v1/scenarios{query}", headers=world.headers(user)).json()}

    assert sid not in ids("eve")
    assert sid in ids("eve", "?archived=yes") and sid in ids("eve", "?archived=all")
    assert sid not in ids("ltu", "?archived=all")
    # still readable, never deleted; but no new revision or run until restored
    assert get(world, "eve", f"/api/v1/scenarios/{sid}")[0] == 200
    edit = world.client.post(
        f"/api/v1/scenarios/{sid}/revisions", json={"yaml": scenario_yaml("x", RELEASED)}, headers=world.headers("ana")
    )
    assert edit.status_code == 409
    run = world.client.post("/api/v1/runs", json={"scenario_id": sid}, headers=world.headers("ana"))
    assert run.status_code == 409
    restored = world.client.post(f"/api/v1/scenarios/{sid}/restore", headers=world.headers("ana"))
    assert restored.status_code == 200 and restored.json()["archived"] is False
    assert sid in ids("eve") and sid not in ids("eve", "?archived=yes")


def test_search_by_name_and_counts_only_visible_scenarios(world: Server) -> None:
    tag = "Zebra-7"
    shared = world.create("ana", scenario_yaml(f"{tag} shared", RELEASED))
    world.create("ana", scenario_yaml(f"{tag} LVA only"))
    world.create("ltu", scenario_yaml(f"the {tag.lower()} of Lithuania"))
    answers = {}
    for user in ("ana", "eve", "low", "ltu"):
        answer = world.client.get(f"/api/v1/scenarios?name={tag}", headers=world.headers(user))
        assert answer.status_code == 200
        answers[user] = (int(answer.headers["x-total-count"]), sorted(s["name"] for s in answer.json()))
    assert answers == {
        "ana": (2, [f"{tag} LVA only", f"{tag} shared"]),
        "eve": (1, [f"{tag} shared"]),
        "low": (0, []),
        "ltu": (1, [f"the {tag.lower()} of Lithuania"]),
    }
    # paging: the count stays the number of visible matches
    page = world.client.get(f"/api/v1/scenarios?name={tag}&limit=1&offset=1", headers=world.headers("ana"))
    assert page.headers["x-total-count"] == "2" and len(page.json()) == 1
    # LIKE wildcards in the search are plain characters
    assert world.client.get("/api/v1/scenarios?name=%25", headers=world.headers("ana")).headers["x-total-count"] == "0"
    assert world.client.get("/api/v1/scenarios?archived=maybe", headers=world.headers("ana")).status_code == 422
    assert shared
