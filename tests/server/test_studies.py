"""Studies through the job queue: queued by the API, run on the queue's Dask cluster, result and page;
released like runs (404 when invisible), audited."""

from __future__ import annotations

import time
from collections.abc import Callable
from io import BytesIO
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from tests.server.conftest import Server, scenario_yaml

from bastion.server import jobs
from bastion.store.server_tables import AuditRecord

RELEASED = "{level: RESTRICTED, releasable_to: [EST]}"
VARY = "suppliers.s1.supplies.part.capacity_per_month=800,1000"


def setup(server: Server) -> str:
    server.user("ana", "analyst", "LVA", "SECRET")
    server.user("est", "viewer", "EST", "SECRET")
    server.user("ltu", "analyst", "LTU", "SECRET")
    server.user("low", "analyst", "LVA", "UNCLASSIFIED")
    return server.create("ana", scenario_yaml("Studied", RELEASED))


def post(client: TestClient, server: Server, user: str, **body: Any) -> tuple[int, Any]:
    answer = client.post("/api/v1/studies", json=body, headers=server.headers(user))
    return answer.status_code, answer.json()


def wait(client: TestClient, server: Server, path: str) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for _ in range(3000):  # up to about 5 minutes on a loaded machine: a bound, not a timing check
        state = client.get(path, headers=server.headers("ana")).json()
        if state["status"] in jobs.FINISHED:
            break
        time.sleep(0.1)
    return state


def test_a_study_and_a_run_share_the_queue_and_the_cluster(make_server: Callable[..., Server]) -> None:
    server = make_server(workers=1)
    sid = setup(server)
    with TestClient(server.app) as client:
        status, study = post(client, server, "ana", scenario_id=sid, vary=[VARY], paths=20, seed=4)
        assert status == 202, study
        assert study["status"] == "queued" and study["spec"]["vary"] == [VARY] and study["revision"] == 1
        assert study["marking"] == "RESTRICTED // REL TO LVA, EST"
        run = client.post("/api/v1/runs", json={"scenario_id": sid, "paths": 10}, headers=server.headers("ana"))
        assert run.status_code == 202
        done = wait(client, server, f"/api/v1/studies/{study['id']}")
        assert wait(client, server, f"/api/v1/runs/{run.json()['id']}")["status"] == "done"
        assert done["status"] == "done", done
        assert done["progress"]["stage"] == "done" and done["progress"]["at"] is not None
        summary = done["result"]
        assert summary["variants"] == 2 and summary["answered"] == 2 and summary["mode"] == "grid"
        result = client.get(f"/api/v1/studies/{study['id']}/result", headers=server.headers("est"))
        assert result.status_code == 200
        data = result.json()
        assert data["study_id"] == summary["study_id"] and data["paths"] == 20 and data["seed"] == 4
        assert [v["changes"] for v in data["variants"]] == [
            {"suppliers.s1.supplies.part.capacity_per_month": 800},
            {"suppliers.s1.supplies.part.capacity_per_month": 1000},
        ]
        assert all(v["status"] in ("ok", "short") for v in data["variants"])
        assert data["marking"] == "RESTRICTED // REL TO LVA, EST"
        html = client.get(f"/api/v1/studies/{study['id']}/report.html", headers=server.headers("est"))
        assert html.status_code == 200 and "RESTRICTED // REL TO LVA, EST" in html.text
        xlsx = client.get(f"/api/v1/studies/{study['id']}/report.xlsx", headers=server.headers("ana"))
        assert xlsx.status_code == 200 and "variants" in load_workbook(BytesIO(xlsx.content)).sheetnames
        # a study is not a run, and a run is not a study
        assert client.get(f"/api/v1/runs/{study['id']}", headers=server.headers("ana")).status_code == 404
        assert client.get(f"/api/v1/studies/{run.json()['id']}", headers=server.headers("ana")).status_code == 404
    with server.db.session() as session:
        actions = {
            (r.actor, r.action, r.outcome)
            for r in session.execute(select(AuditRecord).where(AuditRecord.object.like("study:%"))).scalars()
        }
    assert {
        ("ana", "start-study", "ok"),
        ("ana", "read-study", "ok"),
        ("est", "read-study-result", "ok"),
        ("est", "download-study-html", "ok"),
        ("ana", "download-study-xlsx", "ok"),
    } <= actions


