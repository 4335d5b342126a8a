"""Scenarios through the API: create from YAML or XLSX, immutable revisions, the loader's problems as 422."""

from __future__ import annotations

from tests.server.conftest import Server, scenario_yaml

from bastion.scenario.load import load_text
from bastion.xlsxio import build_workbook


def test_health_and_openapi_need_no_token(server: Server) -> None:
    assert server.client.get("/healthz").json()["status"] == "ok"
    paths = server.client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/auth/token",
        "/api/v1/scenarios",
        "/api/v1/scenarios/{scenario_id}/revisions",
        "/api/v1/audit",
    } <= set(paths)


def test_create_then_revise_keeps_every_revision_unchanged(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    sid = server.create("ana", scenario_yaml("Plant A"), "first cut")
    first = server.client.get(f"/api/v1/scenarios/{sid}", headers=server.headers("ana")).json()
    assert first["revision"] == 1 and first["name"] == "Plant A"
    assert first["releasability"] == {"level": "UNCLASSIFIED", "owner": "LVA", "releasable_to": []}
    assert first["marking"] == "UNCLASSIFIED // LVA ONLY"
    answer = server.client.post(
        f"/api/v1/scenarios/{sid}/revisions",
        json={"yaml": scenario_yaml("Plant B"), "message": "renamed"},
        headers=server.headers("ana"),
    )
    assert answer.status_code == 201 and answer.json()["revision"] == 2 and answer.json()["name"] == "Plant B"
    revisions = server.client.get(f"/api/v1/scenarios/{sid}/revisions", headers=server.headers("ana")).json()
    assert [(r["revision"], r["parent"], r["author"], r["message"]) for r in revisions] == [
        (1, None, "ana", "first cut"),
        (2, 1, "ana", "renamed"),
    ]
    one = server.client.get(f"/api/v1/scenarios/{sid}/revisions/1", headers=server.headers("ana")).json()
    assert one["yaml"] == scenario_yaml("Plant A")
    assert server.client.get(f"/api/v1/scenarios/{sid}/revisions/3", headers=server.headers("ana")).status_code == 404


def test_invalid_yaml_gives_the_loaders_problems_with_lines(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    bad = scenario_yaml().replace("capacity_per_month: 100,", "capacity_per_month: -5,")
    answer = server.client.post("/api/v1/scenarios", json={"yaml": bad, "message": ""}, headers=server.headers("ana"))
    assert answer.status_code == 422
    problems = answer.json()["detail"]
    assert [(p["line"], p["path"], p["message"]) for p in problems] == [
        (16, "sites.p1.lines.l1.capacity_per_month", "must be >= 0, found -5")
    ]
    assert server.client.get("/api/v1/scenarios", headers=server.headers("ana")).json() == []


def test_a_bad_releasability_is_a_problem_with_its_line(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    answer = server.client.post(
        "/api/v1/scenarios", json={"yaml": scenario_yaml(releasability="{level: TOP}")}, headers=server.headers("ana")
    )
    assert answer.status_code == 422
    assert [(p["line"], p["path"]) for p in answer.json()["detail"]] == [(1, "releasability.level")]


def test_upload_yaml_and_xlsx_files(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    answer = server.client.post(
        "/api/v1/scenarios",
        files={"file": ("plant.yaml", scenario_yaml("From file"))},
        data={"message": "uploaded"},
        headers=server.headers("ana"),
    )
    assert answer.status_code == 201 and answer.json()["name"] == "From file"
    workbook = build_workbook(load_text(scenario_yaml("From workbook")))
    answer = server.client.post(
        "/api/v1/scenarios", files={"file": ("plant.xlsx", workbook)}, headers=server.headers("ana")
    )
    assert answer.status_code == 201, answer.text
    stored = server.client.get(f"/api/v1/scenarios/{answer.json()['id']}", headers=server.headers("ana")).json()
    assert load_text(stored["yaml"]).name == "From workbook"


def test_a_broken_workbook_names_the_problem(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    answer = server.client.post(
        "/api/v1/scenarios", files={"file": ("plant.xlsx", b"PK\x03\x04 not a zip")}, headers=server.headers("ana")
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["file"] == "plant.xlsx"


def test_releasability_is_checked_by_the_loader_with_its_line(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    text = scenario_yaml(releasability="{level: RESTRICTED, owner: LVA, releasable_to: [EST, LVA, EST]}")
    answer = server.client.post("/api/v1/scenarios", json={"yaml": text}, headers=server.headers("ana"))
    assert answer.status_code == 422
    assert [(p["line"], p["path"], p["message"]) for p in answer.json()["detail"]] == [
        (1, "releasability.releasable_to[1]", "LVA is the owner: list only the other nations"),
        (1, "releasability.releasable_to[2]", "EST is listed twice (first at [0])"),
    ]
    assert server.client.get("/api/v1/scenarios", headers=server.headers("ana")).json() == []


def test_owner_left_out_is_the_creators_nation_and_is_not_listed_again(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    sid = server.create("ana", scenario_yaml(releasability="{level: RESTRICTED, releasable_to: [LTU, LVA, EST]}"))
    got = server.client.get(f"/api/v1/scenarios/{sid}", headers=server.headers("ana")).json()
    assert got["releasability"] == {"level": "RESTRICTED", "owner": "LVA", "releasable_to": ["EST", "LTU"]}
    assert got["marking"] == "RESTRICTED // REL TO LVA, EST, LTU"


def test_a_workbook_upload_carries_its_releasability(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    text = scenario_yaml("Released book", releasability="{level: CONFIDENTIAL, owner: LVA, releasable_to: [EST]}")
    workbook = build_workbook(load_text(text))
    answer = server.client.post(
        "/api/v1/scenarios", files={"file": ("plant.xlsx", workbook)}, headers=server.headers("ana")
    )
    assert answer.status_code == 201, answer.text
    got = server.client.get(f"/api/v1/scenarios/{answer.json()['id']}", headers=server.headers("ana")).json()
    assert got["releasability"] == {"level": "CONFIDENTIAL", "owner": "LVA", "releasable_to": ["EST"]}
    assert load_text(got["yaml"]).releasability == load_text(text).releasability
