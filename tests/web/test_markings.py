"""The web pages that show several scenarios at once are marked for who may see all of them
(services.combined_marking): the scenarios list and the comparison of two runs."""

from __future__ import annotations

import re
from pathlib import Path

from tests.server.conftest import Server, scenario_yaml
from tests.web.test_pages import Browser

from bastion.server import jobs


def top(page: str) -> str:
    found = re.search(r'id="marking-top">([^<]*)<', page)
    assert found is not None
    return found.group(1)


def test_a_page_of_several_scenarios_is_marked_for_who_may_see_them_all(tmp_path: Path) -> None:
    server = Server(f"sqlite:///{tmp_path / 'marks.sqlite'}")
    try:
        server.user("ana", "analyst", "LVA", "SECRET")
        server.user("eve", "viewer", "EST", "SECRET")
        shared = server.create("ana", scenario_yaml("Shared", "{level: RESTRICTED, releasable_to: [EST]}"))
        own = server.create("ana", scenario_yaml("Own", "{level: UNCLASSIFIED}"))
        h = server.headers("ana")
        runs = [server.client.post("/api/v1/runs", headers=h, json={"scenario_id": sid, "paths": 10}).json()["id"]
                for sid in (shared, own)]
        assert jobs.work_once(server.db) and jobs.work_once(server.db)
        ana, eve = Browser(server.app, "ana"), Browser(server.app, "eve")
        # ana's list holds an LVA-only scenario: the page is LVA ONLY, at the higher level of the two
        assert top(ana.client.get("/scenarios").text) == "RESTRICTED // LVA ONLY"
        assert top(eve.client.get("/scenarios").text) == "RESTRICTED // REL TO LVA, EST"  # sees the shared one only
        compared = ana.client.get("/runs/compare", params=[("run", runs[0]), ("run", runs[1])])
        assert compared.status_code == 200 and top(compared.text) == "RESTRICTED // LVA ONLY"
    finally:
        server.db.close()