def test_a_run_a_study_and_a_run_in_turn_on_one_worker_all_finish_with_the_same_numbers(
    make_server: Callable[..., Server],
) -> None:
    """One Dask worker of one thread runs a run (HiGHS at its default threads), then a study's
    variants (one thread each), then the run again: the study used to end with every variant
    "the solver stopped: Not Set", and every later run failed the same way, until a restart
    (HiGHS refused a thread count other than the one the thread's scheduler started with)."""
    server = make_server(workers=1)
    sid = setup(server)
    with TestClient(server.app) as client:

        def run() -> dict[str, Any]:
            answer = client.post(
                "/api/v1/runs", json={"scenario_id": sid, "paths": 10, "seed": 3}, headers=server.headers("ana")
            )
            assert answer.status_code == 202, answer.text
            return wait(client, server, f"/api/v1/runs/{answer.json()['id']}")

        first = run()
        assert first["status"] == "done", first
        status, study = post(client, server, "ana", scenario_id=sid, vary=[VARY], paths=10, seed=4)
        assert status == 202, study
        done = wait(client, server, f"/api/v1/studies/{study['id']}")
        assert done["status"] == "done", done
        data = client.get(f"/api/v1/studies/{study['id']}/result", headers=server.headers("ana")).json()
        assert [v["status"] in ("ok", "short") for v in data["variants"]] == [True, True], data["variants"]
        again = run()
        assert again["status"] == "done", again
        assert again["result"]["run_id"] != first["result"]["run_id"]
        assert {**again["result"], "run_id": None} == {**first["result"], "run_id": None}


def test_studies_follow_their_scenarios_releasability_and_bad_requests_queue_nothing(server: Server) -> None:
    sid = setup(server)
    client = server.client
    status, study = post(client, server, "ana", scenario_id=sid, vary=[VARY], paths=10)
    assert status == 202
    for path in ("", "/result", "/report.html", "/report.xlsx"):
        assert client.get(f"/api/v1/studies/{study['id']}{path}", headers=server.headers("ltu")).status_code == 404
        assert client.get(f"/api/v1/studies/0123456789abcdef{path}", headers=server.headers("ana")).status_code == 404
    for path in ("/result", "/report.html"):  # visible, but not done yet
        assert client.get(f"/api/v1/studies/{study['id']}{path}", headers=server.headers("est")).status_code == 409
    assert post(client, server, "ltu", scenario_id=sid, vary=[VARY])[0] == 404  # other nation
    assert post(client, server, "low", scenario_id=sid, vary=[VARY])[0] == 404  # clearance too low
    assert post(client, server, "est", scenario_id=sid, vary=[VARY])[0] == 403  # viewers start nothing
    assert post(client, server, "ana", scenario_id=sid, revision=2, vary=[VARY])[0] == 404
    assert post(client, server, "ana", scenario_id=sid)[0] == 422  # nothing to vary
    status, bad = post(client, server, "ana", scenario_id=sid, vary=["suppliers.nobody.capacity=1,2"])
    assert status == 422 and "suppliers.nobody.capacity" in bad["detail"][0]["message"]
    status, bad = post(client, server, "ana", scenario_id=sid, vary=[VARY.replace("800", "-5")])
    assert status == 422 and "must be >= 0" in bad["detail"][0]["message"]
    many = [f"customers.army.targets[0].units={','.join(str(100 + i) for i in range(11))}"] * 1
    many += [f"suppliers.s1.supplies.part.capacity_per_month={','.join(str(900 + i) for i in range(11))}"]
    many += [f"sites.p1.lines.l1.capacity_per_month={','.join(str(50 + i) for i in range(11))}"]
    status, bad = post(client, server, "ana", scenario_id=sid, vary=many)
    assert status == 422 and "1,331 variants" in bad["detail"][0]["message"]
    # only the first request queued a job
    assert jobs.claim(server.db) == study["id"] and jobs.claim(server.db) is None


def test_an_interrupted_study_is_resubmitted_as_a_new_study_with_its_request(server: Server) -> None:
    sid = setup(server)
    client = server.client
    status, study = post(client, server, "ana", scenario_id=sid, vary=[VARY], paths=12, seed=4, futures=50)
    assert status == 202
    assert jobs.claim_job(server.db) is not None and jobs.recover(server.db) == 1  # a restart while it ran
    again = client.post(f"/api/v1/studies/{study['id']}/resubmit", headers=server.headers("ana"))
    assert again.status_code == 202
    new = again.json()
    assert new["id"] != study["id"] and new["status"] == "queued"
    assert (new["paths"], new["seed"], new["spec"], new["revision"]) == (12, 4, study["spec"], 1)
    assert client.get(f"/api/v1/studies/{study['id']}", headers=server.headers("ana")).json()["status"] == (
        "interrupted"
    )
    refused = {
        user: client.post(f"/api/v1/studies/{study['id']}/resubmit", headers=server.headers(user)).status_code
        for user in ("est", "ltu", "low")
    }
    assert refused == {"est": 403, "ltu": 404, "low": 404}
    assert client.post(f"/api/v1/studies/{new['id']}/resubmit", headers=server.headers("ana")).status_code == 409
    assert client.post(f"/api/v1/runs/{study['id']}/resubmit", headers=server.headers("ana")).status_code == 404
