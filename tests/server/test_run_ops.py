"""Run endpoints beyond start/read/report: list, cancel, compare, and progress as server-sent events."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update
from tests.server.conftest import BACKENDS, Server, module_server, scenario_yaml
from tests.store.conftest import build_record

from bastion.server import events, jobs
from bastion.server.repository import Caller
from bastion.store import RunStore
from bastion.store.server_tables import ServerRun

RELEASED = "{level: RESTRICTED, releasable_to: [EST]}"


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with module_server(request, tmp_path_factory, "run-ops") as server:
        server.user("ana", "analyst", "LVA", "SECRET")
        server.user("est", "viewer", "EST", "SECRET")
        server.user("ltu", "analyst", "LTU", "SECRET")
        yield server


def start(server: Server, sid: str, **body: object) -> str:
    answer = server.client.post("/api/v1/runs", json={"scenario_id": sid, **body}, headers=server.headers("ana"))
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def set_job(server: Server, rid: str, **values: object) -> None:
    with server.db.transaction() as session:
        session.execute(update(ServerRun).where(ServerRun.id == rid).values(**values))


def status_of(server: Server, rid: str) -> str:
    with server.db.transaction() as session:
        return str(session.execute(select(ServerRun.status).where(ServerRun.id == rid)).scalar_one())


def test_lists_show_the_runs_of_visible_scenarios_only(world: Server) -> None:
    sid = world.create("ana", scenario_yaml("Listed", RELEASED))
    mine = world.create("ltu", scenario_yaml("Lithuanian"))
    first, second = start(world, sid, seed=1), start(world, sid, seed=2)
    set_job(world, first, status="failed", error="x")
    h = world.headers

    answer = world.client.get(f"/api/v1/runs?scenario_id={sid}", headers=h("est"))
    assert answer.status_code == 200 and answer.headers["x-total-count"] == "2"
    assert [r["id"] for r in answer.json()] == [second, first]  # newest first
    failed = world.client.get(f"/api/v1/runs?scenario_id={sid}&status=failed", headers=h("est"))
    assert [r["id"] for r in failed.json()] == [first] and failed.headers["x-total-count"] == "1"
    by_scenario = world.client.get(f"/api/v1/scenarios/{sid}/runs?limit=1", headers=h("est"))
    assert by_scenario.headers["x-total-count"] == "2" and [r["id"] for r in by_scenario.json()] == [second]
    # another nation: none of them, not even in the count; the scenario's list is 404 as for a missing one
    other = world.client.get(f"/api/v1/runs?scenario_id={sid}", headers=h("ltu"))
    assert other.status_code == 200 and other.json() == [] and other.headers["x-total-count"] == "0"
    everything = world.client.get("/api/v1/runs", headers=h("ltu"))
    assert {r["scenario_id"] for r in everything.json()} <= {mine}
    assert world.client.get(f"/api/v1/scenarios/{sid}/runs", headers=h("ltu")).status_code == 404
    assert world.client.get("/api/v1/scenarios/0123456789abcdef/runs", headers=h("ltu")).status_code == 404


def test_cancel_a_queued_run_so_that_no_worker_takes_it(world: Server) -> None:
    sid = world.create("ana", scenario_yaml("Cancel queued", RELEASED))
    rid = start(world, sid, paths=10)
    assert world.client.post(f"/api/v1/runs/{rid}/cancel", headers=world.headers("est")).status_code == 403
    assert world.client.post(f"/api/v1/runs/{rid}/cancel", headers=world.headers("ltu")).status_code == 404
    answer = world.client.post(f"/api/v1/runs/{rid}/cancel", headers=world.headers("ana"))
    assert answer.status_code == 200
    assert answer.json()["status"] == "cancelled" and answer.json()["error"] == "cancelled by ana"
    assert answer.json()["finished_at"] is not None
    while jobs.claim(world.db) is not None:  # other modules' queued jobs may be taken; this one never
        pass
    assert status_of(world, rid) == "cancelled"
    again = world.client.post(f"/api/v1/runs/{rid}/cancel", headers=world.headers("ana"))
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]


def test_cancel_a_running_run_stops_its_worker_and_stores_nothing(world: Server) -> None:
    sid = world.create("ana", scenario_yaml("Cancel running", RELEASED))
    rid = start(world, sid, paths=10)
    set_job(world, rid, status="running", attempt=1)  # a worker claimed it (its first attempt)
    assert world.client.post(f"/api/v1/runs/{rid}/cancel", headers=world.headers("ana")).status_code == 200
    with RunStore.open(world.url) as store:
        before = len(store.list(limit=None))
    # the worker that claimed it: its first step finds the job cancelled
    jobs.execute_job(world.db, jobs.Claimed(id=rid, kind="run", attempt=1))
    with world.db.transaction() as session:
        job = session.get(ServerRun, rid)
        assert job is not None
        assert (job.status, job.stage, job.run_id, job.report_html) == ("cancelled", "", None, None)
    with RunStore.open(world.url) as store:
        assert len(store.list(limit=None)) == before


def _done_run(world: Server, sid: str, record_id: str, **changes: Any) -> str:
    """A finished job whose stored run is `build_record(record_id, **changes)` (no engine is run)."""
    rid = start(world, sid, paths=2000, seed=int(changes.get("seed", 7)))
    with RunStore.open(world.url) as store:
        store.save(build_record(record_id, **changes))
    set_job(world, rid, status="done", run_id=record_id, result={"run_id": record_id})
    return rid


def test_compare_two_done_runs_side_by_side(world: Server) -> None:
    sid = world.create("ana", scenario_yaml("Compared", RELEASED))
    base = build_record("x")
    changed_text = base.scenario_text.replace("\n", "\n# more capacity\n", 1)
    headline = {**base.headline, "cost": {"total": 1.31e9, "capex": 4.1e8}}
    a = _done_run(world, sid, f"cmp-a-{sid}")
    b = _done_run(world, sid, f"cmp-b-{sid}", seed=8, scenario_text=changed_text, headline=headline)
    answer = world.client.get(f"/api/v1/runs/{a}/compare/{b}", headers=world.headers("est"))
    assert answer.status_code == 200, answer.text
    diff = answer.json()
    assert (diff["run_a"]["id"], diff["run_b"]["id"]) == (a, b)
    assert (diff["a"]["run_id"], diff["b"]["run_id"]) == (f"cmp-a-{sid}", f"cmp-b-{sid}")
    assert diff["scenario"]["changed"] is True and (diff["scenario"]["added"], diff["scenario"]["removed"]) == (1, 0)
    assert diff["scenario"]["changes"][0]["kind"] == "added" and diff["scenario"]["changes"][0]["line_b"] == 2
    assert diff["settings"]["seed"] == {"a": 7, "b": 8, "changed": True}
    cost = {e["key"]: e for e in diff["headline"]}["cost.total"]
    assert (cost["a"], cost["b"], cost["delta"]) == (1.25e9, 1.31e9, 1.31e9 - 1.25e9)
    assert cost["relative"] == pytest.approx(0.048)
    # a run not done: 409; one not visible: 404, as a missing one
    queued = start(world, sid)
    assert world.client.get(f"/api/v1/runs/{a}/compare/{queued}", headers=world.headers("est")).status_code == 409
    assert world.client.get(f"/api/v1/runs/{a}/compare/{b}", headers=world.headers("ltu")).status_code == 404
    missing = world.client.get(f"/api/v1/runs/{a}/compare/0123456789abcdef", headers=world.headers("est"))
    assert missing.status_code == 404


def frames(body: str) -> list[tuple[str, dict[str, Any]]]:
    """The (event, data) pairs of an event-stream body (comments left out)."""
    out = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if fields:
            out.append((fields["event"], json.loads(fields["data"])))
    return out


def test_events_of_an_ended_run_and_of_an_invisible_one(world: Server) -> None:
    sid = world.create("ana", scenario_yaml("Events", RELEASED))
    rid = start(world, sid)
    world.client.post(f"/api/v1/runs/{rid}/cancel", headers=world.headers("ana"))
    answer = world.client.get(f"/api/v1/runs/{rid}/events", headers=world.headers("est"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    assert [(e, d["status"]) for e, d in frames(answer.text)] == [("end", "cancelled")]
    assert world.client.get(f"/api/v1/runs/{rid}/events", headers=world.headers("ltu")).status_code == 404
    missing = world.client.get("/api/v1/runs/0123456789abcdef/events", headers=world.headers("ltu"))
    assert missing.status_code == 404


def test_events_follow_a_running_job_until_it_ends(world: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    sid = world.create("ana", scenario_yaml("Live", RELEASED))
    rid = start(world, sid)
    set_job(world, rid, status="running", stage="plan", step="start")
    monkeypatch.setattr(events, "POLL_S", 0.02)
    first_read = threading.Event()
    read = events._read

    def watched(*args: Any) -> Any:
        data = read(*args)
        first_read.set()
        return data

    monkeypatch.setattr(events, "_read", watched)

    def worker() -> None:  # finishes the job once the stream has read it running (it holds no lock)
        first_read.wait(60)
        set_job(world, rid, status="done", stage="done", step="")

    thread = threading.Thread(target=worker)
    thread.start()
    answer = world.client.get(f"/api/v1/runs/{rid}/events", headers=world.headers("est"))
    thread.join()
    got = frames(answer.text)
    assert got[0] == (
        "progress",
        {
            "id": rid,
            "status": "running",
            "stage": "plan",
            "step": "start",
            "text": "plan: production and stockpile plan (MILP)",
            "stage_index": 2,
            "stages": 5,
            "error": None,
        },
    )
    assert got[-1][0] == "end" and got[-1][1]["status"] == "done"


def test_the_stream_sends_each_change_once_then_ends(world: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    sid = world.create("ana", scenario_yaml("Steps", RELEASED))
    rid = start(world, sid)
    monkeypatch.setattr(events, "POLL_S", 0.01)
    caller = Caller("est", "viewer", "EST", "SECRET")
    steps = [("simulate", "start"), ("simulate", "2,000 of 10,000 paths"), ("simulate", "done")]

    async def follow() -> list[tuple[str, str, str]]:
        seen = []
        set_job(world, rid, status="running", stage=steps[0][0], step=steps[0][1])
        stream = events.stream(world.db, caller, rid)
        for stage, step in [*steps[1:], ("done", "")]:
            event, data = frames(await anext(stream))[0]
            seen.append((event, data["status"], data["text"]))
            if stage == "done":
                set_job(world, rid, status="done", stage=stage, step=step)
            else:
                set_job(world, rid, stage=stage, step=step)
        seen.extend((e, d["status"], d["text"]) for e, d in frames(await anext(stream)))
        with pytest.raises(StopAsyncIteration):
            await anext(stream)
        return seen

    assert asyncio.run(follow()) == [
        ("progress", "running", "simulate: Monte-Carlo simulation"),
        ("progress", "running", "simulate: 2,000 of 10,000 paths"),
        ("progress", "running", "simulate: Monte-Carlo simulation"),
        ("end", "done", "done"),
    ]
