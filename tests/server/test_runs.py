"""Runs as jobs: queued by the API, executed outside the request, status, progress, report; restarts."""

from __future__ import annotations

import time
from collections.abc import Callable
from io import BytesIO

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from tests.server.conftest import Server, scenario_yaml

from bastion.server import jobs
from bastion.store import RunStore

RELEASED = "{level: RESTRICTED, releasable_to: [EST]}"


def setup(server: Server) -> str:
    server.user("ana", "analyst", "LVA", "SECRET")
    server.user("est", "viewer", "EST", "SECRET")
    server.user("ltu", "analyst", "LTU", "SECRET")
    return server.create("ana", scenario_yaml("Jobs", RELEASED))


def start(server: Server, user: str, **body: object) -> tuple[int, dict[str, object]]:
    answer = server.client.post("/api/v1/runs", json=body, headers=server.headers(user))
    return answer.status_code, answer.json()


def test_a_run_is_queued_then_executed_by_a_worker_with_its_report(server: Server) -> None:
    sid = setup(server)
    status, run = start(server, "ana", scenario_id=sid, paths=50, seed=3)
    assert status == 202 and run["status"] == "queued" and run["revision"] == 1
    rid = str(run["id"])
    # Nothing runs inside the request: the job waits for a worker.
    assert server.client.get(f"/api/v1/runs/{rid}", headers=server.headers("est")).json()["status"] == "queued"
    assert server.client.get(f"/api/v1/runs/{rid}/report.html", headers=server.headers("ana")).status_code == 409
    assert jobs.work_once(server.db) is True
    assert jobs.work_once(server.db) is False
    done = server.client.get(f"/api/v1/runs/{rid}", headers=server.headers("est")).json()
    assert done["status"] == "done", done
    assert done["progress"]["stage"] == "done" and done["error"] is None
    with RunStore.open(server.url) as store:
        stored = store.get(done["result"]["run_id"])
    assert stored.seed == 3 and stored.paths == 50 and stored.scenario_name == "Jobs"
    html = server.client.get(f"/api/v1/runs/{rid}/report.html", headers=server.headers("est"))
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert done["result"]["run_id"] in html.text
    # the report carries the server's marking (owner filled in: the creator's nation)
    assert "RESTRICTED // REL TO LVA, EST" in html.text
    assert "releasability" in stored.scenario_text and "owner: LVA" in stored.scenario_text
    xlsx = server.client.get(f"/api/v1/runs/{rid}/report.xlsx", headers=server.headers("ana"))
    assert xlsx.status_code == 200 and load_workbook(BytesIO(xlsx.content)).sheetnames


def test_runs_follow_their_scenarios_releasability(server: Server) -> None:
    sid = setup(server)
    _, run = start(server, "ana", scenario_id=sid, paths=10)
    rid = str(run["id"])
    for path in (
        f"/api/v1/runs/{rid}",
        f"/api/v1/runs/{rid}/report.html",
        f"/api/v1/runs/{rid}/report.xlsx",
        "/api/v1/runs/0123456789abcdef",
    ):
        assert server.client.get(path, headers=server.headers("ltu")).status_code == 404, path
    assert start(server, "ltu", scenario_id=sid)[0] == 404  # invisible scenario
    assert start(server, "est", scenario_id=sid)[0] == 403  # visible, but viewers do not start runs
    assert start(server, "ana", scenario_id=sid, revision=2)[0] == 404  # no such revision
    assert start(server, "ana", scenario_id=sid, paths=0)[0] == 422


