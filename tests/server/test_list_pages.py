"""Scenario lists in pages (limit, offset), each scenario with its own releasability; where jobs run."""

from __future__ import annotations

import pytest
from tests.server.conftest import Server, scenario_yaml

from bastion.server.queue import SCHEDULER_ENV, scheduler_address


def test_pages_cover_the_visible_scenarios_in_creation_order(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    server.user("est", "analyst", "EST", "SECRET")
    made = []
    for i in range(7):
        rel = "{level: RESTRICTED, releasable_to: [EST, LTU]}" if i % 2 else None
        made.append(server.create("ana", scenario_yaml(f"S{i}", rel)))
    hidden = server.create("est", scenario_yaml("EST only", "{level: RESTRICTED}"))
    everything = server.client.get("/api/v1/scenarios", headers=server.headers("ana")).json()
    assert [s["id"] for s in everything] == made  # the EST-only scenario is not listed
    pages = [
        server.client.get(f"/api/v1/scenarios?limit=3&offset={o}", headers=server.headers("ana")).json()
        for o in (0, 3, 6, 9)
    ]
    assert [[s["id"] for s in p] for p in pages] == [made[0:3], made[3:6], made[6:7], []]
    for offset in (0, 6, 7, 9):  # the count comes with a page's rows, or alone past the end
        page = server.client.get(f"/api/v1/scenarios?limit=3&offset={offset}", headers=server.headers("ana"))
        assert page.headers["x-total-count"] == "7"  # not the EST-only one
    named = server.client.get("/api/v1/scenarios?name=s_&limit=1&offset=5", headers=server.headers("ana"))
    assert named.json() == [] and named.headers["x-total-count"] == "0"  # `_` is a plain character
    named = server.client.get("/api/v1/scenarios?name=s6&offset=1", headers=server.headers("ana"))
    assert named.json() == [] and named.headers["x-total-count"] == "1"
    by_id = {s["id"]: s for s in everything}
    assert by_id[made[1]]["releasability"] == {"level": "RESTRICTED", "owner": "LVA", "releasable_to": ["EST", "LTU"]}
    assert by_id[made[1]]["marking"] == "RESTRICTED // REL TO LVA, EST, LTU"
    assert by_id[made[0]]["releasability"] == {"level": "UNCLASSIFIED", "owner": "LVA", "releasable_to": []}
    est = server.client.get("/api/v1/scenarios?limit=100", headers=server.headers("est")).json()
    assert [s["id"] for s in est] == [made[1], made[3], made[5], hidden]
    for bad in ("limit=0", "limit=10001", "offset=-1", "limit=x"):
        assert server.client.get(f"/api/v1/scenarios?{bad}", headers=server.headers("ana")).status_code == 422


def test_the_scheduler_option_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    assert scheduler_address(None) is None  # a local cluster
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://env:8786")
    assert scheduler_address(None) == "tcp://env:8786"
    assert scheduler_address("tcp://option:8786") == "tcp://option:8786"
    monkeypatch.setenv(SCHEDULER_ENV, "")
    assert scheduler_address(None) is None