def test_a_run_at_a_confidence_plans_at_it_and_reports_its_price(server: Server) -> None:
    sid = setup(server)
    status, run = start(server, "ana", scenario_id=sid, paths=10, seed=1, confidence=0.9, futures=12)
    assert status == 202 and run["confidence"] == 0.9 and run["futures"] == 12
    plain = start(server, "ana", scenario_id=sid, paths=10)[1]
    assert plain["confidence"] is None and plain["futures"] == 200  # the deterministic plan
    assert jobs.work_once(server.db) and jobs.work_once(server.db)
    done = server.client.get(f"/api/v1/runs/{run['id']}", headers=server.headers("est")).json()
    assert done["status"] == "done", done
    assert done["confidence"] == 0.9 and done["futures"] == 12
    # SMALL's line makes 100 a month from 2026-03 against 500 by 2027-06: no future falls short,
    # so the confidence plan is the deterministic one and costs nothing more (as `bastion run`).
    assert done["result"]["price_of_confidence"] == "+0 EUR: the same plan as the deterministic one"
    [target] = done["result"]["confidence_targets"]
    assert (target["customer"], target["item"], target["by"]) == ("army", "widget", "2027-06")
    assert target["requested"] == 0.9 and target["reached"] is True
    with RunStore.open(server.url) as store:
        stored = store.get(done["result"]["run_id"])
    assert stored.results["confidence"]["targets"][0]["requested"] == 0.9
    html = server.client.get(f"/api/v1/runs/{run['id']}/report.html", headers=server.headers("ana")).text
    assert "chart-price-of-confidence" in html and "Price of confidence: +0 EUR" in html
    other = server.client.get(f"/api/v1/runs/{plain['id']}", headers=server.headers("ana")).json()
    assert other["status"] == "done" and "price_of_confidence" not in other["result"]


def test_a_bad_confidence_or_futures_is_refused_and_nothing_is_queued(server: Server) -> None:
    sid = setup(server)
    for body in ({"confidence": 1.5}, {"confidence": 0}, {"confidence": -1}, {"confidence": "x"},
                 {"confidence": 1}, {"futures": 0}, {"futures": 2001}, {"futures": "many"}):
        status, answer = start(server, "ana", scenario_id=sid, **body)
        assert status == 422, (body, answer)
        field = next(iter(body))
        assert any(field in [str(p) for p in e["loc"]] for e in answer["detail"]), answer
    listed = server.client.get("/api/v1/runs", headers=server.headers("ana"))
    assert listed.json() == [] and listed.headers["X-Total-Count"] == "0"
    schema = server.client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    asked = schema["RunIn"]["properties"]
    assert asked["futures"]["minimum"] == 1 and asked["futures"]["maximum"] == 2000
    assert {"exclusiveMinimum": 0.0, "exclusiveMaximum": 1.0}.items() <= asked["confidence"]["anyOf"][0].items()
    assert {"confidence", "futures"} <= set(schema["RunOut"]["required"])


def test_a_restart_interrupts_running_jobs_and_keeps_queued_ones(make_server: Callable[..., Server]) -> None:
    server = make_server()
    sid = setup(server)
    first = str(start(server, "ana", scenario_id=sid, paths=10)[1]["id"])
    second = str(start(server, "ana", scenario_id=sid, paths=10)[1]["id"])
    assert jobs.claim(server.db) == first  # a worker took it, then the server stopped
    with TestClient(server.app):  # a new start: the lifespan recovers (no workers in these settings)
        pass
    states = {
        rid: server.client.get(f"/api/v1/runs/{rid}", headers=server.headers("ana")).json() for rid in (first, second)
    }
    assert states[first]["status"] == "interrupted" and "stopped" in states[first]["error"]
    assert states[second]["status"] == "queued"
    assert jobs.work_once(server.db) is True
    assert server.client.get(f"/api/v1/runs/{second}", headers=server.headers("ana")).json()["status"] == "done"


def test_a_failing_job_is_failed_with_its_reason(server: Server) -> None:
    from sqlalchemy import update

    from bastion.store.server_tables import ScenarioRevision

    sid = setup(server)
    rid = str(start(server, "ana", scenario_id=sid, paths=10)[1]["id"])
    with server.db.transaction() as session:  # a stored text the loader refuses (the API never stores one)
        session.execute(update(ScenarioRevision).values(text="bastion: 2\n"))
    jobs.work_once(server.db)
    state = server.client.get(f"/api/v1/runs/{rid}", headers=server.headers("ana")).json()
    assert state["status"] == "failed" and "bastion" in state["error"] and state["result"] is None


def test_worker_processes_run_jobs_started_through_the_api(make_server: Callable[..., Server]) -> None:
    server = make_server(workers=1)
    sid = setup(server)
    with TestClient(server.app) as client:
        rid = client.post("/api/v1/runs", json={"scenario_id": sid, "paths": 10}, headers=server.headers("ana")).json()[
            "id"
        ]
        status = "queued"
        for _ in range(3000):  # up to about 5 minutes on a loaded machine: a bound, not a timing check
            status = client.get(f"/api/v1/runs/{rid}", headers=server.headers("ana")).json()["status"]
            if status in jobs.FINISHED:
                break
            time.sleep(0.1)
    assert status == "done"
